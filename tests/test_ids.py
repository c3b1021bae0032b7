"""ResourceId parses ARM IDs, compares them as ARM does (ignoring case) and renders one spelling."""

from __future__ import annotations

import pytest

from provisioner.ids import ACTION_GROUP_TYPE, ResourceId

SUB = "00000000-0000-0000-0000-000000000000"


def test_recased_ids_are_equal_and_hash_alike() -> None:
    a = ResourceId.parse(
        f"/subscriptions/{SUB}/resourceGroups/RG/providers/Microsoft.Insights/actionGroups/AG"
    )
    b = ResourceId.parse(
        f"/SUBSCRIPTIONS/{SUB}/resourcegroups/rg/providers/microsoft.insights/actiongroups/ag"
    )
    assert a == b
    assert hash(a) == hash(b)
    assert {a: 1}[b] == 1


def test_rendering_is_canonical_and_keeps_name_casing() -> None:
    rid = ResourceId.parse(
        f"/subscriptions/{SUB}/resourcegroups/Rg-X/providers/microsoft.insights/actiongroups/My AG"
    )
    assert (
        str(rid)
        == f"/subscriptions/{SUB}/resourceGroups/Rg-X/providers/Microsoft.Insights/actionGroups/My AG"
    )
    assert rid.resource_type == ACTION_GROUP_TYPE
    assert rid.name == "My AG"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"/subscriptions/{SUB}", "subscription"),
        (f"/subscriptions/{SUB}/resourceGroups/rg", "group"),
    ],
)
def test_subscription_and_group_scopes(text: str, kind: str) -> None:
    rid = ResourceId.parse(text)
    assert rid.is_subscription is (kind == "subscription")
    assert rid.is_resource_group is (kind == "group")
    assert str(rid) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "subscriptions/x",
        "/resourceGroups/rg",
        f"/subscriptions/{SUB}/resourceGroups",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Insights/actionGroups",
    ],
)
def test_malformed_ids_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"ARM ID|resource group"):
        ResourceId.parse(text)


def test_describe_names_kind_group_and_subscription() -> None:
    rid = ResourceId.for_resource(SUB, "rg-y", ACTION_GROUP_TYPE, "ag-x")
    assert rid.describe() == f'action group "ag-x" (rg "rg-y", sub "{SUB}")'
