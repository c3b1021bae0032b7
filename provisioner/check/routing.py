"""Whether an alert processing rule applies to a vault's backup job-failure alert: scope, conditions.

Pure, over the canonical model. The alert is synthetic: the built-in Azure Backup "Backup Failure"
alert (Sev1) a failed job on the vault fires. Its description and alert context vary with the
failure, so conditions on them are MAYBE. Unconfirmed semantics are evaluated in every reading
(docs/azure-behaviour.md#alert-routing-what-check-evaluates).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from typing import Final

from provisioner.check.verdict import Verdict
from provisioner.ids import VAULT_TYPE, ResourceId
from provisioner.model import CASE_INSENSITIVE_FIELDS, AlertProcessingRule, Condition

SEVERITY: Final = "Sev1"
MONITOR_SERVICE: Final = "Azure Backup"
MONITOR_CONDITION: Final = "Fired"
SIGNAL_TYPE: Final = "Log"
ALERT_RULE_NAME: Final = "Backup Failure"

# One reading of a field: the forms it can be matched against (more than one when Azure may
# compare a value with either, as a resource group's ID or its bare name). None: unknown.
Forms = tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class BackupFailureAlert:
    """The built-in job-failure alert a failed backup on `vault` fires."""

    vault: ResourceId

    def readings(self, field: str) -> tuple[Forms, ...]:
        """The field's value in each reading of the facts (IDs and types in lower case)."""
        vault = self.vault
        group = vault.resource_group_id()
        known: dict[str, tuple[Forms, ...]] = {
            "Severity": ((SEVERITY,),),
            "MonitorService": ((MONITOR_SERVICE,),),
            "MonitorCondition": ((MONITOR_CONDITION,),),
            "SignalType": ((SIGNAL_TYPE,),),
            "AlertRuleName": ((ALERT_RULE_NAME,),),
            "AlertRuleId": (("",),),  # built-in alerts come from no alert rule
            "TargetResource": ((str(vault).lower(),),),
            "TargetResourceType": ((VAULT_TYPE.lower(),),),
            # Values are resource group IDs; whether a bare name also matches is unconfirmed.
            "TargetResourceGroup": (
                (str(group).lower(),),
                (str(group).lower(), (vault.resource_group or "").lower()),
            ),
        }
        return known.get(field, (None,))  # Description, AlertContext: vary with the failure


def in_scope(rule: AlertProcessingRule, target: ResourceId) -> bool:
    """A scope (subscription, resource group or resource) contains the target: whole path
    segments, compared ignoring case as ARM IDs are."""
    return any(_contains(scope, target) for scope in rule.scopes)


def _contains(scope: ResourceId, target: ResourceId) -> bool:
    return target.key[: len(scope.key)] == scope.key


@dataclass(frozen=True, slots=True)
class ConditionsVerdict:
    """Whether every condition matches; the condition that decides a NO or a MAYBE."""

    verdict: Verdict
    deciding: Condition | None = None


def conditions_verdict(rule: AlertProcessingRule, alert: BackupFailureAlert) -> ConditionsVerdict:
    """AND across conditions: the first excluding one decides, else the first uncertain one."""
    verdicts = [(c, condition_verdict(c, alert)) for c in rule.conditions]
    for wanted in (Verdict.NO, Verdict.MAYBE):
        deciding = next((c for c, v in verdicts if v is wanted), None)
        if deciding is not None:
            return ConditionsVerdict(wanted, deciding)
    return ConditionsVerdict(Verdict.YES)


def condition_verdict(condition: Condition, alert: BackupFailureAlert) -> Verdict:
    """One condition in every reading: the field's forms x value case x negation."""
    outcomes: list[bool] = []
    for forms in alert.readings(condition.field):
        if forms is None:
            return Verdict.MAYBE  # the value depends on the failure
        outcomes.extend(_outcomes(condition, forms))
    return Verdict.of_readings(outcomes)


def _outcomes(condition: Condition, forms: tuple[str, ...]) -> Iterator[bool]:
    for ignore_case, none_of in product(_case_readings(condition.field), (True, False)):
        yield _matches(condition, forms, ignore_case=ignore_case, none_of=none_of)


def _case_readings(field: str) -> tuple[bool, ...]:
    """IDs and types ignore case (ARM); other values likely do too, unconfirmed."""
    return (True,) if field in CASE_INSENSITIVE_FIELDS else (True, False)


def _matches(
    condition: Condition, forms: tuple[str, ...], *, ignore_case: bool, none_of: bool
) -> bool:
    """Values OR'd for Equals/Contains. For NotEquals/DoesNotContain with several values,
    "none of them" is likely; "not all of them" is the other reading (`none_of` False)."""

    def fold(text: str) -> str:
        return text.casefold() if ignore_case else text  # whitespace is significant: no strip

    def hit(value: str) -> bool:
        wanted = fold(value)
        if condition.operator in ("Equals", "NotEquals"):
            return any(fold(f) == wanted for f in forms)
        return any(wanted in fold(f) for f in forms)

    hits = [hit(v) for v in condition.values]
    if condition.operator in ("Equals", "Contains"):
        return any(hits)
    return not any(hits) if none_of else not all(hits)


def describe_condition(condition: Condition) -> str:
    """`TargetResourceType Equals microsoft.recoveryservices/vaults` (values quoted if spaced)."""
    values = ", ".join(f'"{v}"' if (" " in v or not v) else v for v in condition.values)
    return f"{condition.field} {condition.operator} {values}"
