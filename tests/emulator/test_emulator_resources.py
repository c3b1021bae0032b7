"""Resources - List and provider metadata through azure-mgmt-resource (api 2025-04-01).

Facts: docs/azure-behaviour.md#resources--list-tags-and-provider-metadata (the Resources_List
`$filter` description in specification/resources/resource-manager/Microsoft.Resources, which
the SDK repeats in `ResourcesOperations.list`).
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient

from provisioner.emulator import Emulator, odata
from tests.emulator.conftest import SUB_PATH, Raw, error_code

VERSION = {"api-version": "2025-04-01"}


def names(resources: object) -> list[str]:
    return sorted(r.name for r in resources)  # type: ignore[attr-defined]


def test_every_modelled_type_is_listed_without_properties(
    evidence: Emulator, resource_client: ResourceManagementClient
) -> None:
    listed = {r.name: r for r in resource_client.resources.list()}
    assert {name: r.type for name, r in listed.items()} == {
        "RSV-JPE-LRS": "Microsoft.RecoveryServices/vaults",
        "vm-app": "Microsoft.Compute/virtualMachines",
        "vm-db": "Microsoft.Compute/virtualMachines",
        "vm-off": "Microsoft.Compute/virtualMachines",
        "ag-oncall": "microsoft.insights/actiongroups",
        "apr-backup": "Microsoft.AlertsManagement/actionRules",
    }
    assert listed["ag-oncall"].location == "global"
    assert listed["RSV-JPE-LRS"].tags == {"Env": "prod"}
    assert listed["vm-db"].tags is None  # an untagged resource has no tags member
    assert listed["RSV-JPE-LRS"].properties is None  # GenericResourceExpanded: no properties


def test_list_by_resource_group(
    evidence: Emulator, resource_client: ResourceManagementClient
) -> None:
    assert names(resource_client.resources.list_by_resource_group("RG-VMS")) == [
        "vm-app",
        "vm-db",
        "vm-off",
    ]
    with pytest.raises(ResourceNotFoundError, match="ResourceGroupNotFound"):
        list(resource_client.resources.list_by_resource_group("rg-none"))


def test_a_tag_filter_returns_no_tags_and_matches_names_ignoring_case(
    evidence: Emulator, resource_client: ResourceManagementClient
) -> None:
    # "When you filter by a tag name and value, the tags for each resource are not returned."
    found = list(resource_client.resources.list(filter="tagName eq 'env' and tagValue eq 'prod'"))
    assert [(r.name, r.tags) for r in found] == [("RSV-JPE-LRS", None)]  # values are case-sensitive
    found = list(resource_client.resources.list(filter="tagName eq 'ENV'"))
    assert names(found) == ["RSV-JPE-LRS", "vm-app"]
    assert names(resource_client.resources.list(filter="startswith(tagName, 'managed')")) == [
        "ag-oncall"
    ]


@pytest.mark.parametrize(
    "combined",
    [
        "tagName eq 'env' and tagValue eq 'prod' and resourceType eq 'Microsoft.RecoveryServices/vaults'",
        "resourceGroup eq 'rg-vms' and tagName eq 'env'",
        "tagValue eq 'prod'",
        "tagName eq 'env' or tagName eq 'Env'",
    ],
)
def test_a_tag_filter_cannot_be_combined(
    evidence: Emulator, resource_client: ResourceManagementClient, combined: str
) -> None:
    with pytest.raises(HttpResponseError, match="InvalidFilterInQueryString") as caught:
        list(resource_client.resources.list(filter=combined))
    assert caught.value.status_code == 400


def test_property_filters_combine_and_keep_tags(
    evidence: Emulator, resource_client: ResourceManagementClient
) -> None:
    vaults = list(
        resource_client.resources.list(filter="resourceType eq 'microsoft.recoveryservices/VAULTS'")
    )
    assert [(r.name, r.tags) for r in vaults] == [("RSV-JPE-LRS", {"Env": "prod"})]
    found = resource_client.resources.list(
        filter="resourceGroup eq 'rg-vms' and substringof('db', name) or name eq 'ag-oncall'"
    )
    assert names(found) == ["ag-oncall", "vm-db"]
    found = resource_client.resources.list(
        filter="resourceType ne 'Microsoft.Compute/virtualMachines' and location eq 'Japan East'"
    )
    assert names(found) == ["RSV-JPE-LRS"]


@pytest.mark.parametrize(
    "bad", ["kind eq 'x'", "name gt 'a'", "name eq 'unterminated", "substringof('a', location)"]
)
def test_a_filter_outside_the_documented_language_is_refused(
    evidence: Emulator, raw: Raw, bad: str
) -> None:
    response = raw("GET", f"{SUB_PATH}/resources", **{"$filter": bad}, **VERSION)
    assert (response.status_code, error_code(response)) == (400, "InvalidFilterInQueryString")
    assert (
        response.json()["error"]["message"]
        == f"Invalid $filter '{bad}' specified in the query string."
    )


def test_top_is_the_page_size_and_pages_follow_next_link(
    evidence: Emulator, resource_client: ResourceManagementClient, raw: Raw
) -> None:
    first = raw("GET", f"{SUB_PATH}/resources", **{"$top": "2"}, **VERSION).json()
    assert len(first["value"]) == 2 and "$top=2" in first["nextLink"]
    assert len(list(resource_client.resources.list(top=2))) == 6  # the SDK follows every page
    too_many = raw("GET", f"{SUB_PATH}/resources", **{"$top": "1001"}, **VERSION)
    assert (too_many.status_code, error_code(too_many)) == (400, "InvalidTopInQueryString")


def test_a_filter_holds_on_every_page(
    evidence: Emulator, resource_client: ResourceManagementClient
) -> None:
    evidence.control.settings(pageSize=1)
    found = resource_client.resources.list(
        filter="resourceType eq 'Microsoft.Compute/virtualMachines'"
    )
    assert names(found) == ["vm-app", "vm-db", "vm-off"]


def test_expand_adds_provisioning_state_and_times_where_recorded(
    evidence: Emulator, resource_client: ResourceManagementClient
) -> None:
    listed = {
        r.name: r
        for r in resource_client.resources.list(expand="createdTime,changedTime,provisioningState")
    }
    assert listed["RSV-JPE-LRS"].provisioning_state == "Succeeded"
    assert listed["apr-backup"].created_time is not None  # rules record systemData
    assert listed["RSV-JPE-LRS"].created_time is None


def test_provider_metadata_lists_types_locations_and_versions_newest_first(
    evidence: Emulator, resource_client: ResourceManagementClient
) -> None:
    provider = resource_client.providers.get("microsoft.insights")
    assert (provider.namespace, provider.registration_state) == ("Microsoft.Insights", "Registered")
    (action_groups,) = provider.resource_types
    assert action_groups.resource_type == "actionGroups"
    assert action_groups.api_versions == ["2024-10-01-preview", "2023-01-01"]
    assert "Global" in action_groups.locations
    backup = resource_client.providers.get("Microsoft.RecoveryServices")
    assert [t.resource_type for t in backup.resource_types] == [
        "vaults",
        "vaults/backupProtectedItems",
    ]


def test_an_unmodelled_namespace_is_not_found(
    evidence: Emulator, resource_client: ResourceManagementClient
) -> None:
    with pytest.raises(ResourceNotFoundError, match="InvalidResourceNamespace"):
        resource_client.providers.get("Microsoft.Storage")


def test_the_filter_grammar() -> None:
    parsed = odata.parse("(name eq 'it''s' or substringof('x', name)) and resourceGroup ne 'rg'")
    assert [(c.name, c.op, c.value) for c in parsed.clauses()] == [
        ("name", "eq", "it's"),
        ("name", "substringof", "x"),
        ("resourceGroup", "ne", "rg"),
    ]
    with pytest.raises(odata.FilterError):
        odata.parse("name eq 'x' and")
