"""Replays the official REST examples: request body in, response status and shape out.

Source: the official examples vendored under tests/fixtures/azure-rest-api (MIT; see its
README): insights-actiongroups 2023-01-01, alertprocessingrules 2021-08-08,
recoveryservices-vaults 2026-11-01.
Each example's own subscription and resource group are seeded first, plus any action group
its body references (the service checks them), so ids and names stay as the example has them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from provisioner.emulator import Emulator
from tests.emulator.conftest import Raw

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "tests" / "fixtures" / "azure-rest-api"
FOLDERS = {
    "insights-actiongroups/2023-01-01": "/providers/Microsoft.Insights/actionGroups",
    "alertsmanagement-alertprocessingrules/2021-08-08": "/providers/Microsoft.AlertsManagement/actionRules",
    "recoveryservices-vaults/2026-11-01": "/providers/Microsoft.RecoveryServices/vaults",
}
NAME_PARAMS = ("actionGroupName", "alertProcessingRuleName", "vaultName")
NOT_MODELLED = {"DeleteVault.json": "vault DELETE is not modelled (alertsync never deletes vaults)"}
GUID = re.compile(r"^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$", re.IGNORECASE)
PLACEHOLDER_SUBSCRIPTION = "5ab1d000-0000-4000-8000-000000000001"
AG_ID = re.compile(
    r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/microsoft\.insights/actiongroups/([^/]+)$",
    re.IGNORECASE,
)


def examples() -> list[Any]:
    """Every vendored example but those NOT_MODELLED (left out by name, with the reason there)."""
    found = []
    for folder, provider in FOLDERS.items():
        for path in sorted((SPECS / folder).glob("*.json")):
            if path.name not in NOT_MODELLED:
                found.append(pytest.param(path, provider, id=path.stem))
    return found


def test_examples_left_out_are_vendored_and_really_not_modelled(world: Emulator, raw: Raw) -> None:
    # The list names real files (a renamed example would otherwise be replayed silently), and
    # what it leaves out is refused by the emulator rather than faked as a success.
    vendored = {path.name for folder in FOLDERS for path in (SPECS / folder).glob("*.json")}
    assert set(NOT_MODELLED) <= vendored
    vault = f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
    seed_scope(world, PLACEHOLDER_SUBSCRIPTION, "rg")
    answer = raw("DELETE", vault, None, **{"api-version": "2026-11-01"})
    assert answer.status_code >= 400


def with_guid_subscription(text: str) -> str:
    """The example with a placeholder subscription ("subId1") replaced by a GUID everywhere:
    Azure subscription ids are GUIDs, and the emulator's seed accepts nothing else."""
    subscription = json.loads(text)["parameters"]["subscriptionId"]
    if GUID.match(subscription):
        return text
    return text.replace(subscription, PLACEHOLDER_SUBSCRIPTION)


# The examples' ARM role receivers name the placeholder GUID they use for everything (their
# subscription too). A test notification to a role action groups cannot email is refused
# (NotSupportedArmRole), so the placeholder stands for a role they can: Monitoring Reader.
PLACEHOLDER_ROLE = '"roleId": "11111111-1111-1111-1111-111111111111"'
MONITORING_READER_ROLE = '"roleId": "43d0d8ad-25c7-4714-9337-8ba259a9fe05"'


def with_real_roles(text: str) -> str:
    """The example with its placeholder roleId replaced by a supported built-in role's id."""
    return text.replace(PLACEHOLDER_ROLE, MONITORING_READER_ROLE)


def operation(name: str) -> str:
    """What an example exercises, from its file name."""
    lowered = name.lower()
    for needle, op in (
        ("enablereceiver", "subscribe"),
        ("posttestnotifications", "notify"),
        ("gettestnotifications", "notificationStatus"),
        ("delete", "DELETE"),
        ("patch", "PATCH"),
        ("put", "PUT"),
        ("create", "PUT"),
        ("list", "LIST"),
        ("get", "GET"),
    ):
        if needle in lowered:
            return op
    raise AssertionError(f"unknown example kind: {name}")


def seed_scope(emulator: Emulator, subscription: str, group: str | None) -> None:
    groups = [{"name": group, "location": "westus"}] if group else []
    emulator.control.seed({"subscriptions": [{"id": subscription, "resourceGroups": groups}]})


def ensure_action_groups(emulator: Emulator, raw: Raw, body: Any) -> None:
    """Create every action group the body references (rules may only name existing ones)."""
    for candidate in re.findall(r'"(/subscriptions/[^"]+)"', json.dumps(body)):
        found = AG_ID.match(candidate)
        if found is None:
            continue
        sub, group, name = found.groups()
        seed_scope(emulator, sub, group)
        path = f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Insights/actionGroups/{name}"
        raw(
            "PUT",
            path,
            {"location": "Global", "properties": {"groupShortName": name[:12], "enabled": True}},
            **{"api-version": "2023-01-01"},
        )


def as_request(body: dict[str, Any], base: str) -> dict[str, Any]:
    """A response body turned into a PUT body: read-only fields dropped, and action-group
    references that are not ids (e.g. "actiongGroup1" in the GetById example's response)
    substituted by ids in the example's resource group."""
    request = json.loads(
        json.dumps(
            {k: v for k, v in body.items() if k not in ("id", "name", "type", "etag", "systemData")}
        )
    )
    group_scope = base.split("/providers/", maxsplit=1)[0]
    for action in request.get("properties", {}).get("actions", []):
        ids = action.get("actionGroupIds", [])
        action["actionGroupIds"] = [
            i if AG_ID.match(i) else f"{group_scope}/providers/Microsoft.Insights/actionGroups/{i}"
            for i in ids
        ]
    return request


def put_existing(
    emulator: Emulator, raw: Raw, base: str, name: str, body: dict[str, Any], *, version: str
) -> None:
    """Make the resource an example reads, patches or deletes exist first (vaults via the seed,
    which keeps the service's read-only fields as the example shows them)."""
    if base.lower().endswith("/vaults"):
        sub, group = base.split("/")[2], base.split("/")[4]
        vault = {
            "name": name,
            **{
                k: v
                for k, v in body.items()
                if k in ("location", "properties", "sku", "tags", "identity")
            },
        }
        groups = [{"name": group, "location": "westus", "vaults": [vault]}]
        emulator.control.seed({"subscriptions": [{"id": sub, "resourceGroups": groups}]})
        return
    request = as_request(body, base)
    ensure_action_groups(emulator, raw, request)
    response = raw("PUT", f"{base}/{name}", request, **{"api-version": version})
    assert response.status_code in (200, 201), response.text()


def first_body(example: dict[str, Any]) -> dict[str, Any] | None:
    for response in example["responses"].values():
        if isinstance(response, dict) and isinstance(response.get("body"), dict):
            return response["body"]
    return None


def shape_problems(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Keys the example has that we lack (recursively; lists compared by their first item)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object"]
        if where.endswith(".tags"):
            return []  # user data: the PUT example's response even shows other tags than sent
        problems = [f"{where}.{k}: missing" for k in expected if k not in actual]
        return problems + [
            p
            for k in expected
            if k in actual
            for p in shape_problems(expected[k], actual[k], f"{where}.{k}")
        ]
    if isinstance(expected, list) and expected and isinstance(actual, list) and actual:
        return shape_problems(expected[0], actual[0], f"{where}[0]")
    return []


@pytest.mark.parametrize(("path", "provider"), examples())
def test_official_example_replays(world: Emulator, raw: Raw, path: Path, provider: str) -> None:
    example = json.loads(with_guid_subscription(with_real_roles(path.read_text())))
    params, responses = example["parameters"], example["responses"]
    version, subscription, group = (
        params["api-version"],
        params["subscriptionId"],
        params.get("resourceGroupName"),
    )
    seed_scope(world, subscription, group)
    scope = f"/subscriptions/{subscription}" + (f"/resourceGroups/{group}" if group else "")
    base = scope + provider
    name = next((params[p] for p in NAME_PARAMS if p in params), None)
    request_body = next((v for v in params.values() if isinstance(v, dict)), None)
    op = operation(path.name)
    expected_body = first_body(example)
    method, url = op, f"{base}/{name}"
    if op in ("GET", "PATCH", "DELETE", "subscribe") and expected_body is not None:
        put_existing(world, raw, base, str(name), expected_body, version=version)
    elif op in ("PATCH", "DELETE", "subscribe", "notify", "notificationStatus"):
        existing = {
            "location": "Global",
            "properties": {
                "groupShortName": "sample",
                "enabled": True,
                "smsReceivers": [
                    {"name": "John Doe's mobile", "countryCode": "1", "phoneNumber": "1234567890"}
                ],
            },
        }
        if "vaults" in provider:
            existing = {"location": "westus", "properties": {}}
        if "actionRules" in provider:
            existing = {
                "location": "Global",
                "properties": {
                    "scopes": [scope],
                    "actions": [{"actionType": "RemoveAllActionGroups"}],
                },
            }
        put_existing(world, raw, base, str(name), existing, version=version)
    if op == "LIST":
        for item in expected_body["value"] if expected_body else []:
            item_base = item["id"].rsplit("/", 1)[0]
            seed_scope(world, item_base.split("/")[2], item_base.split("/")[4])
            put_existing(world, raw, item_base, item["name"], item, version=version)
        if expected_body and "nextLink" in expected_body:  # make our first page a partial one too
            world.control.settings(pageSize=max(1, len(expected_body["value"]) - 1))
        method, url = "GET", base
    elif op == "subscribe":
        method, url = "POST", f"{base}/{name}/subscribe"
    elif op == "notify":
        method, url = "POST", f"{base}/{name}/createNotifications"
    elif op == "notificationStatus":
        posted = raw(
            "POST",
            f"{base}/{name}/createNotifications",
            {"alertType": "budget"},
            **{"api-version": version},
        )
        method, url = "GET", posted.headers["Location"].split("?")[0].removeprefix(world.url)
    elif op == "PUT" and request_body is not None:
        ensure_action_groups(world, raw, request_body)
    response = raw(
        method,
        url,
        request_body if method in ("PUT", "PATCH", "POST") else None,
        **{"api-version": version},
    )
    assert str(response.status_code) in responses, (
        f"{response.status_code} not in {list(responses)}: {response.text()}"
    )
    spec_body = (
        responses[str(response.status_code)].get("body")
        if isinstance(responses[str(response.status_code)], dict)
        else None
    )
    if isinstance(spec_body, dict):
        problems = shape_problems(spec_body, response.json())
        assert not problems, problems
