"""Where and how to reach Azure: sovereign clouds, the ARM endpoint, CA bundle and sign-in inputs."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from azure.core import AzureClouds
from azure.identity import AzureAuthorityHosts
from azure.mgmt.core.tools import get_arm_endpoints

from provisioner.errors import AzureError


@dataclass(frozen=True, slots=True)
class Cloud:
    """A sovereign cloud: where to sign in, where ARM is, and the token audience for ARM."""

    name: str
    authority_host: str
    resource_manager: str
    credential_scope: str


def _cloud(name: str, cloud: AzureClouds, authority_host: str) -> Cloud:
    endpoints = get_arm_endpoints(cloud)  # azure-mgmt-core's table, so new audiences follow it
    return Cloud(
        name, authority_host, endpoints["resource_manager"], endpoints["credential_scopes"][0]
    )


# The names `az cloud list` uses. (US Government's ARM audience is management.core.usgovcloudapi.net,
# not its ARM host: get_arm_endpoints knows.)
CLOUDS: Final[dict[str, Cloud]] = {
    c.name.lower(): c
    for c in (
        _cloud(
            "AzureCloud", AzureClouds.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_PUBLIC_CLOUD
        ),
        _cloud("AzureChinaCloud", AzureClouds.AZURE_CHINA_CLOUD, AzureAuthorityHosts.AZURE_CHINA),
        _cloud(
            "AzureUSGovernment",
            AzureClouds.AZURE_US_GOVERNMENT,
            AzureAuthorityHosts.AZURE_GOVERNMENT,
        ),
    )
}

# MSAL knows these hosts; for any other (the emulator, a private authority) its instance discovery
# would call login.microsoftonline.com and fail offline (docs/azure-behaviour.md#sign-in-instance-discovery).
_WELL_KNOWN_AUTHORITIES: Final = frozenset(
    {
        AzureAuthorityHosts.AZURE_PUBLIC_CLOUD,
        AzureAuthorityHosts.AZURE_CHINA,
        AzureAuthorityHosts.AZURE_GOVERNMENT,
    }
)


def find_cloud(name: str) -> Cloud:
    """The cloud named `name` (case-insensitive); AzureError listing the valid names otherwise."""
    cloud = CLOUDS.get(name.strip().lower())
    if cloud is None:
        names = ", ".join(c.name for c in CLOUDS.values())
        raise AzureError(f'unknown Azure cloud "{name}" (ALERTSYNC_CLOUD): use one of {names}')
    return cloud


def _host(authority: str) -> str:
    return authority.removeprefix("https://").split("/", 1)[0].lower()


DEFAULT_THROTTLE_BUDGET: Final = 300.0


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A number of seconds ≥ 0 from `env[name]`; AzureError naming the variable otherwise."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise AzureError(f'{name} must be a number of seconds (0 or more), not "{text}"')
    return value


def _https_url(env: Mapping[str, str], name: str, default: str, *, bare_host: bool) -> str:
    """`env[name]` as an https URL (default when unset); AzureError naming the variable otherwise.

    Tokens travel to both endpoints: azure-identity refuses a non-https authority and
    azure-core a non-https ARM endpoint for bearer tokens, but only with a traceback or after
    the first request. azure-identity takes a bare host (`login.example.com`) as https.
    """
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        parsed = urlsplit(text if "://" in text or not bare_host else f"https://{text}")
        secure = parsed.scheme.lower() == "https" and bool(parsed.hostname)
    except ValueError:  # an unclosed IPv6 bracket
        secure = False
    if not secure:
        raise AzureError(
            f'{name} must be an https URL such as "{default.rstrip("/")}", not "{text}": '
            "tokens are only ever sent over TLS"
        )
    return text


# azure-identity takes a tenant as its GUID or a domain (contoso.onmicrosoft.com) and raises a
# ValueError, a traceback, for anything else: the same rule, said as one sentence.
_TENANT = re.compile(r"[A-Za-z0-9.-]+")


def _tenant_id(env: Mapping[str, str]) -> str | None:
    text = env.get("AZURE_TENANT_ID") or None
    if text is not None and not _TENANT.fullmatch(text):
        raise AzureError(
            f'AZURE_TENANT_ID must be a tenant ID (a GUID) or domain, not "{text}": '
            "letters, digits, '-' and '.' only"
        )
    return text


@dataclass(frozen=True, slots=True)
class AzureSettings:
    """Where and how to reach Azure; `from_env` reads ALERTSYNC_* and AZURE_* variables."""

    cloud: Cloud = CLOUDS["azurecloud"]
    arm_endpoint: str = "https://management.azure.com/"  # ALERTSYNC_ARM_ENDPOINT
    authority_host: str = AzureAuthorityHosts.AZURE_PUBLIC_CLOUD  # AZURE_AUTHORITY_HOST
    ca_bundle: str | None = None  # ALERTSYNC_CA_BUNDLE
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    # azure-core's defaults (10 tries, 3 status retries, 120 s cap) are tuned for data planes.
    # ARM answers 429 with Retry-After, which azure-core honours uncapped, so the backoff only
    # matters for 5xx without the header: keep it short, allow a few more status retries.
    retry_total: int = 6
    retry_status: int = 5
    retry_backoff_factor: float = 0.5
    retry_backoff_max: int = 30
    # How long one request may wait, in seconds, for a token of ARM's bucket and after 429s,
    # before it is sent regardless and its 429 surfaces. Requests queue for tokens in turn, so
    # one waits about (workers / refill rate) when alone; a few minutes covers an empty write
    # bucket (docs/azure-behaviour.md#arm-token-buckets) even when other clients share it.
    throttle_budget: float = DEFAULT_THROTTLE_BUDGET  # ALERTSYNC_THROTTLE_BUDGET
    # LROs (vault PATCH): azure-core's 30 s default poll is far too slow; Retry-After wins.
    polling_interval: float = 1.0
    connection_timeout: float = 20.0
    read_timeout: float = 120.0

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, cloud: str | None = None
    ) -> AzureSettings:
        """Settings from `env` (default os.environ); `cloud` overrides ALERTSYNC_CLOUD."""
        env = os.environ if env is None else env
        chosen = find_cloud(cloud or env.get("ALERTSYNC_CLOUD") or "AzureCloud")
        return cls(
            cloud=chosen,
            arm_endpoint=_https_url(
                env, "ALERTSYNC_ARM_ENDPOINT", chosen.resource_manager, bare_host=False
            ),
            authority_host=_https_url(
                env, "AZURE_AUTHORITY_HOST", chosen.authority_host, bare_host=True
            ),
            ca_bundle=env.get("ALERTSYNC_CA_BUNDLE") or None,
            tenant_id=_tenant_id(env),
            client_id=env.get("AZURE_CLIENT_ID") or None,
            client_secret=env.get("AZURE_CLIENT_SECRET") or None,
            throttle_budget=_seconds(env, "ALERTSYNC_THROTTLE_BUDGET", DEFAULT_THROTTLE_BUDGET),
        )

    @property
    def credential_scope(self) -> str:
        """The ARM token audience: the cloud's, also for a custom endpoint (the emulator)."""
        return self.cloud.credential_scope

    @property
    def instance_discovery(self) -> bool:
        """False for an authority MSAL does not know (it would try to discover it online)."""
        return _host(self.authority_host) in _WELL_KNOWN_AUTHORITIES

    @property
    def uses_client_secret(self) -> bool:
        return bool(self.tenant_id and self.client_id and self.client_secret)

    @property
    def credential_label(self) -> str:
        """How we sign in, for error messages: the credential type and client id when known."""
        kind = "ClientSecretCredential" if self.uses_client_secret else "DefaultAzureCredential"
        return f'{kind} (client id "{self.client_id}")' if self.client_id else kind
