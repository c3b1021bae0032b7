"""Sign-in: the credential for the settings, sharing one token per scope across a whole run."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from azure.core.credentials import AccessToken, TokenCredential
from azure.identity import ClientSecretCredential, DefaultAzureCredential

from provisioner.azure.settings import AzureSettings

log = logging.getLogger(__name__)
_Key = tuple[tuple[str, ...], bool]  # the scopes, and whether CAE is enabled

# Renew a little before expiry so that a request never leaves with a token about to lapse.
_RENEW_SECONDS: Final = 300


class SharedTokenCredential:
    """Wraps a credential so that concurrent first requests share one token request.

    Each SDK client has its own bearer policy; at the start of a plan three clients, and during
    an apply up to sixteen threads, ask for a token at the same moment, and the credential's own
    cache is only filled after the first answer. Without this, one run signed in many times.
    A first sign-in that fails fails them all with its error, without asking again for each.
    """

    def __init__(self, inner: TokenCredential) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._tokens: dict[_Key, AccessToken] = {}
        self._failed: dict[_Key, Exception] = {}  # why the first sign-in of a key failed

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """A cached token for these scopes; a claims challenge or another tenant always asks anew."""
        if claims or tenant_id:
            return self._inner.get_token(
                *scopes, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs
            )
        return self._shared(
            (scopes, enable_cae),
            lambda: self._inner.get_token(*scopes, enable_cae=enable_cae, **kwargs),
            keep_failure=True,
        )

    def _shared(
        self, key: _Key, ask: Callable[[], AccessToken], *, keep_failure: bool
    ) -> AccessToken:
        with self._lock:
            if (failed := self._failed.get(key)) is not None:
                raise failed
            token = self._tokens.get(key)
            if token is None or token.expires_on - _RENEW_SECONDS < time.time():
                try:
                    renewed = ask()
                except Exception as error:
                    # A first sign-in that failed (after the credential's own retries) fails
                    # the requests queued behind it, and later ones: asking again for each of
                    # them would only multiply the wait for the same error. A failed renewal
                    # is not kept (each request asks again, as before).
                    if keep_failure and token is None:
                        self._failed[key] = error
                    raise
                token = self._tokens[key] = renewed
            return token

    def sign_in_early(self, scope: str) -> None:
        """Ask for the token of `scope` on a daemon thread, so that signing in overlaps whatever
        precedes the first request (a plan loads its specs first).

        The thread reports nothing, and its failure is not kept: the first request asks again
        and reports it as ever. Being a daemon, it never delays the end of a run.
        """
        threading.Thread(target=self._warm, args=(scope,), name="sign-in", daemon=True).start()

    def _warm(self, scope: str) -> None:
        try:
            # The key the SDK clients' bearer policy asks with: the scopes, no CAE.
            self._shared(
                ((scope,), False),
                lambda: self._inner.get_token(scope, enable_cae=False),
                keep_failure=False,
            )
        except Exception as error:  # reported by the first request, which asks again
            log.debug("early sign-in failed (%s); the first request signs in", type(error).__name__)

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()


def make_credential(settings: AzureSettings) -> TokenCredential:
    """A client-secret credential when AZURE_CLIENT_SECRET is set, else DefaultAzureCredential.

    The secret credential is what EnvironmentCredential builds from the same AZURE_* variables,
    but taken from `settings` so that callers (tests) need not mutate os.environ.
    """
    options: dict[str, Any] = {
        "authority": settings.authority_host,
        "disable_instance_discovery": not settings.instance_discovery,
        "connection_verify": settings.ca_bundle or True,
        # The token endpoint gets the same retry budget as ARM (its own pipeline, azure-core).
        "retry_total": settings.retry_total,
        # A token endpoint that refuses connections is down or wrong, not busy: one retry, not a
        # 20-second backoff ending in the same refusal.
        "retry_connect": 1,
        "retry_backoff_factor": settings.retry_backoff_factor,
        "retry_backoff_max": settings.retry_backoff_max,
    }
    if settings.uses_client_secret:
        assert settings.tenant_id and settings.client_id and settings.client_secret
        return ClientSecretCredential(
            settings.tenant_id, settings.client_id, settings.client_secret, **options
        )
    # Never open a browser or a broker prompt: alertsync runs in pipelines.
    return DefaultAzureCredential(
        exclude_interactive_browser_credential=True, exclude_broker_credential=True, **options
    )
