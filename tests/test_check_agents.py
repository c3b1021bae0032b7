"""Guest agent verdicts (pure): which protected VMs will fail their next backup, and which not."""

from __future__ import annotations

import pytest

from provisioner.check import agents
from provisioner.evidence import InstanceStatus, ProtectedVm, VmInstance
from provisioner.ids import ResourceId

SUB = "00000000-0000-0000-0000-000000000000"
VAULT = ResourceId.parse(
    f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/v1"
)
VM = ResourceId.parse(
    f"/subscriptions/{SUB}/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines/vm1"
)
READY = InstanceStatus("ProvisioningState/succeeded", "Info", "Ready", "GuestAgent is running")
NOT_READY = InstanceStatus(
    "ProvisioningState/Unavailable", "Warning", "Not Ready", "VM Agent is unresponsive."
)
AGENT_ERROR = (
    "UserErrorGuestAgentStatusUnavailable: VM Agent unable to communicate with Azure Backup"
)


def item(error: str | None = None) -> ProtectedVm:
    return ProtectedVm(
        VAULT, "item", "vm1", VM, "Protected", "Failed" if error else "Completed", None, error
    )


def view(power: str, *agent: InstanceStatus, has_agent: bool = True) -> VmInstance:
    return VmInstance(
        VM,
        statuses=(
            InstanceStatus("ProvisioningState/succeeded"),
            InstanceStatus(f"PowerState/{power}"),
        ),
        has_agent=has_agent,
        agent_version="2.7.41491.949" if agent and agent[0] is READY else "Unknown",
        agent_statuses=agent,
    )


def test_running_vm_with_a_ready_agent_is_fine() -> None:
    found = agents.assess(item(), view("running", READY))
    assert (found.status, found.power, found.problem) == ("Ready", "running", None)
    assert found.to_data()["agentVersion"] == "2.7.41491.949"


def test_running_vm_with_a_not_ready_agent_is_a_problem_with_the_fix() -> None:
    found = agents.assess(item(), view("running", NOT_READY))
    assert found.status == "Not Ready"
    assert found.problem is not None and not found.problem.unconfirmed
    message = found.problem.message
    assert found.problem.code == "agent-not-ready"
    for word in ("RdAgent", "WindowsAzureGuestAgent", "waagent", "walinuxagent", "unresponsive"):
        assert word in message


def test_a_ready_agent_whose_last_backup_failed_for_the_agent_is_still_a_problem() -> None:
    found = agents.assess(item(AGENT_ERROR), view("running", READY))
    assert found.problem is not None
    assert "last backup failed for the guest agent" in found.problem.message


def test_other_backup_errors_are_not_agent_problems() -> None:
    found = agents.assess(item("UserErrorRpCollectionLimitReached"), view("running", READY))
    assert found.problem is None


@pytest.mark.parametrize("power", ["deallocated", "stopped"])
def test_a_vm_that_is_not_running_is_reported_not_an_error(power: str) -> None:
    found = agents.assess(item(AGENT_ERROR), view(power, has_agent=False))
    assert (found.status, found.power, found.problem) == ("Unknown", power, None)
    assert power in found.note and "guest agent" in found.note


def test_a_running_vm_without_any_agent_status_is_an_unconfirmed_problem() -> None:
    found = agents.assess(item(), view("running", has_agent=False))
    assert found.status == "Unknown"
    assert found.problem is not None and found.problem.unconfirmed


def test_a_deleted_vm_is_noted() -> None:
    found = agents.assess(item(), VmInstance(VM, found=False))
    assert found.problem is None and "no longer exists" in found.note
    assert agents.assess(item(), None).note


def test_power_state_and_status_parse_ignoring_case() -> None:
    odd = VmInstance(
        VM,
        statuses=(InstanceStatus("powerstate/Running"),),
        has_agent=True,
        agent_statuses=(InstanceStatus("ProvisioningState/succeeded", display_status="ready"),),
    )
    assert (agents.power_state(odd), agents.agent_status(odd)) == ("running", "Ready")
    assert agents.power_state(VmInstance(VM)) is None
