"""Test notifications: find the action group to test, send the test, judge each receiver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from provisioner.azure.client import Azure, ResourceNotFound
from provisioner.errors import AlertsyncError
from provisioner.ids import ACTION_GROUP_TYPE, ResourceId
from provisioner.model import ActionGroup
from provisioner.spec import desired
from provisioner.spec import files as spec_files

if TYPE_CHECKING:
    from provisioner.azure.mappings.action_groups import NotificationResult, ReceiverNotification

# Azure's own examples disagree on the spelling: the REST example answers "Completed" for both the
# notification and each receiver, Test-AzActionGroup shows "Succeeded" per receiver.
_DONE: Final = frozenset({"completed", "succeeded"})


@dataclass(frozen=True, slots=True)
class ReceiverVerdict:
    """One receiver's result as the user sees it."""

    mechanism: str  # "email", "sms", "webhook", …
    name: str
    target: str | None  # the address or number, when the live group says
    status: str
    ok: bool
    problem: str | None = None

    def line(self) -> str:
        """`✓ email oncall (oncall@example.com): delivered (Azure: Completed)`, or
        `✗ …: not delivered: <why> (Azure: Failed)`: what happened first, Azure's word after."""
        target = f" ({self.target})" if self.target else ""
        outcome = "delivered" if self.ok else f"not delivered: {self.problem}"
        azure = f" (Azure: {self.status})" if self.status else ""
        return f"{'✓' if self.ok else '✗'} {self.mechanism} {self.name}{target}: {outcome}{azure}"


@dataclass(frozen=True, slots=True)
class NotifyReport:
    """The whole test: the group, the overall state and every receiver's verdict."""

    group: ResourceId
    state: str
    receivers: tuple[ReceiverVerdict, ...]

    @property
    def state_ok(self) -> bool:
        """The service finished the notification (it did not fail or time out)."""
        return self.state.lower() in _DONE

    @property
    def failed(self) -> tuple[ReceiverVerdict, ...]:
        """The receivers that did not get the notification (or will not get real alerts)."""
        return tuple(r for r in self.receivers if not r.ok)

    @property
    def ok(self) -> bool:
        """Every receiver got it and the notification completed."""
        return self.state_ok and not self.failed and bool(self.receivers)


def resolve_group(target: str, paths: Sequence[Path]) -> ResourceId:
    """A full action group ID as given, or the ID of the group the specs declare by that name."""
    if target.startswith("/"):
        return _parse_group_id(target)
    declared = desired.build(spec_files.load(paths)).resources.values()
    for group in declared:  # ARM names compare ignoring case
        if isinstance(group, ActionGroup) and group.id.name.lower() == target.lower():
            return group.id
    where = ", ".join(str(p) for p in paths)
    raise AlertsyncError(f'no action group named "{target}" is declared in {where}')


def _parse_group_id(text: str) -> ResourceId:
    try:
        group_id = ResourceId.parse(text)
    except ValueError as error:
        raise AlertsyncError(str(error)) from error
    if (group_id.resource_type or "").lower() != ACTION_GROUP_TYPE.lower():
        raise AlertsyncError(f"{text!r} is not an action group ID ({ACTION_GROUP_TYPE})")
    return group_id


def run_test(azure: Azure, group_id: ResourceId, alert_type: str) -> NotifyReport:
    """Send the test notification to the live group's receivers and judge the answer."""
    try:
        live, result = azure.test_notification(group_id, alert_type=alert_type)
    except ResourceNotFound as error:
        raise AlertsyncError(f"{error}; run `alertsync apply` first") from error
    return judge(live, result)


def judge(live: ActionGroup, result: NotificationResult) -> NotifyReport:
    """Each receiver's verdict: delivered, and (email/SMS) still subscribed."""
    targets = _targets(live)
    verdicts = tuple(_verdict(r, targets.get(r.name.lower())) for r in result.receivers)
    return NotifyReport(group=live.id, state=result.state, receivers=verdicts)


def _targets(group: ActionGroup) -> dict[str, tuple[str, str | None]]:
    """Receiver name → (what it notifies, read-only status); webhook URLs stay secret."""
    found: dict[str, tuple[str, str | None]] = {}
    for email in group.email_receivers:
        found[email.name.lower()] = (email.address, email.status)
    for sms in group.sms_receivers:
        found[sms.name.lower()] = (f"+{sms.country_code} {sms.phone_number}", sms.status)
    for role in group.arm_role_receivers:
        found[role.name.lower()] = (f"role {role.role_id}", None)
    return found


def _verdict(
    receiver: ReceiverNotification, target: tuple[str, str | None] | None
) -> ReceiverVerdict:
    address, status = target if target else (None, None)
    delivered = receiver.status.lower() in _DONE
    problem = None if delivered else (receiver.detail or f"status {receiver.status or 'unknown'}")
    if delivered and (status or "").lower() == "disabled":
        # A recipient who unsubscribed gets no alerts until the receiver is re-enabled (the
        # `subscribe` operation), whatever the test reports: the test must not pass for it.
        problem = "unsubscribed (receiver status Disabled): it gets no alerts until re-enabled"
    return ReceiverVerdict(
        mechanism=receiver.mechanism.lower(),
        name=receiver.name,
        target=address,
        status=receiver.status,
        ok=problem is None,
        problem=problem,
    )
