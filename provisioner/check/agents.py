"""Will a protected VM's next backup fail for its guest agent? Pure, over the instance view.

A running VM whose agent is Not Ready (or shows no agent at all), or whose last backup failed
with a guest-agent error, is a problem; a deallocated or stopped VM is reported, not an error
(docs/azure-behaviour.md#protected-items-virtual-machines-and-guest-agents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from provisioner.check.coverage import Problem
from provisioner.evidence import ProtectedVm, VmInstance

READY: Final = "Ready"
NOT_READY: Final = "Not Ready"
UNKNOWN: Final = "Unknown"
AGENT_NOT_READY: Final = "agent-not-ready"

RUNNING: Final = "running"
# Backup error codes (and message words) that name the guest agent as the cause.
GUEST_AGENT_ERROR_WORDS: Final = (
    "guestagent",  # UserErrorGuestAgentStatusUnavailable, GuestAgentSnapshotTaskStatusError
    "vm agent",  # "VM Agent unable to communicate with Azure Backup", "...with the VM agent..."
)

FIX: Final = (
    "start the VM's guest agent and keep it running. On Windows, the services RdAgent and "
    "WindowsAzureGuestAgent: check them with `Get-Service RdAgent, WindowsAzureGuestAgent` "
    "(PowerShell) or services.msc, start them with `Start-Service RdAgent, "
    "WindowsAzureGuestAgent` and set their startup type to Automatic. On Linux, the walinuxagent "
    "service (Ubuntu, Debian) or waagent (most other distributions): check it with `systemctl "
    "status walinuxagent` (or `waagent`), restart it with `sudo systemctl restart walinuxagent` "
    "(or `waagent`) and read /var/log/waagent.log. The agent must reach 168.63.129.16 on ports "
    "80 and 32526. Then run `alertsync check --agents` again until the agent is Ready"
)


def agent_status(instance: VmInstance) -> str:
    """Ready, Not Ready or Unknown, from the agent's provisioning status."""
    if not instance.found or not instance.has_agent:
        return UNKNOWN
    for status in instance.agent_statuses:
        display = status.display_status.strip().lower()
        if display == READY.lower():
            return READY
        if display == NOT_READY.lower() or status.code.lower() == "provisioningstate/unavailable":
            return NOT_READY
    return UNKNOWN


def power_state(instance: VmInstance) -> str | None:
    """running, deallocated, stopped, starting, … (PowerState/<state>); None when not shown."""
    for status in instance.statuses:
        prefix, _, state = status.code.partition("/")
        if prefix.lower() == "powerstate" and state:
            return state.lower()
    return None


def agent_message(instance: VmInstance) -> str:
    return next((s.message for s in instance.agent_statuses if s.message), "")


def guest_agent_error(protected: ProtectedVm) -> bool:
    """The last backup failed, and its error names the guest agent."""
    error = (protected.last_backup_error or "").lower()
    return bool(error) and any(word in error for word in GUEST_AGENT_ERROR_WORDS)


@dataclass(frozen=True, slots=True)
class AgentEvidence:
    """A protected VM, its instance as read, and whether its agent will fail its backups."""

    protected: ProtectedVm
    instance: VmInstance | None
    status: str
    power: str | None
    problem: Problem | None = None
    note: str = ""

    @property
    def vm_label(self) -> str:
        vm = self.protected.vm
        where = f' (rg "{vm.resource_group}")' if vm is not None and vm.resource_group else ""
        return f'VM "{self.protected.name}"{where}'

    def to_data(self) -> dict[str, Any]:
        vm = self.protected.vm
        return {
            "vm": str(vm) if vm is not None else self.protected.name,
            "name": self.protected.name,
            "vault": str(self.protected.vault),
            "agentStatus": self.status,
            "agentVersion": self.instance.agent_version if self.instance else None,
            "powerState": self.power,
            "lastBackupStatus": self.protected.last_backup_status,
            "lastBackupError": self.protected.last_backup_error,
            "problem": self.problem is not None,
            "note": self.note or None,
        }


def assess(protected: ProtectedVm, instance: VmInstance | None) -> AgentEvidence:
    """The VM's agent verdict; `instance` None when the item names no VM id."""
    if instance is None or not instance.found:
        note = (
            "the vault names no VM id for this item"
            if instance is None
            else "the VM no longer exists (a deleted VM's backups fail, and no alert is fired)"
        )
        return AgentEvidence(protected, instance, UNKNOWN, None, None, note)
    status, power = agent_status(instance), power_state(instance)
    evidence = AgentEvidence(protected, instance, status, power)
    return _judged(evidence)


def _judged(evidence: AgentEvidence) -> AgentEvidence:
    protected, status, power = evidence.protected, evidence.status, evidence.power
    failed_for_agent = guest_agent_error(protected)
    if power != RUNNING:
        note = f"the VM is {power or 'in an unknown power state'}"
        if failed_for_agent:
            note += "; its last backup failed for the guest agent, check it once the VM runs"
        return _with(evidence, None, note)
    if status == NOT_READY:
        detail = agent_message(evidence.instance) if evidence.instance else ""
        why = f"its guest agent is Not Ready{f' ({detail})' if detail else ''}"
        return _with(evidence, _problem(evidence, why, unconfirmed=False), "")
    if failed_for_agent:
        why = f"its last backup failed for the guest agent ({protected.last_backup_error})"
        return _with(evidence, _problem(evidence, why, unconfirmed=False), "")
    if status == UNKNOWN:
        why = "it shows no guest agent status (the agent is not installed, or not reporting)"
        return _with(evidence, _problem(evidence, why, unconfirmed=True), "")
    return evidence


def _with(evidence: AgentEvidence, problem: Problem | None, note: str) -> AgentEvidence:
    return AgentEvidence(
        evidence.protected, evidence.instance, evidence.status, evidence.power, problem, note
    )


def _problem(evidence: AgentEvidence, why: str, *, unconfirmed: bool) -> Problem:
    return Problem(
        AGENT_NOT_READY,
        f"{evidence.vm_label} is running but {why}, so its next backup will fail "
        f"(UserErrorGuestAgentStatusUnavailable): {FIX}",
        unconfirmed=unconfirmed,
    )
