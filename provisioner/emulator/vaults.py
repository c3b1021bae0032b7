"""Backend for Microsoft.RecoveryServices/vaults (api 2026-11-01): seeded vaults, alert settings.

Assumption (Learn, backup-azure-monitoring-alerts: job-failure alerts are on by default; what a
GET of such a vault returns is UNCONFIRMED): a vault seeded without `monitoringSettings` reads back
the documented defaults (job-failure alerts Enabled, classic alerts Enabled). Seed
`properties: {monitoringSettings: null}` to get a vault whose GET omits the block instead.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from provisioner.emulator.exceptions import BadRequest
from provisioner.emulator.models import (
    DEFAULT_TENANT_ID,
    OBJECT,
    STRING,
    JsonObject,
    World,
    check_field_types,
    optional_tags,
    require_object,
    require_string,
)
from provisioner.emulator.resource_types import (
    ResourceType,
    canonical_location,
    check_location_unchanged,
    store,
    stored,
)

RESPONSE_TYPE = "Microsoft.RecoveryServices/vaults"
TYPE = ResourceType(RESPONSE_TYPE, id_provider=RESPONSE_TYPE)
KIND = TYPE.kind
DEFAULT_MONITORING: JsonObject = {
    "azureMonitorAlertSettings": {"alertsForAllJobFailures": "Enabled"},
    "classicAlertSettings": {"alertsForCriticalOperations": "Enabled"},
}
# The writable VaultProperties members (2026-11-01 as azure-mgmt-recoveryservices 4.3.0 models
# them; 2023-02-01 has a subset, spec RSV23). VaultProperties declares no additionalProperties,
# so any other member sent in a PUT or PATCH is not part of the contract: the emulator ignores
# it, as a deserializer into the service's model would (whether the service instead rejects it
# is UNCONFIRMED). The service's read-only properties (provisioningState, moveState, ...) are
# not in this allowlist either, so `writable()` drops them from a PUT or PATCH too.
WRITABLE_PROPERTIES = {
    "encryption": OBJECT, "publicNetworkAccess": STRING, "monitoringSettings": OBJECT,
    "costManagementSettings": OBJECT, "restoreSettings": OBJECT, "redundancySettings": OBJECT,
    "securitySettings": OBJECT, "regionOfChoiceSettings": OBJECT,
}  # fmt: skip


# Fields of the vault body the emulator stores, with their spec types (spec RSV23 definitions
# TrackedResource/PatchTrackedResource, Sku, IdentityData).
VAULT_FIELDS = {"location": STRING, "etag": STRING, "sku": OBJECT, "identity": OBJECT}
SKU_FIELDS = {"name": STRING, "tier": STRING, "family": STRING, "size": STRING, "capacity": STRING}
IDENTITY_FIELDS = {"type": STRING, "userAssignedIdentities": OBJECT}


def check_vault_types(request: JsonObject) -> None:
    """Every top-level field the emulator stores has its spec type (PUT and PATCH alike)."""
    check_field_types(request, VAULT_FIELDS, "")
    if request.get("sku") is not None:
        check_field_types(request["sku"], SKU_FIELDS, "sku")
    if request.get("identity") is not None:
        check_field_types(request["identity"], IDENTITY_FIELDS, "identity")


def etag() -> str:
    """A weak etag in the service's datetime form (examples/GETVault.json)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%%3A%M%%3A%S.%fZ")
    return f"W/\"datetime'{stamp}'\""


def put(
    world: World,
    subscription: str,
    resource_group: str,
    name: str,
    body: Any,
    *,
    seeded: bool = False,
) -> tuple[int, JsonObject]:
    """Create (201) or replace (200) a vault, synchronously; used by seeding and PUT."""
    world.resource_group(subscription, resource_group)
    request = require_object(body, "the request body")
    check_vault_types(request)
    location = require_string(request, "location", "the vault")
    previous = world.get(TYPE.key(subscription, resource_group, name))
    check_location_unchanged(previous, location, name, resource_group)
    properties = dict(require_object(request.get("properties") or {}, "'properties'"))
    if not seeded:  # a seed is raw ARM JSON and may carry the service's read-only fields
        properties = writable(properties)
    if "monitoringSettings" not in properties:
        properties["monitoringSettings"] = copy.deepcopy(DEFAULT_MONITORING)
    elif properties["monitoringSettings"] is None:
        del properties["monitoringSettings"]
    else:
        validate_monitoring(properties["monitoringSettings"])
    properties["provisioningState"] = "Succeeded"
    response: JsonObject = {
        "id": TYPE.resource_id(subscription, resource_group, name),
        "name": name,
        "type": RESPONSE_TYPE,
        "etag": etag(),
        "location": canonical_location(location),
        "tags": optional_tags(request),
        "sku": {
            "tier": "Standard",
            **require_object(request.get("sku") or {"name": "Standard"}, "'sku'"),
        },
        "properties": properties,
    }
    if request.get("identity") is not None:
        response["identity"] = with_identity_ids(require_object(request["identity"], "'identity'"))
    return store(world, TYPE, subscription, resource_group, name, body=response), response


def with_identity_ids(identity: JsonObject) -> JsonObject:
    """A system-assigned identity gets the read-only principalId and tenantId (GETVault.json)."""
    result = dict(identity)
    if "systemassigned" in str(result.get("type", "")).lower():
        result.setdefault("principalId", str(uuid.uuid4()))
        result.setdefault("tenantId", DEFAULT_TENANT_ID)
    return result


def validate_monitoring(value: Any) -> None:
    """monitoringSettings: each alert setting Enabled|Disabled (AlertsState, any case)."""
    monitoring = require_object(value, "'properties.monitoringSettings'")
    for block_name, block in monitoring.items():
        if block is None:
            continue
        for setting, state in require_object(block, f"'monitoringSettings.{block_name}'").items():
            if state is not None and (
                not isinstance(state, str) or state.lower() not in ("enabled", "disabled")
            ):
                raise BadRequest(
                    f"monitoringSettings.{block_name}.{setting} '{state}' is not valid; allowed values: Enabled, Disabled.",
                    code="UserErrorInvalidRequestParameter",
                )


def patch(world: World, subscription: str, resource_group: str, name: str, body: Any) -> JsonObject:
    """PatchVault: JSON merge-patch into properties, tags replaced (ARM RPC resource-api-reference)."""
    found = stored(world, TYPE, subscription, resource_group, name)
    request = require_object(body, "the request body")
    unknown = set(request) - {"properties", "tags", "sku", "identity", "etag", "location"}
    if unknown:
        raise BadRequest(f"Unknown top-level properties in the vault patch: {sorted(unknown)}.")
    check_vault_types(request)
    if (
        "location" in request
        and canonical_location(str(request["location"])) != found.body["location"]
    ):
        raise BadRequest(
            "The location of a vault cannot be changed.", code="LocationNotAvailableForResourceType"
        )
    patch_properties = dict(require_object(request.get("properties") or {}, "'properties'"))
    patch_properties = writable(patch_properties)
    if patch_properties.get("monitoringSettings") is not None:
        validate_monitoring(patch_properties["monitoringSettings"])
    merged = merge_patch(found.body["properties"], patch_properties)
    found.body["properties"] = merged
    if "tags" in request:
        found.body["tags"] = optional_tags(request)
    for key in ("sku", "identity"):
        if request.get(key) is not None:
            found.body[key] = merge_patch(
                found.body.get(key) or {}, require_object(request[key], f"'{key}'")
            )
    found.body["etag"] = etag()
    return found.body


def writable(properties: JsonObject) -> JsonObject:
    """The members of a request's properties the service takes (read-only and unknown dropped),
    each of its declared type."""
    check_field_types(properties, WRITABLE_PROPERTIES, "properties")
    return {key: value for key, value in properties.items() if key in WRITABLE_PROPERTIES}


def merge_patch(target: JsonObject, patch_doc: JsonObject) -> JsonObject:
    """RFC 7396 JSON merge-patch: objects merge recursively, null deletes, anything else replaces.

    An object merged where the target has none is merged into {} (RFC 7396 §2), so its own
    null members are removed too, never stored.
    """
    result = copy.deepcopy(target)
    for key, value in patch_doc.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            current = result.get(key)
            result[key] = merge_patch(current if isinstance(current, dict) else {}, value)
        else:
            result[key] = copy.deepcopy(value)
    return result
