"""Evidence Azure keeps, read-only: fired alerts with their history, protected VMs, VM instances.

Canonical and SDK-free, as read (strings as Azure wrote them); `check` interprets them. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from provisioner.ids import ResourceId

# The named time ranges of Alerts - Get All (api 2019-05-05-preview); anything else is a
# customTimeRange. docs/azure-behaviour.md#fired-alerts-and-their-history
NAMED_TIME_RANGES: Final = {
    timedelta(hours=1): "1h",
    timedelta(days=1): "1d",
    timedelta(days=7): "7d",
    timedelta(days=30): "30d",
}
ALERT_RETENTION: Final = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class AlertTimeRange:
    """What to ask the alerts list for: a named `timeRange`, else a `customTimeRange`."""

    time_range: str | None = None
    custom_time_range: str | None = None

    @classmethod
    def last(cls, span: timedelta, now: datetime) -> AlertTimeRange:
        """The last `span` before `now`: a named range when one fits exactly (a custom range
        starting exactly 30 days back would be refused a moment later, on the service's clock)."""
        named = NAMED_TIME_RANGES.get(span)
        if named is not None:
            return cls(time_range=named)
        return cls(custom_time_range=f"{_iso(now - span)}/{_iso(now)}")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One item of an alert's history, every field a string as api 2019-05-05-preview has it;
    `details`: a structured object newer api versions add (None when absent)."""

    event: str
    old_value: str = ""
    new_value: str = ""
    description: str = ""
    modified_at: str = ""
    modified_by: str = ""
    comments: str = ""
    details: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class FiredAlert:
    """A fired alert's essentials, and its history once read (oldest event first)."""

    id: str  # /subscriptions/{s}/providers/Microsoft.AlertsManagement/alerts/{guid}
    subscription: str
    target: str  # the target resource's id, as the alert carries it (often lower-cased)
    target_type: str = ""
    alert_rule: str = ""
    severity: str = ""
    monitor_service: str = ""
    monitor_condition: str = ""
    fired_at: datetime | None = None
    description: str = ""
    is_suppressed: bool | None = None
    history: tuple[HistoryEvent, ...] = ()

    @property
    def guid(self) -> str:
        """The alert's own id (the last segment), as get_history takes it."""
        return self.id.rstrip("/").rsplit("/", 1)[-1]

    def target_id(self) -> ResourceId | None:
        """The target parsed, or None when it is not an ARM id."""
        try:
            return ResourceId.parse(self.target)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class ProtectedVm:
    """An Azure VM a vault backs up (a protected item of type Azure IaaS VM)."""

    vault: ResourceId
    item_id: str
    name: str  # friendlyName: the VM's name
    vm: ResourceId | None  # virtualMachineId (or sourceResourceId); None when absent
    protection_state: str | None = None
    last_backup_status: str | None = None
    last_backup_time: str | None = None
    # The error of the last backup as the item tells it (health details' titles and messages).
    last_backup_error: str | None = None


@dataclass(frozen=True, slots=True)
class InstanceStatus:
    """One status of a VM instance view (`PowerState/running`, `ProvisioningState/succeeded`)."""

    code: str
    level: str = ""
    display_status: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class VmInstance:
    """What a VM's instance view says about it and its guest agent; `found` False: no such VM."""

    id: ResourceId
    found: bool = True
    statuses: tuple[InstanceStatus, ...] = ()
    has_agent: bool = False  # the view has a vmAgent section at all
    agent_version: str | None = None
    agent_statuses: tuple[InstanceStatus, ...] = ()
