"""Sign-in endpoints MSAL/azure-identity need: OpenID configuration and the token endpoint (azure-identity/MSAL).

Decision: ARM routes accept *any* Bearer token, not only ones this process issued, because az
caches tokens across emulator restarts (az CLI 2.91 keeps them). Tokens we issue are remembered, until
they expire, only to name the caller in systemData.
"""

from __future__ import annotations

import secrets

from provisioner.emulator.exceptions import Unauthorized
from provisioner.emulator.wire import Call, Reply

TOKEN_LIFETIME_SECONDS = 3599
# Tenant aliases MSAL accepts in place of a tenant id.
TENANT_ALIASES = ("common", "organizations", "consumers", "adfs")


def openid_configuration(call: Call) -> Reply:
    """GET /{tenant}/v2.0/.well-known/openid-configuration (MSAL reads the two endpoints)."""
    base = f"{call.state.url}/{call.params.get('tenant', 'adfs')}"
    return Reply(
        200,
        {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "token"],
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        },
    )


def instance_discovery(call: Call) -> Reply:
    """GET /common/discovery/instance: harmless answer pointing back at us (when not disabled)."""
    host = call.state.url.removeprefix("https://")
    return Reply(
        200,
        {
            "tenant_discovery_endpoint": f"{call.state.url}/common/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        },
    )


def token(call: Call) -> Reply:
    """POST /{tenant}/oauth2/v2.0/token, client_credentials, checked against our client."""
    form = call.request.form
    tenant = call.params["tenant"]
    problem = token_problem(
        call,
        tenant,
        form.get("grant_type", ""),
        form.get("client_id", ""),
        form.get("client_secret", ""),
    )
    if problem is not None:
        return problem
    access_token = f"emulator-{secrets.token_urlsafe(24)}"
    call.state.remember_token(access_token, form.get("client_id", ""), TOKEN_LIFETIME_SECONDS)
    return Reply(
        200,
        {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "ext_expires_in": TOKEN_LIFETIME_SECONDS,
            "access_token": access_token,
        },
    )


def token_problem(call: Call, tenant: str, grant: str, client_id: str, secret: str) -> Reply | None:
    """The AAD-style error for a bad token request, or None when it is acceptable."""
    state = call.state
    if grant != "client_credentials":
        return aad_error(
            400,
            "unsupported_grant_type",
            f"AADSTS70003: The app requested an unsupported grant type '{grant}'. The emulator supports client_credentials only.",
        )
    if tenant.lower() not in (state.tenant_id.lower(), *TENANT_ALIASES):
        return aad_error(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
    if client_id.lower() != state.client_id.lower():
        return aad_error(
            400,
            "unauthorized_client",
            f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
        )
    if secret != state.client_secret:
        return aad_error(
            401,
            "invalid_client",
            f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'.",
        )
    return None


def aad_error(status: int, error: str, description: str) -> Reply:
    """An OAuth2 error body as Entra ID shapes it."""
    return Reply(
        status,
        {
            "error": error,
            "error_description": description,
            "error_codes": [int(description[6:].split(":", maxsplit=1)[0])],
        },
    )


def require_bearer(authorization: str) -> None:
    """ARM routes need `Authorization: Bearer <token>`; any token is accepted (see module doc)."""
    scheme, _, value = authorization.partition(" ")
    if not authorization:
        raise Unauthorized("Authentication failed. The 'Authorization' header is missing.")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized(
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            code="InvalidAuthenticationToken",
        )
