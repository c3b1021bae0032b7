"""Lists read as JSON pages: nextLink followed with our API version, on ARM's host only, and
every page and item checked against the documented shape (the mappings read plain JSON and the
SDK's models alike)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.rest import HttpRequest
from azure.mgmt.alertprocessingrules import models as apr_sdk
from azure.mgmt.recoveryservices import models as rsv_sdk
from hypothesis import given

from provisioner.azure.arm_lists import MAX_PAGES, list_json, list_path
from provisioner.azure.client import Azure
from provisioner.azure.mappings import processing_rules, vaults
from provisioner.azure.mappings.arm_json import ArmShapeError
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.kinds import PROCESSING_RULE, VAULT
from provisioner.model import AlertProcessingRule
from tests.properties import examples
from tests.test_resources import APR_ID, VAULT_ID, generated_rules

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

SUB = "00000000-0000-0000-0000-000000000000"
ENDPOINT = "https://management.example"
PATH = "/subscriptions/s/providers/Microsoft.AlertsManagement/actionRules"


@dataclass
class _Answer:
    status_code: int
    body: Any

    def json(self) -> Any:
        if isinstance(self.body, bytes):
            raise ValueError("Expecting value: line 1 column 1 (char 0)")
        return self.body


@dataclass
class _Pages:
    """A client answering canned pages in turn, recording each URL it was sent."""

    pages: list[Any]
    sent: list[str] = field(default_factory=list)

    def send_request(self, request: HttpRequest, *, stream: bool = False, **kwargs: Any) -> Any:
        self.sent.append(request.url)
        return _Answer(200, self.pages[min(len(self.sent), len(self.pages)) - 1])


def _read(pages: list[Any]) -> tuple[list[Any], list[str]]:
    client = _Pages(pages)
    return list(list_json(client, PATH, "2021-08-08", ENDPOINT)), client.sent


def test_pages_are_followed_with_our_api_version() -> None:
    items, sent = _read(
        [
            {"value": [{"id": "a"}], "nextLink": f"{ENDPOINT}{PATH}?api-version=1999&$skip=1"},
            {"value": [{"id": "b"}], "nextLink": f"{ENDPOINT}:443{PATH}?$skipToken=x%2Fy"},
            {"value": [{"id": "c"}]},
        ]
    )
    assert [i["id"] for i in items] == ["a", "b", "c"]
    queries = [parse_qs(urlsplit(url).query) for url in sent]
    assert [q["api-version"] for q in queries] == [["2021-08-08"]] * 3
    assert queries[1]["$skip"] == ["1"] and queries[2]["$skipToken"] == ["x/y"]


def test_a_page_without_value_is_an_empty_page() -> None:
    assert _read([{}]) == ([], [f"{PATH}?api-version=2021-08-08"])


@pytest.mark.parametrize(
    ("pages", "says"),
    [
        ([b"<html>"], "a page is not JSON"),
        ([["a"]], "a page is not a JSON object"),
        ([{"value": "x"}], "value is not a list of objects"),
        ([{"value": [1]}], "value is not a list of objects"),
        ([{"value": [], "nextLink": 3}], "nextLink is not a URL"),
        ([{"value": [], "nextLink": f"http://management.example{PATH}"}], "leads off"),
        ([{"value": [], "nextLink": f"{ENDPOINT}:8443{PATH}"}], "leads off"),
        ([{"value": [], "nextLink": f"{ENDPOINT}:x{PATH}"}], "leads off"),
        ([{"value": [], "nextLink": f"https://elsewhere.example{PATH}"}], "leads off"),
        ([{"value": [], "nextLink": f"{ENDPOINT}/p"}] * 3, "back to a page already read"),
    ],
    ids=[
        "not-json",
        "a-list",
        "value-text",
        "value-numbers",
        "next-link-number",
        "next-link-http",
        "next-link-other-port",
        "next-link-bad-port",
        "next-link-other-host",
        "next-link-loop",
    ],
)
def test_answers_outside_the_shape_are_refused(pages: list[Any], says: str) -> None:
    with pytest.raises(ArmShapeError, match=says):
        _read(pages)


def test_a_list_that_never_ends_is_refused() -> None:
    class _Endless:
        count = 0

        def send_request(self, request: HttpRequest, **kwargs: Any) -> Any:
            self.count += 1
            return _Answer(200, {"value": [], "nextLink": f"{ENDPOINT}/p?n={self.count}"})

    with pytest.raises(ArmShapeError, match=f"past {MAX_PAGES} pages"):
        list(list_json(_Endless(), PATH, "v", ENDPOINT))


def test_list_paths_of_a_resource_group_and_a_subscription() -> None:
    sub = "00000000-0000-0000-0000-000000000000"
    assert list_path(ResourceId(sub, "rg-a"), VAULT.arm_type) == (
        f"/subscriptions/{sub}/resourceGroups/rg-a/providers/Microsoft.RecoveryServices/vaults"
    )
    assert list_path(ResourceId(sub), PROCESSING_RULE.arm_type) == (
        f"/subscriptions/{sub}/providers/Microsoft.AlertsManagement/actionRules"
    )


# --- the mappings read JSON and the SDK's models alike ----------------------------------------


@examples(100)
@given(generated_rules())
def test_a_rule_reads_the_same_from_json_and_from_the_sdk_model(rule: AlertProcessingRule) -> None:
    body = {**processing_rules.to_arm(rule).as_dict(), "id": str(rule.id)}
    from_json = processing_rules.from_arm(body)
    assert from_json == processing_rules.from_arm(apr_sdk.AlertProcessingRule(body)) == rule


def test_a_vault_reads_the_same_from_json_and_from_the_sdk_model() -> None:
    body = {
        "id": VAULT_ID,
        "tags": {"team": "a"},
        "properties": {"monitoringSettings": {"classicAlertSettings": {}}},
    }
    assert vaults.from_arm(body) == vaults.from_arm(rsv_sdk.Vault(body))


@pytest.mark.parametrize(
    ("properties", "says"),
    [
        ({"scopes": "x"}, "scopes is text, not a list"),
        ({"scopes": [1]}, "an item of scopes is a number, not text"),
        ({"actions": [{"actionType": "AddActionGroups", "actionGroupIds": "x"}]}, "not a list"),
        ({"conditions": [{"field": "Severity", "values": [True]}]}, "true or false, not text"),
        ({"schedule": []}, "schedule is a list, not an object"),
        ({"schedule": {"timeZone": 9}}, "timeZone is a number, not text"),
        ({"schedule": {"recurrences": [{"daysOfMonth": [1.5]}]}}, "not a whole number"),
        ({"schedule": {"recurrences": [{"daysOfMonth": [True]}]}}, "not a whole number"),
        ({"description": {}}, "description is an object, not text"),
        ({"enabled": 1}, "enabled is a number, not true or false"),
    ],
    ids=lambda v: str(v)[:30],
)
def test_a_rule_outside_the_shape_names_the_field(properties: dict[str, Any], says: str) -> None:
    body = {"id": APR_ID, "properties": {"scopes": [], "actions": [], **properties}}
    with pytest.raises(ArmShapeError, match=says):
        processing_rules.from_arm(body)


def test_a_rule_tag_or_location_outside_the_shape_names_it() -> None:
    with pytest.raises(ArmShapeError, match="tag 'team' is a list"):
        processing_rules.from_arm({"id": APR_ID, "tags": {"team": []}})
    with pytest.raises(ArmShapeError, match="location is a number"):
        processing_rules.from_arm({"id": APR_ID, "location": 1})
    with pytest.raises(ArmShapeError, match="without an id"):
        vaults.from_arm({"id": ""})


# --- through the facade, against the emulator -------------------------------------------------


@pytest.fixture
def azure(world: Emulator) -> Iterator[Azure]:
    with Azure(AzureSettings.from_env(world.env())) as client:
        yield client


def _seed_vaults(world: Emulator, group: str, names: list[str]) -> None:
    """A resource group of the test subscription holding these vaults."""
    vaults_in = [{"name": name, "location": "japaneast"} for name in names]
    group_doc = {"name": group, "location": "japaneast", "vaults": vaults_in}
    world.control.seed({"subscriptions": [{"id": SUB, "resourceGroups": [group_doc]}]})


def test_lists_page_through_the_emulator_with_the_sdk_api_version(
    azure: Azure, world: Emulator
) -> None:
    _seed_vaults(world, "rg-paged", [f"rsv-{i}" for i in range(3)])
    world.control.settings(pageSize=1)
    world.control.clear_requests()
    found = azure.list_resources(VAULT, ResourceId(SUB, "rg-paged"))
    assert sorted(v.id.name for v, _ in found) == ["rsv-0", "rsv-1", "rsv-2"]
    pages = [
        r
        for r in world.control.requests()
        if r["path"].endswith("rg-paged/providers/Microsoft.RecoveryServices/vaults")
    ]
    assert [r["status"] for r in pages] == [200, 200, 200]
    client = azure.clients.for_subscription(SUB).vaults
    assert client._config.api_version == vaults.API_VERSION  # the typed calls use the same one


def test_a_resource_group_name_with_spaces_and_parentheses_is_listed(
    azure: Azure, world: Emulator
) -> None:
    # Resource group names may hold parentheses, periods and letters beyond ASCII (Learn,
    # resource-name-rules); the emulator takes a space too. The path is encoded as the SDK
    # encodes it.
    group = "Rg (Prod).é"
    _seed_vaults(world, group, ["rsv-p"])
    found = azure.list_resources(VAULT, ResourceId(SUB, group))
    assert [v.id for v, _ in found] == [
        ResourceId(SUB, group, "Microsoft.RecoveryServices", ("vaults",), ("rsv-p",))
    ]
    assert list_path(ResourceId(SUB, group), VAULT.arm_type).startswith(
        f"/subscriptions/{SUB}/resourceGroups/Rg%20%28Prod%29.%C3%A9/providers/"
    )


def test_an_item_outside_the_shape_is_one_azure_error_naming_the_list(
    azure: Azure, world: Emulator
) -> None:
    bad = {"value": [{"id": APR_ID, "properties": {"scopes": 5}}]}
    world.control.add_fault("GET", "actionRules$", body=bad)
    with pytest.raises(AzureError) as raised:
        azure.list_resources(PROCESSING_RULE, ResourceId(SUB, "rg-monitoring"))
    message = str(raised.value)
    assert message.startswith('listing alert processing rules in resource group "rg-monitoring"')
    assert f"{APR_ID}: scopes is a number, not a list" in message
