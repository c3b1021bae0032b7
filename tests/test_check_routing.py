"""Which alert processing rules apply to a vault's backup job-failure alert: scopes and conditions."""

from __future__ import annotations

import pytest

from provisioner.check.coverage import Estate, Evaluator
from provisioner.check.routing import (
    BackupFailureAlert,
    condition_verdict,
    conditions_verdict,
    in_scope,
)
from provisioner.check.verdict import Verdict
from provisioner.ids import ResourceId
from provisioner.model import Condition, ConditionField, Operator
from tests.builders import SUB, rule, vault_id

YES, NO, MAYBE = Verdict.YES, Verdict.NO, Verdict.MAYBE
VAULT = vault_id("RSV-JPE-LRS", "rg-backup")
ALERT = BackupFailureAlert(VAULT)


def scoped(*scopes: str) -> bool:
    """in_scope, checked to agree with the evaluator's index of rules by scope."""
    scoped_rule = rule(scopes=tuple(ResourceId.parse(s) for s in scopes))
    found = in_scope(scoped_rule, VAULT)
    assert bool(Evaluator(Estate((), (scoped_rule,))).fits(VAULT)) == found
    return found


@pytest.mark.parametrize(
    "scope",
    [
        f"/subscriptions/{SUB}",
        f"/SUBSCRIPTIONS/{SUB.upper()}",
        f"/subscriptions/{SUB}/resourceGroups/rg-backup",
        f"/subscriptions/{SUB}/resourcegroups/RG-BACKUP",
        f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/RSV-JPE-LRS",
        f"/subscriptions/{SUB}/resourcegroups/rg-backup/providers/microsoft.recoveryservices/VAULTS/rsv-jpe-lrs",
    ],
)
def test_scopes_at_every_level_contain_the_vault_whatever_the_case(scope: str) -> None:
    assert scoped(scope)


@pytest.mark.parametrize(
    "scope",
    [
        "/subscriptions/11111111-1111-1111-1111-111111111111",
        f"/subscriptions/{SUB}/resourceGroups/rg-back",  # a prefix of the name is not the group
        f"/subscriptions/{SUB}/resourceGroups/rg-backup-2",
        f"/subscriptions/{SUB}/resourceGroups/rg-vms",  # the VMs' group: the alert is the vault's
        f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/RSV-JPE",
        f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.Compute/virtualMachines/vm1",
    ],
)
def test_scopes_that_do_not_hold_the_vault(scope: str) -> None:
    assert not scoped(scope)


def test_any_one_scope_is_enough() -> None:
    assert scoped(f"/subscriptions/{SUB}/resourceGroups/rg-vms", f"/subscriptions/{SUB}")


def verdict(field: ConditionField, operator: Operator, *values: str) -> Verdict:
    return condition_verdict(Condition.build(field, operator, values), ALERT)


@pytest.mark.parametrize(
    ("field", "operator", "values", "expected"),
    [
        ("Severity", "Equals", ["Sev1"], YES),
        ("Severity", "Equals", ["sev0", "sev1"], YES),  # values OR'd; enum case ignored
        ("Severity", "Equals", ["Sev0"], NO),
        ("Severity", "NotEquals", ["Sev0"], YES),
        ("Severity", "NotEquals", ["Sev1"], NO),
        ("MonitorService", "Equals", ["Azure Backup"], YES),
        ("MonitorService", "Equals", ["Platform"], NO),
        ("MonitorService", "NotEquals", ["Azure Backup"], NO),
        ("MonitorCondition", "Equals", ["Fired"], YES),
        ("MonitorCondition", "Equals", ["Resolved"], NO),
        ("SignalType", "Equals", ["Log"], YES),
        ("SignalType", "NotEquals", ["Metric"], YES),
        ("TargetResourceType", "Equals", ["Microsoft.RecoveryServices/vaults"], YES),
        ("TargetResourceType", "Equals", ["microsoft.recoveryservices/vaults"], YES),
        ("TargetResourceType", "Contains", ["MICROSOFT.RECOVERYSERVICES"], YES),
        ("TargetResourceType", "Equals", ["Microsoft.Compute/virtualMachines"], NO),
        ("TargetResourceType", "DoesNotContain", ["microsoft.compute"], YES),
        ("TargetResourceType", "DoesNotContain", ["recoveryservices"], NO),
        ("TargetResource", "Equals", [str(VAULT).upper()], YES),
        ("TargetResource", "NotEquals", [str(VAULT).lower()], NO),
        ("TargetResource", "NotEquals", [str(vault_id("RSV-OTHER"))], YES),
        ("TargetResource", "Contains", ["rsv-jpe"], YES),
        ("TargetResource", "DoesNotContain", ["/RSV-JPE-LRS"], NO),
        ("TargetResourceGroup", "Equals", [f"/subscriptions/{SUB}/resourceGroups/RG-Backup"], YES),
        (
            "TargetResourceGroup",
            "NotEquals",
            [f"/subscriptions/{SUB}/resourceGroups/rg-other"],
            YES,
        ),
        ("TargetResourceGroup", "Contains", ["rg-backup"], YES),
        ("TargetResourceGroup", "Equals", ["rg-other"], NO),
        # A bare name where an ID is expected: whether Azure matches it is unconfirmed.
        ("TargetResourceGroup", "Equals", ["rg-backup"], MAYBE),
        ("TargetResourceGroup", "NotEquals", ["rg-backup"], MAYBE),
        ("AlertRuleName", "Equals", ["Backup Failure"], YES),
        ("AlertRuleName", "Contains", ["Failure"], YES),
        ("AlertRuleName", "Contains", ["Restore"], NO),
        ("AlertRuleName", "DoesNotContain", ["Restore"], YES),
        ("AlertRuleName", "DoesNotContain", ["Backup"], NO),
        ("AlertRuleName", "Equals", ["backup failure"], MAYBE),  # case: likely ignored
        ("AlertRuleName", "Equals", ["Backup Failure "], NO),  # whitespace counts
        ("AlertRuleId", "Equals", ["/subscriptions/x/providers/microsoft.insights/x"], NO),
        ("AlertRuleId", "NotEquals", ["/subscriptions/x/providers/microsoft.insights/x"], YES),
        ("Description", "Contains", ["guest agent"], MAYBE),  # depends on the failure
        ("Description", "DoesNotContain", ["guest agent"], MAYBE),
        ("AlertContext", "Contains", ["SQLDataBase;MSSQLSERVER;testdb1"], MAYBE),
    ],
)
def test_conditions_against_the_backup_failure_alert(
    field: ConditionField, operator: Operator, values: list[str], expected: Verdict
) -> None:
    assert verdict(field, operator, *values) is expected


def test_not_equals_with_several_values_none_matching_is_certain() -> None:
    assert verdict("Severity", "NotEquals", "Sev0", "Sev2") is YES


def test_not_equals_with_several_values_one_matching_depends_on_the_reading() -> None:
    # "none of them" (likely) excludes the alert; "not all of them" would not.
    assert verdict("Severity", "NotEquals", "Sev0", "Sev1") is MAYBE
    assert verdict("AlertRuleName", "DoesNotContain", "Backup", "Restore") is MAYBE


def test_conditions_are_anded_and_the_deciding_one_is_named() -> None:
    both = rule(
        conditions=(
            Condition.build("Severity", "Equals", ["Sev1"]),
            Condition.build("TargetResourceType", "Equals", ["microsoft.compute/virtualmachines"]),
        )
    )
    found = conditions_verdict(both, ALERT)
    assert found.verdict is NO
    assert found.deciding is not None
    assert found.deciding.field == "TargetResourceType"
    maybe = rule(conditions=(Condition.build("Description", "Contains", ["x"]),))
    assert conditions_verdict(maybe, ALERT).verdict is MAYBE
    assert conditions_verdict(rule(conditions=()), ALERT).verdict is YES
