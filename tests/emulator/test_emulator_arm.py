"""ARM-wide behaviour: sign-in, bearer, api-version, bad input, unknown routes, headers, throttling."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity import ClientSecretCredential, EnvironmentCredential
from azure.mgmt.monitor import MonitorManagementClient

from provisioner.emulator import Emulator
from tests.emulator.conftest import AG_PATH, RULE_PATH, SUB_PATH, VAULT_PATH, Raw, error_code
from tests.seeds import DEFAULT_SUBSCRIPTION

AG_VERSION = {"api-version": "2023-01-01"}
GOOD_GROUP = {"location": "Global", "properties": {"groupShortName": "g", "enabled": True}}


def plain(
    emulator: Emulator, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, object]]:
    """A request without the SDK (no bearer token)."""
    context = ssl.create_default_context(cafile=emulator.ca_path)
    request = urllib.request.Request(emulator.url + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=context) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_wrong_client_secret_is_401_invalid_client(world: Emulator) -> None:
    # azure-identity/MSAL: token endpoint; AADSTS7000215 for a wrong secret.
    env = world.env()
    credential = ClientSecretCredential(
        env["AZURE_TENANT_ID"],
        env["AZURE_CLIENT_ID"],
        "wrong",
        authority=world.url,
        disable_instance_discovery=True,
        connection_verify=world.ca_path,
    )
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential.get_token("https://management.azure.com/.default")


def test_environment_credential_works_unchanged(
    world: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # azure-identity/MSAL: EnvironmentCredential with AZURE_AUTHORITY_HOST + disable_instance_discovery.
    for key, value in world.env().items():
        monkeypatch.setenv(key, value)
    credential = EnvironmentCredential(
        disable_instance_discovery=True, connection_verify=world.ca_path
    )
    client = MonitorManagementClient(
        credential, DEFAULT_SUBSCRIPTION, base_url=world.url, connection_verify=world.ca_path
    )
    assert list(client.action_groups.list_by_subscription_id()) == []


def test_arm_routes_need_a_bearer_token(world: Emulator) -> None:
    # azure-identity/MSAL: every ARM call carries Authorization: Bearer; we accept any token (az caches them).
    assert plain(world, "GET", f"{AG_PATH}?api-version=2023-01-01")[0] == 401
    status, body = plain(
        world, "GET", f"{AG_PATH}?api-version=2023-01-01", {"Authorization": "Basic x"}
    )
    assert (status, body["error"]["code"]) == (401, "InvalidAuthenticationToken")  # type: ignore[index]
    assert (
        plain(
            world,
            "GET",
            f"{AG_PATH}?api-version=2023-01-01",
            {"Authorization": "Bearer cached-by-az"},
        )[0]
        == 200
    )


def test_az_cli_requests_are_accepted(world: Emulator) -> None:
    # az CLI 2.91: /subscriptions, openid-configuration, 2024-10-01-preview, leading //, any case.
    bearer = {"Authorization": "Bearer t"}
    _, subscriptions = plain(world, "GET", "/subscriptions?api-version=2022-12-01", bearer)
    assert subscriptions["value"][0]["subscriptionId"] == DEFAULT_SUBSCRIPTION  # type: ignore[index]
    assert (
        plain(world, "GET", f"/{DEFAULT_SUBSCRIPTION}/v2.0/.well-known/openid-configuration")[0]
        == 200
    )
    path = f"/{AG_PATH.lower()}?api-version=2024-10-01-preview"
    assert plain(world, "GET", path, bearer)[0] == 200
    assert (
        plain(world, "GET", "/metadata/endpoints?api-version=2022-09-01")[1]["resourceManager"]
        == world.url + "/"
    )


def test_subscription_and_resource_group_reads(raw: Raw) -> None:
    assert raw("GET", SUB_PATH, **{"api-version": "2022-12-01"}).json()["state"] == "Enabled"
    assert (
        raw("GET", f"{SUB_PATH}/resourcegroups/RG-BACKUP", **{"api-version": "2021-04-01"}).json()[
            "name"
        ]
        == "rg-backup"
    )
    missing_group = raw("GET", f"{SUB_PATH}/resourcegroups/nope", **{"api-version": "2021-04-01"})
    assert (missing_group.status_code, error_code(missing_group)) == (404, "ResourceGroupNotFound")
    assert missing_group.json()["error"]["message"] == "Resource group 'nope' could not be found."
    other = raw(
        "GET",
        "/subscriptions/11111111-0000-0000-0000-000000000000/providers/Microsoft.Insights/actionGroups",
        **AG_VERSION,
    )
    assert (other.status_code, error_code(other)) == (404, "SubscriptionNotFound")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "MissingApiVersionParameter"),
        ({"api-version": "2019-06-01"}, "NoRegisteredProviderFound"),
    ],
)
def test_api_version_missing_or_unknown_is_400(raw: Raw, params: dict[str, str], code: str) -> None:
    # ARM answers 400 and lists the supported versions.
    response = raw("GET", AG_PATH, **params)
    assert (response.status_code, error_code(response)) == (400, code)
    if params:
        assert "2023-01-01" in response.json()["error"]["message"]


def test_actionrules_2019_preview_is_refused_loudly(raw: Raw) -> None:
    # spec ActionRules 2019-05-05-preview: 2019-05-05-preview is a different body shape the emulator does not model.
    response = raw("GET", RULE_PATH, **{"api-version": "2019-05-05-preview"})
    assert response.status_code == 400 and "2021-08-08" in response.text()


def test_bad_bodies_get_helpful_400s(raw: Raw) -> None:
    # ARM RPC: InvalidRequestContent for undeserialisable content; 415 for a non-JSON type.
    broken = raw(
        "PUT",
        f"{AG_PATH}/g",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
        **AG_VERSION,
    )
    assert (broken.status_code, error_code(broken)) == (400, "InvalidRequestContent")
    text = raw(
        "PUT", f"{AG_PATH}/g", content=b"x", headers={"Content-Type": "text/plain"}, **AG_VERSION
    )
    assert (text.status_code, error_code(text)) == (415, "UnsupportedMediaType")
    shape = raw("PUT", f"{AG_PATH}/g", [1, 2], **AG_VERSION)
    assert shape.status_code == 400 and "JSON object" in shape.text()
    wrong_type = raw(
        "PUT",
        f"{AG_PATH}/g",
        {**GOOD_GROUP, "properties": {"groupShortName": "g", "enabled": "yes"}},
        **AG_VERSION,
    )
    assert wrong_type.status_code == 400 and "boolean" in wrong_type.text()


@pytest.mark.parametrize(
    ("content", "path"),
    [
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, f"{AG_PATH}/g"),  # beyond the parser's stack
        (b'{"a":' * 500 + b"1" + b"}" * 500, f"{AG_PATH}/g"),  # parses, but deeper than 64
        (b'{"properties":' + b"[" * 200 + b"]" * 200 + b"}", f"{VAULT_PATH}/RSV-JPE-LRS"),
    ],
)
def test_deeply_nested_bodies_are_invalid_request_content(
    raw: Raw, content: bytes, path: str
) -> None:
    # ARM RPC: content that cannot be deserialized is 400 InvalidRequestContent, never a 500.
    method = "PATCH" if "vaults" in path else "PUT"
    version = {"api-version": "2026-11-01"} if "vaults" in path else AG_VERSION
    response = raw(
        method, path, content=content, headers={"Content-Type": "application/json"}, **version
    )
    assert (response.status_code, error_code(response)) == (400, "InvalidRequestContent")
    assert "nested deeper" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        (
            "GET",
            f"{SUB_PATH}/providers/Microsoft.Storage/storageAccounts",
            400,
            "InvalidResourceNamespace",
        ),
        (
            "GET",
            f"{SUB_PATH}/providers/Microsoft.Insights/metricAlerts",
            400,
            "InvalidResourceType",
        ),
        ("DELETE", f"{VAULT_PATH}/RSV-JPE-LRS", 501, "NotImplemented"),
        ("GET", f"{VAULT_PATH}/RSV-JPE-LRS/backupconfig/vaultconfig", 501, "NotImplemented"),
        ("GET", "/no/such/route", 404, "NotFound"),
    ],
)
def test_unknown_routes_fail_loudly(
    raw: Raw, method: str, path: str, status: int, code: str
) -> None:
    # Issue 3: never a fake success for an unimplemented route.
    response = raw(method, path, **{"api-version": "2026-11-01"})
    assert (response.status_code, error_code(response)) == (status, code)


def test_arm_headers_and_rate_limit_counts(world: Emulator, raw: Raw) -> None:
    # ARM RPC + Learn request-limits-and-throttling: x-ms-request-id; remaining tokens per operation type.
    # Tracking without enforcement; a negligible refill keeps the counts deterministic.
    world.control.set_throttling(False, {"reads": (250, 0.001)})
    first = raw("GET", AG_PATH, **AG_VERSION)
    second = raw("GET", AG_PATH, **AG_VERSION)
    write = raw("PUT", f"{AG_PATH}/g", GOOD_GROUP, **AG_VERSION)
    delete = raw("DELETE", f"{AG_PATH}/g", **AG_VERSION)
    assert first.headers["x-ms-request-id"] != second.headers["x-ms-request-id"]
    assert "x-ms-correlation-request-id" in first.headers
    reads = int(second.headers["x-ms-ratelimit-remaining-subscription-reads"])
    assert reads == int(first.headers["x-ms-ratelimit-remaining-subscription-reads"]) - 1 == 248
    assert int(write.headers["x-ms-ratelimit-remaining-subscription-writes"]) <= 199
    assert int(delete.headers["x-ms-ratelimit-remaining-subscription-deletes"]) <= 199


def test_throttling_enforced_gives_429_with_retry_after(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    # Learn, request-limits-and-throttling: 429 SubscriptionRequestsThrottled + Retry-After; azure-core retries it.
    world.control.set_throttling(True, {"reads": (1, 1.0)})
    list(monitor_client.action_groups.list_by_subscription_id())
    list(monitor_client.action_groups.list_by_subscription_id())  # 429, waits Retry-After, succeeds
    throttled = [r for r in world.control.requests() if r["status"] == 429]
    assert throttled and throttled[0]["method"] == "GET"


def test_throttled_message_is_the_documented_one(world: Emulator, raw: Raw) -> None:
    world.control.set_throttling(True, {"writes": (0, 0.5)})
    response = raw("PUT", f"{AG_PATH}/g", GOOD_GROUP, retry_total=0, **AG_VERSION)
    assert (response.status_code, error_code(response)) == (429, "SubscriptionRequestsThrottled")
    assert "Number of 'write' requests for subscription" in response.json()["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 1


def test_sdk_error_parsing_of_the_envelope(monitor_client: MonitorManagementClient) -> None:
    # azure-core ODataV4Format: str(e) is "(Code) Message".
    with pytest.raises(HttpResponseError, match=r"\(ResourceNotFound\)"):
        monitor_client.action_groups.get("rg-monitoring", "ghost")
