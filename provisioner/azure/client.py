"""The Azure boundary: cached SDK clients and every operation, with SDK errors wrapped once."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import requests
import requests.adapters
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError as SdkError
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import CustomHookPolicy, HTTPPolicy, RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.recoveryservices import RecoveryServicesClient

from provisioner.azure.credentials import SharedTokenCredential, make_credential
from provisioner.azure.mappings import action_groups, processing_rules, vaults
from provisioner.azure.mappings.action_groups import NotificationResult
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError, NotSent
from provisioner.ids import ResourceId
from provisioner.model import ActionGroup, AlertProcessingRule, VaultAlertSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

# --- pipeline ---------------------------------------------------------------------------------

# azure-core retries 408/429/5xx only for idempotent methods and, for PATCH, only 500/503/504
# (facts §1). Our only PATCH is the vault's monitoringSettings, a merge of fixed values and so
# idempotent: retry it like PUT. POST (test notifications) is never retried: a retry would send
# the notifications twice, and its 429 means the test quota is used up (facts §2).
_RETRY_METHODS: Final = frozenset({"HEAD", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"})

THROTTLED: Final = 429

# When a 429 comes without Retry-After (ARM always sends one), wait this long before re-sending;
# and never less than the minimum, so that a Retry-After of 0 is no busy loop.
_DEFAULT_THROTTLE_PAUSE: Final = 1.0
_MIN_THROTTLE_PAUSE: Final = 0.25
_READS: Final = frozenset({"GET", "HEAD"})
# Keys of ThrottlePause's own in a request's pipeline context.
_DEADLINE: Final = "alertsync_throttle_deadline"
_SENT: Final = "alertsync_sent"


def _is_idempotent(request: PipelineRequest[Any]) -> bool:
    return request.http_request.method.upper() in _RETRY_METHODS


class ArmRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's RetryPolicy (Retry-After honoured) that retries PATCH on 5xx, never a POST,
    and leaves 429 to ThrottlePause, which waits it out without spending these retries."""

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("retry_on_methods", _RETRY_METHODS)
        return super().configure_retries(options)

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        if response.http_response.status_code == THROTTLED:
            return False
        if response.http_request.method.upper() == "POST":
            return False
        return bool(super().is_retry(settings, response))


# Reads Retry-After (then retry-after-ms, x-ms-retry-after-ms) exactly as azure-core does.
_RETRY_AFTER_READER: Final = RetryPolicy()


def _retry_after(response: PipelineResponse[Any, Any]) -> float | None:
    """Seconds the response asks us to wait, or None when it does not say."""
    return _RETRY_AFTER_READER.get_retry_after(response)


class ThrottlePause(HTTPPolicy[Any, Any]):
    """On a 429, pause every request of the run until Retry-After has passed, then re-send.

    ARM's write bucket refills at 10 tokens a second for the whole subscription (facts §5): when
    16 workers each wait out their own Retry-After and give up after a few tries, an apply of a
    few hundred changes fails changes while tokens keep arriving. One shared "resume at" makes
    all clients of one Azure object back off together; re-sending here (a per-retry policy, so
    each attempt is still signed and counted) spends no RetryPolicy budget.

    Each request waits at most `budget` seconds in all, including the shared pause it finds on
    arrival; a 429 whose Retry-After would take it past that surfaces at once and holds nobody
    else up. Only idempotent requests are re-sent: a POST's 429 is returned at once. Once
    interrupted, a write that has not been sent is never sent (NotSent), while reads (lists,
    long-running-operation polls) still wait: what Azure accepted must still be read back.
    """

    def __init__(self, budget: float) -> None:
        super().__init__()
        self.budget = budget
        self._lock = threading.Lock()
        self._resume_at = 0.0
        self._interrupted = threading.Event()

    def interrupt(self) -> None:
        """Writes waiting out throttling give up at once, unsent; used when apply stops."""
        self._interrupted.set()

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        # This policy runs once per RetryPolicy attempt; the request's context outlives them,
        # so the budget and "was it ever sent" are per request, not per attempt.
        context = request.context
        deadline = context.get(_DEADLINE) or time.monotonic() + self.budget
        context[_DEADLINE] = deadline
        write = request.http_request.method.upper() not in _READS
        while True:
            self._wait(deadline, interruptible=write)
            if write and self._interrupted.is_set() and not context.get(_SENT):
                raise NotSent(
                    f"{request.http_request.method} was not sent: the apply was interrupted"
                )
            # A retry of a write Azure may have applied (a timeout, a 5xx) goes on after an
            # interrupt; a 429 says it was not processed, so that one is not sent again.
            context[_SENT] = True
            response = self.next.send(request)
            if response.http_response.status_code != THROTTLED or not _is_idempotent(request):
                return response
            context[_SENT] = False
            asked = _retry_after(response)
            delay = max(_DEFAULT_THROTTLE_PAUSE if asked is None else asked, _MIN_THROTTLE_PAUSE)
            if time.monotonic() + delay > deadline:
                return response
            log.debug("throttled: %s %s", request.http_request.method, request.http_request.url)
            self._pause_all(delay)

    def _pause_all(self, delay: float) -> None:
        """Push the shared resume time out to now + delay."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + delay)

    def _wait(self, deadline: float, *, interruptible: bool) -> None:
        """Until the shared resume time (it may move on meanwhile), the deadline or, when
        interruptible, an interrupt: whichever comes first."""
        while not (interruptible and self._interrupted.is_set()):
            with self._lock:
                remaining = min(self._resume_at, deadline) - time.monotonic()
            if remaining <= 0:
                return
            if interruptible:
                self._interrupted.wait(remaining)
            else:
                time.sleep(remaining)


class RequestCounter:
    """Counts HTTP requests to ARM (retries included, token requests excluded); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def __call__(self, request: PipelineRequest[Any]) -> None:
        with self._lock:
            self._count += 1

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def reset(self) -> None:
        with self._lock:
            self._count = 0


@dataclass(frozen=True, slots=True)
class _Clients:
    monitor: MonitorManagementClient
    rules: AlertProcessingRulesMgmtClient
    vaults: RecoveryServicesClient


# --- errors -----------------------------------------------------------------------------------

# The built-in roles each call needs: reading takes Reader (plan, export), writing the contributors.
READER_ROLE: Final = "Reader (or Monitoring Reader)"
MONITORING_ROLE: Final = "Monitoring Contributor"
BACKUP_ROLE: Final = "Backup Contributor (or another role allowed to write vaults)"


class ResourceGroupNotFound(AzureError):
    """A list found no such resource group; `resource_group` says which.

    Decision: the list methods always raise it (there is no missing-ok flag). It is an
    AzureError, so the CLI shows its one sentence; callers that tolerate a missing group
    (read_live, which reports it in LiveState.missing_resource_groups) catch this subclass.
    """

    def __init__(self, message: str, resource_group: ResourceId) -> None:
        super().__init__(message)
        self.resource_group = resource_group


class SubscriptionNotFound(AzureError):
    """A subscription-wide list found no such subscription (or none visible to the credential)."""


class ResourceNotFound(AzureError):
    """The resource (or its resource group) a call named does not exist."""


class TestNotificationLimit(AzureError):
    """Azure refused a test notification (429): its per-group or per-subscription quota is used."""

    __test__ = False  # not a pytest test class, whatever its name


def _service_error(exc: HttpResponseError) -> tuple[str | None, str]:
    """The ARM error code and message (flat and wrapped bodies both parse, facts §1)."""
    if exc.error is not None and (exc.error.code or exc.error.message):
        return exc.error.code, exc.error.message or ""
    return None, exc.reason or exc.message


def _service_text(exc: HttpResponseError) -> str:
    code, message = _service_error(exc)
    return f"({code}) {message}" if code else f"HTTP {exc.status_code}: {message}"


def _is_tls(text: str) -> bool:
    return "ssl" in text.lower() or "certificate" in text.lower()


def _tls_hint(endpoint: str, text: str) -> str:
    return (
        f"the TLS certificate of {endpoint} was not trusted ({text}); if it uses a private CA "
        "(the emulator does), set ALERTSYNC_CA_BUNDLE to its CA file"
    )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# --- the client layer -------------------------------------------------------------------------


# requests keeps 10 connections per host by default; apply runs 16 writers and the three SDK
# clients of every subscription share this one session, so without a larger pool urllib3
# discards connections (and warns) and new TLS handshakes follow.
CONNECTION_POOL_SIZE: Final = 32


def _pooled_session() -> requests.Session:
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=CONNECTION_POOL_SIZE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class Azure:
    """Every call alertsync makes to Azure, with SDK errors wrapped once into AzureError.

    Clients are built per subscription on first use and cached; all methods are thread-safe.
    """

    def __init__(
        self, settings: AzureSettings | None = None, credential: TokenCredential | None = None
    ) -> None:
        self.settings = settings or AzureSettings.from_env()
        _check_ca_bundle(self.settings.ca_bundle)
        self._credential = SharedTokenCredential(credential or make_credential(self.settings))
        self._owns_credential = credential is None  # a caller's credential is the caller's to close
        self._clients: dict[str, _Clients] = {}
        self._session = _pooled_session()
        self._lock = threading.Lock()
        self.requests = RequestCounter()
        self._throttle = ThrottlePause(self.settings.throttle_budget)

    def interrupt(self) -> None:
        """Requests waiting out throttling stop waiting (apply was interrupted)."""
        self._throttle.interrupt()

    # --- clients ---

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
            "per_retry_policies": [self._throttle],
        }

    def _clients_for(self, subscription: str) -> _Clients:
        key = subscription.lower()
        with self._lock:
            clients = self._clients.get(key)
            if clients is None:
                clients = self._build_clients(key)
                self._clients[key] = clients
            return clients

    def _build_clients(self, subscription: str) -> _Clients:
        log.debug(
            "building SDK clients for subscription %s at %s",
            subscription,
            self.settings.arm_endpoint,
        )
        cred, options = self._credential, self._client_options()
        return _Clients(
            monitor=MonitorManagementClient(cred, subscription, **options),
            rules=AlertProcessingRulesMgmtClient(cred, subscription, **options),
            vaults=RecoveryServicesClient(cred, subscription, **options),
        )

    def close(self) -> None:
        """Close every SDK client (their HTTP sessions)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for c in clients:
            c.monitor.close()
            c.rules.close()
            c.vaults.close()
        self._session.close()
        if self._owns_credential:
            self._credential.close()

    def __enter__(self) -> Azure:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- error wrapping ---

    def _call(self, action: str, role: str, fn: Callable[[], T]) -> T:
        """Run one SDK call; any SDK error becomes one AzureError naming `action`."""
        started = time.monotonic()
        try:
            return fn()
        except SdkError as exc:
            detail = self._explain(role, exc)
            if _status(exc) == THROTTLED:
                detail = detail.rstrip(".") + self._throttled_for(time.monotonic() - started)
            raise AzureError(f"{action}: {detail}", detail=detail) from exc

    def _throttled_for(self, seconds: float) -> str:
        return (
            f"; still throttled after {seconds:.0f}s of waiting (alertsync waits up to "
            f"ALERTSYNC_THROTTLE_BUDGET={self.settings.throttle_budget:g}s per request); another "
            "client may be using the same limits: re-run `alertsync apply` to converge"
        )

    def _explain(self, role: str, exc: SdkError) -> str:
        """What went wrong and what to do, without the action (the caller adds it)."""
        if isinstance(exc, ClientAuthenticationError):
            return self._explain_sign_in(exc)
        if isinstance(exc, HttpResponseError) and exc.status_code == 403:
            return (
                f"access denied to {self.settings.credential_label}: {_service_text(exc)}; "
                f"it needs the {role} role on this scope"
            )
        if isinstance(exc, HttpResponseError):
            return _service_text(exc)
        if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
            return self._explain_network(exc)
        return _first_line(exc)

    def _explain_sign_in(self, exc: SdkError) -> str:
        text, authority = _first_line(exc), self.settings.authority_host
        if _is_tls(text):
            return f"sign-in failed: {_tls_hint(authority, text)}"
        return (
            f"sign-in failed with {self.settings.credential_label}: {text} "
            "(sign in with `az login`, set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, "
            "or use workload identity; see docs/troubleshooting.md)"
        )

    def _explain_network(self, exc: SdkError) -> str:
        endpoint, text = self.settings.arm_endpoint, _first_line(exc)
        if _is_tls(text):
            return _tls_hint(endpoint, text)
        return (
            f"cannot reach {endpoint} ({text}); check ALERTSYNC_ARM_ENDPOINT and the "
            "network (and ALERTSYNC_CA_BUNDLE for a private CA)"
        )

    def _list(self, kind: str, scope: ResourceId, fn: Callable[[], Iterable[T]]) -> list[T]:
        """A list under a resource group or over a whole subscription (`scope`).

        A missing resource group raises ResourceGroupNotFound, a missing subscription of a
        subscription-wide list SubscriptionNotFound; any other 404 is reported as it is.
        """
        action = f"listing {kind} in {scope.describe()}"
        try:
            return self._call(action, READER_ROLE, lambda: list(fn()))
        except AzureError as err:
            code = _not_found_code(err)
            if scope.resource_group is not None and code in ("", "resourcegroupnotfound"):
                missing = f"{action}: {scope.describe()} does not exist"
                raise ResourceGroupNotFound(missing, scope) from err.__cause__
            if scope.resource_group is None and code == "subscriptionnotfound":
                raise SubscriptionNotFound(
                    f"{action}: {scope.describe()} does not exist or is not visible to "
                    f"{self.settings.credential_label}"
                ) from err.__cause__
            raise

    def _put(self, resource_id: ResourceId, operations: Any, body: object) -> Any:
        """create_or_update through `operations` (the SDK's operations object of the kind)."""
        rg, name = _rg(resource_id), resource_id.name
        return self._call(
            f"creating or updating {resource_id.describe()}",
            MONITORING_ROLE,
            lambda: operations.create_or_update(rg, name, body),
        )

    def _delete(self, resource_id: ResourceId, operations: Any) -> None:
        """Delete; deleting what does not exist is not an error (ARM answers 204)."""
        rg, name = _rg(resource_id), resource_id.name
        action = f"deleting {resource_id.describe()}"
        self._call(action, MONITORING_ROLE, lambda: operations.delete(rg, name))

    # --- action groups ---

    def list_action_groups(self, subscription: str, resource_group: str) -> list[ActionGroup]:
        """Every action group in the resource group (one request: the list has no paging)."""
        return [g for g, _ in self.list_action_groups_detailed(subscription, resource_group)]

    def list_action_groups_detailed(
        self, subscription: str, resource_group: str
    ) -> list[tuple[ActionGroup, tuple[str, ...]]]:
        """Each group with the receivers alertsync cannot represent (`voiceReceivers[ops]`)."""
        group = ResourceId(subscription.lower(), resource_group)
        ops = self._clients_for(subscription).monitor.action_groups
        found = self._list(
            "action groups", group, lambda: ops.list_by_resource_group(resource_group)
        )
        return [_with_unsupported_receivers(r) for r in found]

    def list_action_groups_in_subscription(
        self, subscription: str
    ) -> list[tuple[ActionGroup, tuple[str, ...]]]:
        """Every action group of the subscription, each with its unsupported receivers."""
        ops = self._clients_for(subscription).monitor.action_groups
        found = self._list("action groups", _sub(subscription), ops.list_by_subscription_id)
        return [_with_unsupported_receivers(r) for r in found]

    def put_action_group(self, group: ActionGroup) -> ActionGroup:
        """Create or replace the group; returns it as Azure stored it."""
        ops = self._clients_for(group.id.subscription).monitor.action_groups
        return action_groups.from_arm(self._put(group.id, ops, action_groups.to_arm(group)))

    def delete_action_group(self, group_id: ResourceId) -> None:
        """Delete the group; deleting one that does not exist is not an error (ARM: 204)."""
        self._delete(group_id, self._clients_for(group_id.subscription).monitor.action_groups)

    def test_notification(
        self, group_id: ResourceId, alert_type: str = "servicehealth"
    ) -> tuple[ActionGroup, NotificationResult]:
        """Send a test notification to every receiver of the live group and wait for results.

        Returns the group as it was tested with the result; a missing group raises
        ResourceNotFound. Azure allows 2 tests per group and 5 per subscription every 5 minutes
        (facts §2).
        """
        ops = self._clients_for(group_id.subscription).monitor.action_groups
        rg, name, action = _rg(group_id), group_id.name, f"testing {group_id.describe()}"
        try:
            live = self._call(action, MONITORING_ROLE, lambda: ops.get(rg, name))
        except AzureError as err:
            if _not_found_code(err) in ("", "resourcenotfound", "resourcegroupnotfound"):
                raise ResourceNotFound(
                    f"{group_id.describe()} does not exist in Azure"
                ) from err.__cause__
            raise
        body = action_groups.notification_request(live, alert_type)

        def send() -> Any:
            try:
                poller = ops.begin_create_notifications_at_action_group_resource_level(
                    rg, name, body
                )
            except HttpResponseError as exc:
                if exc.status_code == THROTTLED:
                    raise TestNotificationLimit(f"{action}: {_test_limit_text(exc)}") from exc
                raise
            return poller.result()

        result = self._call(action, MONITORING_ROLE, send)
        return action_groups.from_arm(live), action_groups.notification_result_from_arm(result)

    # --- alert processing rules ---

    def list_processing_rules(
        self, subscription: str, resource_group: str
    ) -> list[AlertProcessingRule]:
        """Every alert processing rule in the resource group (pages followed)."""
        group = ResourceId(subscription.lower(), resource_group)
        ops = self._clients_for(subscription).rules.alert_processing_rules
        found = self._list(
            "alert processing rules", group, lambda: ops.list_by_resource_group(resource_group)
        )
        return [processing_rules.from_arm(r) for r in found]

    def list_processing_rules_in_subscription(self, subscription: str) -> list[AlertProcessingRule]:
        """Every alert processing rule of the subscription (pages followed)."""
        ops = self._clients_for(subscription).rules.alert_processing_rules
        found = self._list("alert processing rules", _sub(subscription), ops.list_by_subscription)
        return [processing_rules.from_arm(r) for r in found]

    def put_processing_rule(self, rule: AlertProcessingRule) -> AlertProcessingRule:
        """Create or replace the rule; returns it as Azure stored it."""
        ops = self._clients_for(rule.id.subscription).rules.alert_processing_rules
        return processing_rules.from_arm(self._put(rule.id, ops, processing_rules.to_arm(rule)))

    def delete_processing_rule(self, rule_id: ResourceId) -> None:
        """Delete the rule; deleting one that does not exist is not an error (ARM: 204)."""
        ops = self._clients_for(rule_id.subscription).rules.alert_processing_rules
        self._delete(rule_id, ops)

    # --- vaults ---

    def list_vaults(self, subscription: str, resource_group: str) -> list[VaultAlertSettings]:
        """The alert settings of every vault in the resource group (pages followed)."""
        group = ResourceId(subscription.lower(), resource_group)
        ops = self._clients_for(subscription).vaults.vaults
        found = self._list("vaults", group, lambda: ops.list_by_resource_group(resource_group))
        return [vaults.from_arm(v) for v in found]

    def list_vaults_in_subscription(self, subscription: str) -> list[VaultAlertSettings]:
        """The alert settings of every vault of the subscription (pages followed)."""
        ops = self._clients_for(subscription).vaults.vaults
        found = self._list("vaults", _sub(subscription), ops.list_by_subscription_id)
        return [vaults.from_arm(v) for v in found]

    def patch_vault(self, settings: VaultAlertSettings) -> VaultAlertSettings:
        """Merge the managed settings into the vault (a LRO in api 2026-11-01); returns the result."""
        ops = self._clients_for(settings.id.subscription).vaults.vaults
        rg, name, body = _rg(settings.id), settings.id.name, vaults.to_patch(settings)
        result = self._call(
            f"updating alert settings of {settings.id.describe()}",
            BACKUP_ROLE,
            lambda: ops.begin_update(rg, name, body).result(),
        )
        return vaults.from_arm(result)


def _test_limit_text(exc: HttpResponseError) -> str:
    """One sentence: which limit, and when to try again (from Retry-After when it is given)."""
    wait = _retry_after_seconds(exc)
    when = (
        "in a few minutes"
        if wait is None
        else f"in {wait:.0f}s (after {time.strftime('%H:%M:%S %Z', time.localtime(time.time() + wait))})"
    )
    return (
        "Azure's limit on test notifications was reached (2 per action group and 5 per "
        f"subscription every 5 minutes); try again {when}"
    )


def _retry_after_seconds(exc: HttpResponseError) -> float | None:
    """Retry-After of an error response: delta-seconds or an HTTP date, parsed as azure-core does."""
    headers: Any = getattr(exc.response, "headers", None) or {}
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return _RETRY_AFTER_READER.parse_retry_after(value)
    except (TypeError, ValueError):
        return None


def _status(exc: SdkError) -> int | None:
    return exc.status_code if isinstance(exc, HttpResponseError) else None


def _check_ca_bundle(path: str | None) -> None:
    """A missing CA file would otherwise surface as "certificate was not trusted"."""
    if path and not os.path.exists(path):
        raise AzureError(f"CA bundle file not found: {path} (ALERTSYNC_CA_BUNDLE)")


def _rg(resource_id: ResourceId) -> str:
    if resource_id.resource_group is None:
        raise ValueError(f"{resource_id} is not inside a resource group")
    return resource_id.resource_group


def _sub(subscription: str) -> ResourceId:
    return ResourceId(subscription.lower())


def _with_unsupported_receivers(
    resource: Any,
) -> tuple[ActionGroup, tuple[str, ...]]:
    return action_groups.from_arm(resource), action_groups.unsupported_receivers(resource)


def _not_found_code(err: AzureError) -> str | None:
    """For a wrapped 404, ARM's error code lower-cased ("" when the body has none), else None.

    ARM says which part of the path is missing: ResourceGroupNotFound, SubscriptionNotFound or
    ResourceNotFound (facts §5).
    """
    cause = err.__cause__
    if not isinstance(cause, ResourceNotFoundError):
        return None
    code = cause.error.code if cause.error is not None else None
    return (code or "").lower()
