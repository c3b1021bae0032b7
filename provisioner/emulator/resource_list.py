"""Resources - List (every modelled resource, `$filter`, `$expand`, `$top`) and provider metadata.

Facts: docs/azure-behaviour.md#resources--list-tags-and-provider-metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.emulator import action_groups, odata, processing_rules, vaults, virtual_machines
from provisioner.emulator.api_versions import (
    ACTION_GROUP_VERSIONS,
    ALERT_VERSIONS,
    COMPUTE_VERSIONS,
    PROTECTED_ITEM_VERSIONS,
    RULE_VERSIONS,
    VAULT_VERSIONS,
)
from provisioner.emulator.exceptions import BadRequest, NotFound
from provisioner.emulator.models import JsonObject, StoredResource, World
from provisioner.emulator.resource_types import canonical_location

# The type each listed kind has in Resources - List. Action groups are listed in lower case,
# as `az resource list` prints them (assumed from public transcripts).
LISTED_TYPES = {
    action_groups.KIND: "microsoft.insights/actiongroups",
    processing_rules.KIND: processing_rules.RESPONSE_TYPE,
    vaults.KIND: vaults.RESPONSE_TYPE,
    virtual_machines.KIND: virtual_machines.RESPONSE_TYPE,
}
# Properties `eq`/`ne` and substringof() take (the Resources_List $filter description).
EQ_PROPERTIES = (
    "location", "resourceType", "name", "resourceGroup", "identity", "identity/principalId",
    "plan", "plan/publisher", "plan/product", "plan/name", "plan/version", "plan/promotionCode",
)  # fmt: skip
SUBSTRING_PROPERTIES = ("name", "resourceGroup")
TAG_FORMS = (
    (("tagname", "eq"),),
    (("tagname", "eq"), ("tagvalue", "eq")),
    (("tagname", "startswith"),),
)
TOP_MAX = 1000  # a larger $top gets 400 InvalidTopInQueryString


def invalid_filter(text: str) -> BadRequest:
    """ARM's answer to a filter it does not take (wording from public CLI transcripts)."""
    return BadRequest(
        f"Invalid $filter '{text}' specified in the query string.",
        code="InvalidFilterInQueryString",
    )


def checked_filter(text: str | None) -> tuple[odata.Expression | None, bool]:
    """The parsed filter and whether it filters by tag. A tag filter stands alone: tagName,
    tagName and tagValue, or startswith(tagName, …); nothing may be combined with it."""
    if not text:
        return None, False
    try:
        expression = odata.parse(text)
    except odata.FilterError as error:
        raise invalid_filter(text) from error
    clauses = expression.clauses()
    form = tuple((c.name.lower(), c.op) for c in clauses)
    if any(name in ("tagname", "tagvalue") for name, _ in form):
        if (
            form not in TAG_FORMS
            or expression.connective != "and"
            or len(clauses) != len(expression.items)
        ):
            raise invalid_filter(text)
        return expression, True
    for clause in clauses:
        allowed = SUBSTRING_PROPERTIES if clause.op == "substringof" else EQ_PROPERTIES
        if clause.op == "startswith" or clause.name.lower() not in {p.lower() for p in allowed}:
            raise invalid_filter(text)
    return expression, False


def property_value(found: StoredResource, name: str) -> str:
    """The value a non-tag clause compares with, lower case."""
    body = found.body
    identity, plan = body.get("identity") or {}, body.get("plan") or {}
    values = {
        "location": canonical_location(str(body.get("location", ""))),
        "resourcetype": LISTED_TYPES[found.kind],
        "name": body["name"],
        "resourcegroup": found.resource_group,
        "identity": identity.get("type", ""),
        "identity/principalid": identity.get("principalId", ""),
        "plan": plan.get("name", ""),
    }
    if name.startswith("plan/"):
        return str(plan.get(name.split("/", 1)[1], "")).lower()
    return str(values.get(name, "")).lower()


def clause_holds(found: StoredResource, clause: odata.Clause) -> bool:
    """One clause for one resource: tags by name ignoring case and value exactly; the rest
    ignoring case (locations also ignoring spaces)."""
    name, wanted = clause.name.lower(), clause.value
    tags = {k.lower(): v for k, v in (found.body.get("tags") or {}).items()}
    if name == "tagname":
        keys = tags.keys()
        return (
            any(k.startswith(wanted.lower()) for k in keys)
            if clause.op == "startswith"
            else wanted.lower() in keys
        )
    if name == "tagvalue":
        return wanted in tags.values()
    actual = property_value(found, name)
    if name == "location":
        wanted = canonical_location(wanted)
    if clause.op == "substringof":
        return wanted.lower() in actual
    return (actual == wanted.lower()) == (clause.op == "eq")


def tag_matches(found: StoredResource, expression: odata.Expression) -> bool:
    """tagName and tagValue must hold for the same tag."""
    clauses = {c.name.lower(): c for c in expression.clauses()}
    name, value = clauses.get("tagname"), clauses.get("tagvalue")
    if value is None or name is None:
        return odata.evaluate(expression, lambda c: clause_holds(found, c))
    tags = {k.lower(): v for k, v in (found.body.get("tags") or {}).items()}
    return tags.get(name.value.lower()) == value.value


def generic(found: StoredResource, expand: set[str], *, with_tags: bool) -> JsonObject:
    """GenericResourceExpanded: no properties; tags only when it has some and no tag filter."""
    body = found.body
    item: JsonObject = {
        "id": body["id"],
        "name": body["name"],
        "type": LISTED_TYPES[found.kind],
        "location": canonical_location(str(body.get("location", ""))),
    }
    item.update({k: body[k] for k in ("kind", "sku", "identity", "plan") if body.get(k)})
    if with_tags and body.get("tags"):
        item["tags"] = body["tags"]
    item.update(expanded(body, expand))
    return item


def expanded(body: Mapping[str, Any], expand: set[str]) -> JsonObject:
    """$expand: provisioningState, and createdTime/changedTime where the resource records them."""
    system = body.get("systemData") or {}
    found = {
        "provisioningstate": (
            "provisioningState",
            (body.get("properties") or {}).get("provisioningState", "Succeeded"),
        ),
        "createdtime": ("createdTime", system.get("createdAt")),
        "changedtime": ("changedTime", system.get("lastModifiedAt")),
    }
    return {key: value for name, (key, value) in found.items() if name in expand and value}


def page_size(top: str | None) -> int | None:
    """$top: results per page (each page has a nextLink to the rest), 1 to 1000."""
    if top is None:
        return None
    if not top.isdigit() or not 1 <= int(top) <= TOP_MAX:
        raise BadRequest(
            f"Invalid $top '{top}' specified in the query string; it must be 1 to {TOP_MAX}.",
            code="InvalidTopInQueryString",
        )
    return int(top)


def listed(
    world: World, subscription: str, resource_group: str | None, query: Mapping[str, str]
) -> tuple[list[JsonObject], int | None]:
    """Resources - List of a subscription or resource group, and the page size $top asks for."""
    world.subscription(subscription)
    if resource_group is not None:
        world.resource_group(subscription, resource_group)
    expression, by_tag = checked_filter(query.get("$filter"))
    size = page_size(query.get("$top"))
    expand = {v.strip().lower() for v in query.get("$expand", "").split(",")}
    found = [
        r
        for r in world.resources.values()
        if r.kind in LISTED_TYPES
        and r.subscription == subscription.lower()
        and (resource_group is None or r.resource_group == resource_group.lower())
        and (expression is None or holds(r, expression, by_tag))
    ]
    return [generic(r, expand, with_tags=not by_tag) for r in found], size


def holds(found: StoredResource, expression: odata.Expression, by_tag: bool) -> bool:
    """Whether a resource passes the (checked) filter."""
    if by_tag:
        return tag_matches(found, expression)
    return odata.evaluate(expression, lambda c: clause_holds(found, c))


# ---- provider metadata (GET /subscriptions/{s}/providers/{namespace}) -------------------------

# Regions the emulator lists for regional types (assumed: a subset of Azure's public regions).
REGIONS = (
    "East US", "East US 2", "West US", "West US 2", "Central US", "North Europe", "West Europe",
    "UK South", "Sweden Central", "Germany West Central", "Japan East", "Japan West",
    "Australia East", "Southeast Asia", "Central India", "Canada Central", "Brazil South",
)  # fmt: skip
# Where regional action groups may be processed (Learn: action-groups, "Global and regional").
ACTION_GROUP_REGIONS = (
    "Global", "East US", "West US", "East US 2", "West US 2", "South Central US",
    "North Central US", "Sweden Central", "Germany West Central", "Central India", "South India",
)  # fmt: skip
PROVIDERS: dict[str, tuple[str, tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]]] = {
    "microsoft.insights": (
        "Microsoft.Insights",
        (("actionGroups", ACTION_GROUP_REGIONS, ACTION_GROUP_VERSIONS),),
    ),
    "microsoft.alertsmanagement": (
        "Microsoft.AlertsManagement",
        (("actionRules", ("Global",), RULE_VERSIONS), ("alerts", ("Global",), ALERT_VERSIONS)),
    ),
    "microsoft.recoveryservices": (
        "Microsoft.RecoveryServices",
        (
            ("vaults", REGIONS, VAULT_VERSIONS),
            ("vaults/backupProtectedItems", REGIONS, PROTECTED_ITEM_VERSIONS),
        ),
    ),
    "microsoft.compute": (
        "Microsoft.Compute",
        (("virtualMachines", REGIONS, COMPUTE_VERSIONS),),
    ),
}


def provider(world: World, subscription: str, namespace: str) -> JsonObject:
    """Provider metadata of a modelled namespace: its types, their locations and api-versions
    (newest first, as ARM lists them; `az resource show` picks from them)."""
    sub = world.subscription(subscription)
    known = PROVIDERS.get(namespace.lower())
    if known is None:
        raise NotFound(
            f"The resource namespace '{namespace}' is invalid or not modelled by the emulator"
            f" (it models {', '.join(name for name, _ in PROVIDERS.values())}).",
            code="InvalidResourceNamespace",
        )
    name, types = known
    return {
        "id": f"/subscriptions/{sub.subscription_id}/providers/{name}",
        "namespace": name,
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [
            {
                "resourceType": resource_type,
                "locations": list(locations),
                "apiVersions": sorted(versions, reverse=True),
                "capabilities": "None",
            }
            for resource_type, locations, versions in types
        ],
    }
