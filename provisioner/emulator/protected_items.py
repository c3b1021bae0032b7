"""Backend for a vault's backupProtectedItems (api 2026-10-01): Azure VMs it backs up.

Items are AzureIaaSComputeVMProtectedItem as the spec has them (protectedItemType
Microsoft.Compute/virtualMachines), seeded under a vault
(docs/azure-behaviour.md#protected-items-virtual-machines-and-guest-agents).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from provisioner.emulator import odata, vaults, virtual_machines
from provisioner.emulator.exceptions import BadRequest
from provisioner.emulator.models import ARM_ID, JsonObject, StoredResource, World, utc_now
from provisioner.emulator.resource_types import stored

ITEM_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
KIND = ITEM_TYPE.lower()
# The messages Learn gives for the guest-agent backup errors (backup-azure-troubleshoot-vm-
# backup-fails-snapshot-timeout); another code gets its own name as the message.
KNOWN_ERRORS = {
    "UserErrorGuestAgentStatusUnavailable": "VM Agent unable to communicate with Azure Backup",
    "GuestAgentSnapshotTaskStatusError": "Could not communicate with the VM agent for snapshot status",
    "UserErrorVmProvisioningStateFailed": "The VM is in failed provisioning state",
}
# $filter names → the item property they compare with (ignoring case).
FILTER_FIELDS = {
    "backupmanagementtype": "backupManagementType",
    "itemtype": "workloadType",
    "policyname": "policyName",
    "protectionstatus": "protectionStatus",
    "protectionstate": "protectionState",
    "friendlyname": "friendlyName",
}


def vm_id_for(world: World, subscription: str, vm: str) -> str:
    """A VM reference (a name in the vault's subscription, or an id in it) as an ARM id.

    An id need not exist (a deleted VM's backups stay); a name must name exactly one VM.
    """
    if vm.startswith("/"):
        found = ARM_ID.match(vm)
        if found is None or found["name"] is None or found["sub"].lower() != subscription.lower():
            raise BadRequest(f"'{vm}' is not a VM id in the vault's subscription.")
        return vm
    ids = [
        r.body["id"]
        for r in world.resources.values()
        if r.kind == virtual_machines.KIND
        and r.subscription == subscription.lower()
        and r.body["name"].lower() == vm.lower()
    ]
    if len(ids) != 1:
        raise BadRequest(f"'{vm}' names {len(ids)} VMs in the subscription; give the VM's id.")
    return str(ids[0])


def seed(world: World, vault: StoredResource, entry: Mapping[str, Any]) -> None:
    """Store one protected item of `vault`: {vm, lastBackupStatus?, lastBackupError?,
    lastBackupTime?}."""
    vm_id = vm_id_for(world, vault.subscription, str(entry["vm"]))
    found = ARM_ID.match(vm_id)
    assert found is not None
    group, name = found["rg"].lower(), found["name"].lower()
    container = f"iaasvmcontainerv2;{group};{name}"
    item_id = (
        f"{vault.body['id']}/backupFabrics/Azure/protectionContainers/IaasVMContainer;{container}"
        f"/protectedItems/VM;{container}"
    )
    body = {
        "id": item_id,
        "name": f"VM;{container}",
        "type": ITEM_TYPE,
        "properties": item_properties(vault, vm_id, container, entry),
    }
    world.put(item_id.lower(), StoredResource(KIND, vault.subscription, vault.resource_group, body))


def item_properties(
    vault: StoredResource, vm_id: str, container: str, entry: Mapping[str, Any]
) -> JsonObject:
    """AzureIaaSComputeVMProtectedItem properties; a last backup error makes it unhealthy."""
    error = entry.get("lastBackupError")
    last_time = entry.get("lastBackupTime") or utc_now()
    properties: JsonObject = {
        "friendlyName": vm_id.rsplit("/", 1)[-1],
        "virtualMachineId": vm_id,
        "sourceResourceId": vm_id,
        "protectedItemType": virtual_machines.RESPONSE_TYPE,
        "backupManagementType": "AzureIaasVM",
        "workloadType": "VM",
        "containerName": container,
        "protectionStatus": "Healthy",
        "protectionState": "Protected",
        "healthStatus": "Passed" if error is None else "ActionRequired",
        "healthDetails": [] if error is None else [health_detail(str(error))],
        "lastBackupStatus": entry.get("lastBackupStatus")
        or ("Completed" if error is None else "Failed"),
        "lastBackupTime": last_time,
        "protectedItemDataId": str(uuid.uuid4().int % 10**18),
        "policyId": f"{vault.body['id']}/backupPolicies/DefaultPolicy",
        "policyName": "DefaultPolicy",
    }
    if error is None:
        properties["lastRecoveryPoint"] = last_time
    return properties


def health_detail(code: str) -> JsonObject:
    """AzureIaaSVMHealthDetails for a failed backup. The spec's `code` is an integer whose
    values are not public, so it is left out; the error code goes in `title`."""
    return {
        "title": code,
        "message": KNOWN_ERRORS.get(code, code),
        "recommendations": [],
    }


def listed(
    world: World, subscription: str, resource_group: str, vault: str, text: str | None
) -> list[JsonObject]:
    """BackupProtectedItems_List of one vault, filtered by `$filter` (`name eq 'value'`
    clauses joined by `and`, as the official example filters)."""
    found = stored(world, vaults.TYPE, subscription, resource_group, vault)
    clauses = filter_clauses(text)
    prefix = found.body["id"].lower() + "/"
    return [
        item.body
        for key, item in world.resources.items()
        if item.kind == KIND
        and key.startswith(prefix)
        and all(
            str(item.body["properties"].get(FILTER_FIELDS[c.name.lower()], "")).lower()
            == c.value.lower()
            for c in clauses
        )
    ]


def filter_clauses(text: str | None) -> tuple[odata.Clause, ...]:
    """The `eq` clauses of a protected-item filter; 400 for anything else."""
    if not text:
        return ()
    try:
        expression = odata.parse(text)
    except odata.FilterError as error:
        raise BadRequest(f"Invalid $filter '{text}': {error}.", code="InvalidParameter") from error
    clauses = expression.clauses()
    if (
        expression.connective != "and"
        or len(clauses) != len(expression.items)
        or any(c.op != "eq" or c.name.lower() not in FILTER_FIELDS for c in clauses)
    ):
        raise BadRequest(
            f"Invalid $filter '{text}': use `name eq 'value'` clauses joined by `and`, with names"
            f" {', '.join(sorted(FILTER_FIELDS))}.",
            code="InvalidParameter",
        )
    return clauses
