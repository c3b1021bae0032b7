"""The SDK clients of each subscription, built on first use over one pooled HTTP session."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import requests
import requests.adapters
from azure.core.credentials import TokenCredential
from azure.core.pipeline.policies import CustomHookPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.recoveryservices import RecoveryServicesClient
from azure.mgmt.resource.resources import ResourceManagementClient

from provisioner.azure.credentials import SharedTokenCredential, make_credential
from provisioner.azure.mappings import processing_rules, vaults
from provisioner.azure.pacing import Clock, Pacer
from provisioner.azure.policies import ArmRetryPolicy, PacingPolicy, RequestCounter
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError

log = logging.getLogger(__name__)
C = TypeVar("C")

# requests keeps 10 connections per host by default; apply runs 16 writers and the three SDK
# clients of every subscription share this one session, so without a larger pool urllib3
# discards connections (and warns) and new TLS handshakes follow.
CONNECTION_POOL_SIZE: Final = 32


@dataclass(frozen=True, slots=True)
class SdkClients:
    """The management clients of one subscription."""

    monitor: MonitorManagementClient
    rules: AlertProcessingRulesMgmtClient
    vaults: RecoveryServicesClient
    resources: ResourceManagementClient  # Resources - List: what an owner's tag marks


class ClientCache:
    """Builds each subscription's SDK clients once; they share the session, credential and
    policies (so the pacing to ARM's buckets and the request count span the whole run). Thread-safe."""

    def __init__(
        self,
        settings: AzureSettings,
        credential: TokenCredential | None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        _check_ca_bundle(settings.ca_bundle)
        self._credential = SharedTokenCredential(credential or make_credential(settings))
        self._owns_credential = credential is None  # a caller's credential is the caller's to close
        self._clients: dict[str, SdkClients] = {}
        self._extra: dict[tuple[str, Callable[..., Any]], Any] = {}
        self._session = _pooled_session()
        self._lock = threading.Lock()
        self.requests = RequestCounter()
        self.pacer = Pacer(clock)
        self.throttle = PacingPolicy(settings.throttle_budget, self.pacer)

    def _client_options(self) -> dict[str, Any]:
        s = self.settings
        return {
            "base_url": s.arm_endpoint,
            "credential_scopes": [s.credential_scope],
            "transport": RequestsTransport(
                session=self._session,
                session_owner=False,
                connection_verify=s.ca_bundle or True,
                connection_timeout=s.connection_timeout,
                read_timeout=s.read_timeout,
            ),
            "polling_interval": s.polling_interval,
            "retry_policy": ArmRetryPolicy(
                retry_total=s.retry_total,
                retry_status=s.retry_status,
                retry_backoff_factor=s.retry_backoff_factor,
                retry_backoff_max=s.retry_backoff_max,
            ),
            "custom_hook_policy": CustomHookPolicy(raw_request_hook=self.requests),
            # Inserted right after the RetryPolicy: each re-send is signed and counted.
            "per_retry_policies": [self.throttle],
        }

    def sign_in_early(self) -> None:
        """Start the token request of the clients' scope in the background (the first request
        then finds the token, or waits for it)."""
        self._credential.sign_in_early(self.settings.credential_scope)

    def for_subscription(self, subscription: str) -> SdkClients:
        key = subscription.lower()
        with self._lock:
            clients = self._clients.get(key)
            if clients is None:
                clients = self._build(key)
                self._clients[key] = clients
            return clients

    def extra(self, subscription: str, client_class: Callable[..., C]) -> C:
        """Another SDK client of the subscription (built on first use, as only some commands
        need it), with the same session, credential and policies."""
        scope = subscription.lower()
        return self._cached(
            scope,
            client_class,
            lambda: client_class(self._credential, scope, **self._client_options()),
        )

    def for_tenant(self, client_class: Callable[..., C]) -> C:
        """An SDK client of no one subscription (Subscriptions - List), built on first use, with
        the same session, credential and policies."""
        return self._cached(
            "", client_class, lambda: client_class(self._credential, **self._client_options())
        )

    def _cached(self, scope: str, client_class: Callable[..., C], build: Callable[[], C]) -> C:
        """The client of `client_class` for `scope` ("" for the tenant), built once."""
        key = (scope, client_class)
        with self._lock:
            client = self._extra.get(key)
            if client is None:
                client = build()
                self._extra[key] = client
            result: C = client
            return result

    def _build(self, subscription: str) -> SdkClients:
        log.debug(
            "building SDK clients for subscription %s at %s",
            subscription,
            self.settings.arm_endpoint,
        )
        cred, options = self._credential, self._client_options()
        return SdkClients(
            monitor=MonitorManagementClient(cred, subscription, **options),
            # The API versions the mappings read, named (their lists are read as JSON too).
            rules=AlertProcessingRulesMgmtClient(
                cred, subscription, api_version=processing_rules.API_VERSION, **options
            ),
            vaults=RecoveryServicesClient(
                cred, subscription, api_version=vaults.API_VERSION, **options
            ),
            resources=ResourceManagementClient(cred, subscription, **options),
        )

    def close(self) -> None:
        """Close every SDK client (their HTTP sessions)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            extra, self._extra = list(self._extra.values()), {}
        for client in extra:
            client.close()
        for c in clients:
            c.monitor.close()
            c.rules.close()
            c.vaults.close()
            c.resources.close()
        self._session.close()
        if self._owns_credential:
            self._credential.close()


def _pooled_session() -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=CONNECTION_POOL_SIZE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _check_ca_bundle(path: str | None) -> None:
    """A missing CA file would otherwise surface as "certificate was not trusted"."""
    if path and not os.path.exists(path):
        raise AzureError(f"CA bundle file not found: {path} (ALERTSYNC_CA_BUNDLE)")
