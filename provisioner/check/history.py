"""What happened to each fired alert, read from its history: notified, suppressed, failed or none.

Pure. At api 2019-05-05-preview history items are bare strings, and which field names the rule
or the action group of an action event is not documented: the rule or group is taken from
`newValue` when it is an ARM id, else from a quoted name in `description`, else from a
structured `details` object newer versions add. Anything else is read as "nothing recorded"
and said so (docs/azure-behaviour.md#fired-alerts-and-their-history).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from provisioner.check.coverage import Problem
from provisioner.evidence import FiredAlert, HistoryEvent
from provisioner.ids import VAULT_TYPE, ResourceId

NOTIFIED: Final = "notified"
SUPPRESSED: Final = "suppressed"
FAILED: Final = "failed"
NONE: Final = "none"
OUTCOMES: Final = (NOTIFIED, SUPPRESSED, FAILED, NONE)
ALERT_NOT_DELIVERED: Final = "alert-not-delivered"

ADD: Final = "AddActionGroups"
REMOVE_ALL: Final = "RemoveAllActionGroups"

# modificationEvent values (lower case) of api 2019-05-05-preview.
_RULE_ADDED: Final = "actionruletriggered"
_RULE_SUPPRESSED: Final = "actionrulesuppressed"
_TRIGGERED: Final = "actionstriggered"
_GROUPS_SUPPRESSED: Final = "actionssuppressed"
_FAILED: Final = "actionsfailed"
_OTHER_KNOWN: Final = frozenset(
    {"alertcreated", "statechange", "monitorconditionchange", "severitychange"}
)
_ACTION_EVENTS: Final = frozenset(
    {_RULE_ADDED, _RULE_SUPPRESSED, _TRIGGERED, _GROUPS_SUPPRESSED, _FAILED}
)
# notificationResult.status values (2025-05-25-preview details) that mean nothing was sent.
_NOT_SENT: Final = frozenset(
    {"failed", "throttled", "throttledbyalertrule", "throttledbysubscription"}
)
_QUOTED: Final = re.compile(r"'([^']+)'")
MAX_LISTED: Final = 3  # undelivered alerts named in a vault's problem; the rest are counted


@dataclass(frozen=True, slots=True)
class RuleEvidence:
    """An alert processing rule the history says applied, and what it did."""

    rule: str  # the rule's ARM id when the history gives one, else its name
    action: str  # AddActionGroups or RemoveAllActionGroups


@dataclass(frozen=True, slots=True)
class AlertEvidence:
    """One fired alert of a checked vault and what its history shows happened to it."""

    alert: FiredAlert
    vault: ResourceId
    outcome: str
    rules: tuple[RuleEvidence, ...] = ()
    triggered: tuple[str, ...] = ()  # action groups invoked
    failed: tuple[str, ...] = ()  # action groups that failed or were throttled
    notes: tuple[str, ...] = ()  # readings that rest on undocumented history shapes

    @property
    def delivered(self) -> bool:
        return self.outcome == NOTIFIED

    def to_data(self) -> dict[str, Any]:
        fired = self.alert.fired_at
        return {
            "id": self.alert.id,
            "vault": str(self.vault),
            "firedAt": iso_utc(fired) if fired else None,
            "alertRule": self.alert.alert_rule,
            "severity": self.alert.severity,
            "outcome": self.outcome,
            "rules": [{"rule": r.rule, "action": r.action} for r in self.rules],
            "actionGroups": {"triggered": list(self.triggered), "failed": list(self.failed)},
            "notes": list(self.notes),
        }

    def reason(self) -> str:
        """Why it reached nobody (or whom it reached), in a few words."""
        if self.outcome == SUPPRESSED:
            by = [r.rule for r in self.rules if r.action == REMOVE_ALL]
            return f"suppressed by {', '.join(by)}" if by else "suppressed (by an unnamed rule)"
        if self.outcome == FAILED:
            return f"its action groups failed ({', '.join(self.failed) or 'unnamed'})"
        if self.outcome == NOTIFIED:
            return f"through {', '.join(self.triggered)}"
        return "no alert processing rule added an action group"


def iso_utc(moment: datetime) -> str:
    """UTC to the second with a Z."""
    text: str = moment.astimezone(UTC).replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z")


def is_vault_alert(alert: FiredAlert) -> bool:
    """The alert's target is a Recovery Services vault (the type checked on the id, as the
    alerts API may give a short `targetResourceType`)."""
    target = alert.target_id()
    return target is not None and (target.resource_type or "").lower() == VAULT_TYPE.lower()


def assess(alert: FiredAlert, vault: ResourceId) -> AlertEvidence:
    """Read the alert's history (oldest first) into an outcome; suppression wins, as in Azure."""
    reading = _Reading()
    for event in alert.history:
        reading.read(event)
    suppressed = reading.suppressed or alert.is_suppressed is True
    outcome = (
        SUPPRESSED
        if suppressed
        else NOTIFIED
        if reading.triggered
        else FAILED
        if reading.failed
        else NONE
    )
    notes = reading.notes(alert, outcome)
    return AlertEvidence(
        alert,
        vault,
        outcome,
        tuple(dict.fromkeys(reading.rules)),
        tuple(dict.fromkeys(reading.triggered)),
        tuple(dict.fromkeys(reading.failed)),
        notes,
    )


class _Reading:
    """What the events say, accumulated."""

    def __init__(self) -> None:
        self.rules: list[RuleEvidence] = []
        self.triggered: list[str] = []
        self.failed: list[str] = []
        self.suppressed = False
        self.unknown: list[str] = []
        self.unnamed = False
        self.actions_seen = False

    def read(self, event: HistoryEvent) -> None:
        kind = event.event.strip().lower()
        self.actions_seen |= kind in _ACTION_EVENTS
        if kind in (_RULE_ADDED, _RULE_SUPPRESSED):
            self._rule(event, REMOVE_ALL if kind == _RULE_SUPPRESSED else ADD)
        elif kind == _TRIGGERED:
            self._triggered(event)
        elif kind == _GROUPS_SUPPRESSED:
            self._groups_suppressed(event)
        elif kind == _FAILED:
            self.failed.append(self._named(_group_ref(event)))
        elif kind not in _OTHER_KNOWN:
            self.unknown.append(event.event)

    def _named(self, ref: str | None) -> str:
        self.unnamed |= ref is None
        return ref or "(unnamed)"

    def _rule(self, event: HistoryEvent, action: str) -> None:
        self.suppressed |= action == REMOVE_ALL
        self.rules.append(RuleEvidence(self._named(_rule_ref(event)), action))

    def _triggered(self, event: HistoryEvent) -> None:
        group = self._named(_group_ref(event))
        status = str(_dig(event.details, "notificationResult", "status") or "").lower()
        (self.failed if status in _NOT_SENT else self.triggered).append(group)
        rule = _dig(event.details, "actionGroup", "ruleId")
        if rule and not any(r.rule.lower() == str(rule).lower() for r in self.rules):
            self.rules.append(RuleEvidence(str(rule), ADD))

    def _groups_suppressed(self, event: HistoryEvent) -> None:
        self.suppressed = True
        names = _dig(event.details, "suppressionActionRules")
        for name in names if isinstance(names, list) else ():
            if not any(r.rule.lower() == str(name).lower() for r in self.rules):
                self.rules.append(RuleEvidence(str(name), REMOVE_ALL))

    def notes(self, alert: FiredAlert, outcome: str) -> tuple[str, ...]:
        found: list[str] = []
        if self.unknown:
            found.append(
                "history events alertsync does not read: " + ", ".join(sorted(set(self.unknown)))
            )
        if self.unnamed:
            found.append("an action event names no rule or action group alertsync can read")
        if outcome == SUPPRESSED and not any(r.action == REMOVE_ALL for r in self.rules):
            found.append("Azure marks the alert suppressed; its history names no rule")
        if outcome == NONE and not self.actions_seen:
            found.append(
                "its history records no rule adding an action group; at api "
                "2019-05-05-preview where Azure records that is undocumented, so this may be "
                "a gap in the record rather than in the routing"
            )
        return tuple(found)


def _dig(details: Mapping[str, Any] | None, *keys: str) -> Any:
    value: Any = details
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _arm_id(text: str) -> str | None:
    return text.strip() if text.strip().lower().startswith("/subscriptions/") else None


def _quoted(text: str) -> str | None:
    found = _QUOTED.search(text)
    return found.group(1) if found else None


def _rule_ref(event: HistoryEvent) -> str | None:
    detail = _dig(event.details, "ruleId")
    return (
        (str(detail) if detail else None) or _arm_id(event.new_value) or _quoted(event.description)
    )


def _group_ref(event: HistoryEvent) -> str | None:
    detail = _dig(event.details, "actionGroup", "actionGroupId")
    return (
        (str(detail) if detail else None) or _arm_id(event.new_value) or _quoted(event.description)
    )


# --- per vault ------------------------------------------------------------------------------


def vault_summary(evidence: Iterable[AlertEvidence]) -> dict[str, Any]:
    """Alerts fired, and how many were notified, suppressed (by which rule), failed, none."""
    items = list(evidence)
    counts = Counter(e.outcome for e in items)
    by_rule = Counter(
        r.rule for e in items if e.outcome == SUPPRESSED for r in e.rules if r.action == REMOVE_ALL
    )
    return {
        "fired": len(items),
        **{outcome: counts.get(outcome, 0) for outcome in OUTCOMES},
        "suppressedBy": dict(sorted(by_rule.items())),
    }


def undelivered_problem(evidence: Iterable[AlertEvidence], since: str) -> Problem | None:
    """One problem for a vault whose alerts (some) reached nobody; None when all were delivered."""
    items = list(evidence)
    missed = [e for e in items if not e.delivered]
    if not missed:
        return None
    listed = "; ".join(
        f'"{e.alert.alert_rule}" ({e.alert.severity}) at '
        f"{iso_utc(e.alert.fired_at) if e.alert.fired_at else 'an unknown time'}: {e.reason()}"
        for e in missed[:MAX_LISTED]
    )
    more = f"; and {len(missed) - MAX_LISTED} more" if len(missed) > MAX_LISTED else ""
    return Problem(
        ALERT_NOT_DELIVERED,
        f"{len(missed)} of {len(items)} alerts fired on this vault since {since} reached "
        f"nobody ({listed}{more}): fix the routing this report shows, and follow up the "
        "failures by hand (a suppressed alert is never sent later)",
        unconfirmed=all(e.outcome == NONE and e.notes for e in missed),
    )
