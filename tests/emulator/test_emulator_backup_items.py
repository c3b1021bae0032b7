"""Protected items (azure-mgmt-recoveryservicesbackup) and VMs with their guest agents
(azure-mgmt-compute), and the agents control route.

Facts: docs/azure-behaviour.md#protected-items-virtual-machines-and-guest-agents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient

from provisioner.emulator import Emulator, EmulatorControlError
from tests.emulator.conftest import (
    EVIDENCE_SEED,
    SUB_PATH,
    VAULT_PATH,
    VM_PATH,
    Raw,
    error_code,
    rejected,
)

IAAS_VM_FILTER = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"  # official example


def items_by_name(client: RecoveryServicesBackupClient, **kwargs: Any) -> dict[str, Any]:
    """Items by VM name. SDK 11.2.0 deserializes an IaaS VM item's properties as the base
    ProtectedItem (its discriminator map lacks "Microsoft.Compute/virtualMachines"), so its
    fields are read by their JSON names; the official example behaves the same."""
    listed = client.backup_protected_items.list("RSV-JPE-LRS", "rg-backup", **kwargs)
    return {item.properties["friendlyName"]: item.properties for item in listed}


def test_protected_vms_are_listed_as_iaas_vm_items(
    evidence: Emulator, backup_client: RecoveryServicesBackupClient
) -> None:
    items = items_by_name(backup_client, filter=IAAS_VM_FILTER)
    assert set(items) == {"vm-app", "vm-db"}
    app = items["vm-app"]
    assert app["protectedItemType"] == "Microsoft.Compute/virtualMachines"
    assert app["virtualMachineId"] == app["sourceResourceId"] == f"{VM_PATH}/vm-app"
    assert (app["lastBackupStatus"], app["healthStatus"]) == ("Completed", "Passed")
    (item,) = [
        i
        for i in backup_client.backup_protected_items.list("RSV-JPE-LRS", "rg-backup")
        if i.properties["friendlyName"] == "vm-app"
    ]
    assert item.name == "VM;iaasvmcontainerv2;rg-vms;vm-app"
    assert item.id.startswith(f"{VAULT_PATH}/RSV-JPE-LRS/backupFabrics/Azure/protectionContainers/")


def test_a_failed_last_backup_shows_in_health_details(
    evidence: Emulator, backup_client: RecoveryServicesBackupClient
) -> None:
    db = items_by_name(backup_client)["vm-db"]
    assert (db["lastBackupStatus"], db["healthStatus"]) == ("Failed", "ActionRequired")
    assert db["healthDetails"] == [
        {
            "title": "UserErrorGuestAgentStatusUnavailable",
            "message": "VM Agent unable to communicate with Azure Backup",
            "recommendations": [],
        }
    ]


def test_a_filter_that_matches_nothing_and_paging_keep_the_filter(
    evidence: Emulator, backup_client: RecoveryServicesBackupClient
) -> None:
    assert items_by_name(backup_client, filter="backupManagementType eq 'AzureWorkload'") == {}
    evidence.control.settings(pageSize=1)  # the SDK re-adds its api-version to nextLink
    assert set(items_by_name(backup_client, filter=IAAS_VM_FILTER)) == {"vm-app", "vm-db"}


def test_an_unsupported_filter_or_a_missing_vault_fails(
    evidence: Emulator, backup_client: RecoveryServicesBackupClient
) -> None:
    with pytest.raises(HttpResponseError, match="InvalidParameter"):
        items_by_name(backup_client, filter="vaultName eq 'x'")
    with pytest.raises(ResourceNotFoundError):
        list(backup_client.backup_protected_items.list("nope", "rg-backup"))


# ---- virtual machines ---------------------------------------------------------------------


def test_a_vm_and_its_instance_view(
    evidence: Emulator, compute_client: ComputeManagementClient
) -> None:
    vm = compute_client.virtual_machines.get("rg-vms", "VM-APP")
    assert (vm.id, vm.location, vm.properties.instance_view) == (
        f"{VM_PATH}/vm-app",
        "japaneast",
        None,
    )
    view = compute_client.virtual_machines.instance_view("rg-vms", "vm-app")
    assert [s.code for s in view.statuses] == ["ProvisioningState/succeeded", "PowerState/running"]
    agent = view.vm_agent
    assert agent.vm_agent_version == "2.7.41491.949"
    assert [(s.code, s.display_status) for s in agent.statuses] == [
        ("ProvisioningState/succeeded", "Ready")
    ]
    expanded = compute_client.virtual_machines.get("rg-vms", "vm-app", expand="instanceView")
    assert expanded.properties.instance_view.vm_agent.statuses[0].display_status == "Ready"


def test_a_stopped_agent_is_not_ready_and_a_deallocated_vm_has_none(
    evidence: Emulator, compute_client: ComputeManagementClient
) -> None:
    agent = compute_client.virtual_machines.instance_view("rg-vms", "vm-db").vm_agent
    assert agent.vm_agent_version == "Unknown"
    (status,) = agent.statuses
    assert (status.display_status, status.level, status.message) == (
        "Not Ready",
        "Warning",
        "VM Agent is unresponsive.",
    )
    off = compute_client.virtual_machines.instance_view("rg-vms", "vm-off")
    assert off.statuses[1].code == "PowerState/deallocated" and off.vm_agent is None


def test_vm_lists(evidence: Emulator, compute_client: ComputeManagementClient, raw: Raw) -> None:
    assert [vm.name for vm in compute_client.virtual_machines.list("rg-vms")] == [
        "vm-app",
        "vm-db",
        "vm-off",
    ]
    evidence.control.settings(pageSize=2)  # nextLink followed as given
    everything = list(compute_client.virtual_machines.list_all(status_only="true"))
    assert [vm.properties.instance_view.statuses[1].code for vm in everything] == [
        "PowerState/running",
        "PowerState/running",
        "PowerState/deallocated",
    ]
    # "'instanceView' ... can only be specified if a valid $filter option is specified"
    response = raw(
        "GET",
        f"{SUB_PATH}/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines",
        **{"$expand": "instanceView", "api-version": "2026-04-01"},
    )
    assert (response.status_code, error_code(response)) == (400, "InvalidParameter")
    scale_set = (
        f"{SUB_PATH}/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachineScaleSets/ss"
    )
    in_scale_set = compute_client.virtual_machines.list(
        "rg-vms", filter=f"'virtualMachineScaleSet/id' eq '{scale_set}'", expand="instanceView"
    )
    assert list(in_scale_set) == []


# ---- PUT /_emulator/agents ----------------------------------------------------------------


def test_an_agent_is_stopped_and_started_as_a_drill_does(
    evidence: Emulator, compute_client: ComputeManagementClient
) -> None:
    vm_id = f"{VM_PATH}/vm-app".upper()  # ids match ignoring case
    assert evidence.control.set_agent(vm_id, "Not Ready")["vmAgentVersion"] == "Unknown"
    view = compute_client.virtual_machines.instance_view("rg-vms", "vm-app")
    assert view.vm_agent.statuses[0].display_status == "Not Ready"
    assert evidence.control.set_agent(vm_id, "ready")["vmAgentVersion"] == "2.7.41491.949"
    view = compute_client.virtual_machines.instance_view("rg-vms", "vm-app")
    assert view.vm_agent.statuses[0].display_status == "Ready"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"vm": f"{VM_PATH}/vm-app", "status": "Stopped"}, "'status'"),
        ({"status": "Ready"}, "'vm'"),
        ({"vm": f"{VM_PATH}/vm-app", "status": "Ready", "extra": 1}, "'extra'"),
        ({"vm": 5, "status": "Ready"}, "'vm'"),
    ],
)
def test_the_agents_body_is_checked_before_acting(
    evidence: Emulator, body: dict[str, Any], needle: str
) -> None:
    assert needle in rejected(evidence, "PUT", "agents", body)


def test_an_unknown_vm_is_not_found(evidence: Emulator) -> None:
    with pytest.raises(EmulatorControlError, match="404"):
        evidence.control.set_agent(f"{VM_PATH}/nope", "Ready")


def test_an_agent_state_survives_a_restart(tmp_path: Path) -> None:
    vm_id = f"{VM_PATH}/vm-app"
    with Emulator(data_dir=tmp_path, seed=EVIDENCE_SEED) as first:
        first.control.set_agent(vm_id, "Not Ready")
    with Emulator(data_dir=tmp_path) as second:
        resources = second.control.state()["resources"]
        (vm,) = [r for r in resources if r["body"]["id"] == vm_id]
        assert vm["extra"]["agent"]["status"] == "Not Ready"


# ---- the seed -----------------------------------------------------------------------------


def seeded_with(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "subscriptions": [{"id": "00000000-0000-0000-0000-000000000000", "resourceGroups": [group]}]
    }


@pytest.mark.parametrize(
    ("group", "needle"),
    [
        ({"name": "g", "location": "x", "virtualMachines": [{"name": "v", "cpu": 2}]}, "unknown key 'cpu'"),
        ({"name": "g", "location": "x", "virtualMachines": [{"name": "v", "agent": {"status": "Gone"}}]}, "Not Ready"),
        ({"name": "g", "location": "x", "virtualMachines": [{"name": "v", "powerState": "asleep"}]}, "powerState"),
        ({"name": "g", "location": "x", "vaults": [{"name": "v", "location": "x", "protectedItems": [{"vm": "ghost"}]}]}, "names 0 VMs"),
        ({"name": "g", "location": "x", "vaults": [{"name": "v", "location": "x", "protectedItems": [{"vm": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/v"}]}]}, "vault's subscription"),
        ({"name": "g", "location": "x", "vaults": [{"name": "v", "location": "x", "protectedItems": [{"vm": "v", "lastBackupError": 5}]}]}, "lastBackupError"),
    ],
)  # fmt: skip
def test_seeded_vms_and_protected_items_are_checked(
    world: Emulator, group: dict[str, Any], needle: str
) -> None:
    with pytest.raises(EmulatorControlError, match="InvalidSeed") as caught:
        world.control.seed(seeded_with(group))
    assert needle in str(caught.value)
