"""Reading a fired alert's history into an outcome (pure): every shape the history may take."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from provisioner.check import history
from provisioner.check.evidence import parse_since
from provisioner.errors import AlertsyncError
from provisioner.evidence import FiredAlert, HistoryEvent
from provisioner.ids import ResourceId

SUB = "00000000-0000-0000-0000-000000000000"
VAULT = ResourceId.parse(
    f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/v1"
)
RULE = (
    f"/subscriptions/{SUB}/resourceGroups/rg-m/providers/Microsoft.AlertsManagement/actionRules/apr"
)
GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-m/providers/microsoft.insights/actionGroups/ag"
CREATED = HistoryEvent("AlertCreated", description="New Alert Object is created")


def alert(*events: HistoryEvent, suppressed: bool | None = False) -> FiredAlert:
    return FiredAlert(
        id=f"/subscriptions/{SUB}/providers/Microsoft.AlertsManagement/alerts/a1",
        subscription=SUB,
        target=str(VAULT).lower(),
        target_type="vaults",
        alert_rule="Backup Failure",
        severity="Sev1",
        fired_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        is_suppressed=suppressed,
        history=(CREATED, *events),
    )


def test_rule_and_group_ids_in_new_value_read_as_notified() -> None:
    found = history.assess(
        alert(
            HistoryEvent("ActionRuleTriggered", new_value=RULE, description="added"),
            HistoryEvent("ActionsTriggered", new_value=GROUP),
        ),
        VAULT,
    )
    assert found.outcome == history.NOTIFIED
    assert found.rules == (history.RuleEvidence(RULE, history.ADD),)
    assert found.triggered == (GROUP,)
    assert found.notes == ()
    assert found.to_data()["firedAt"] == "2026-12-01T02:00:00Z"


def test_names_only_in_the_description_are_read_from_quotes() -> None:
    found = history.assess(
        alert(
            HistoryEvent("ActionRuleSuppressed", description="Rule 'apr-weekend' removed all."),
            HistoryEvent("ActionsSuppressed", description="suppressed"),
        ),
        VAULT,
    )
    assert found.outcome == history.SUPPRESSED
    assert found.rules == (history.RuleEvidence("apr-weekend", history.REMOVE_ALL),)
    assert "suppressed by apr-weekend" in found.reason()


def test_structured_details_of_newer_api_versions_are_read() -> None:
    throttled = HistoryEvent(
        "ActionsTriggered",
        details={
            "actionGroup": {"actionGroupId": GROUP, "ruleId": RULE, "ruleType": "ActionRule"},
            "notificationResult": {"status": "ThrottledBySubscription"},
        },
    )
    found = history.assess(alert(throttled), VAULT)
    assert found.outcome == history.FAILED
    assert found.failed == (GROUP,)
    assert found.rules == (history.RuleEvidence(RULE, history.ADD),)
    suppressed = HistoryEvent(
        "ActionsSuppressed",
        details={"suppressionActionRules": ["apr-quiet"], "suppressedActionGroups": []},
    )
    assert history.assess(alert(suppressed), VAULT).rules == (
        history.RuleEvidence("apr-quiet", history.REMOVE_ALL),
    )


def test_suppression_wins_over_triggered_groups() -> None:
    found = history.assess(
        alert(
            HistoryEvent("ActionRuleTriggered", new_value=RULE),
            HistoryEvent("ActionsTriggered", new_value=GROUP),
            HistoryEvent("ActionsSuppressed", description="x"),
        ),
        VAULT,
    )
    assert found.outcome == history.SUPPRESSED


def test_is_suppressed_without_a_history_event_is_suppressed_with_a_note() -> None:
    found = history.assess(alert(suppressed=True), VAULT)
    assert found.outcome == history.SUPPRESSED
    assert any("names no rule" in n for n in found.notes)


def test_failed_groups_without_any_triggered_read_as_failed() -> None:
    found = history.assess(
        alert(
            HistoryEvent("ActionRuleTriggered", new_value=RULE),
            HistoryEvent("ActionsFailed", new_value=GROUP, description="disabled"),
        ),
        VAULT,
    )
    assert (found.outcome, found.failed) == (history.FAILED, (GROUP,))


def test_a_bare_history_reads_as_none_and_says_it_may_be_the_record() -> None:
    found = history.assess(alert(), VAULT)
    assert found.outcome == history.NONE
    assert any("undocumented" in n for n in found.notes)
    problem = history.undelivered_problem([found], "2026-11-30T00:00:00Z")
    assert problem is not None and problem.unconfirmed
    assert "1 of 1 alerts" in problem.message


def test_unknown_shapes_are_named_not_guessed() -> None:
    found = history.assess(
        alert(
            HistoryEvent("ActionsTriggered", new_value="", description="no name here"),
            HistoryEvent("SomethingNew", description="?"),
        ),
        VAULT,
    )
    assert found.outcome == history.NOTIFIED
    assert found.triggered == ("(unnamed)",)
    assert any("SomethingNew" in n for n in found.notes)
    assert any("names no rule or action group" in n for n in found.notes)


def test_vault_summary_counts_outcomes_and_suppressing_rules() -> None:
    notified = history.assess(alert(HistoryEvent("ActionsTriggered", new_value=GROUP)), VAULT)
    quiet = history.assess(alert(HistoryEvent("ActionRuleSuppressed", new_value=RULE)), VAULT)
    summary = history.vault_summary([notified, quiet, quiet])
    assert summary == {
        "fired": 3,
        "notified": 1,
        "suppressed": 2,
        "failed": 0,
        "none": 0,
        "suppressedBy": {RULE: 2},
    }
    assert history.undelivered_problem([notified], "x") is None
    problem = history.undelivered_problem([notified, quiet], "x")
    assert problem is not None and not problem.unconfirmed


def test_many_undelivered_alerts_are_counted_not_all_listed() -> None:
    quiet = history.assess(alert(HistoryEvent("ActionRuleSuppressed", new_value=RULE)), VAULT)
    problem = history.undelivered_problem([quiet] * 5, "x")
    assert problem is not None
    assert "5 of 5" in problem.message and "and 2 more" in problem.message


def test_only_vault_targets_are_vault_alerts() -> None:
    assert history.is_vault_alert(alert())
    vm = FiredAlert(
        id="x",
        subscription=SUB,
        target=f"/subscriptions/{SUB}/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm",
    )
    assert not history.is_vault_alert(vm)
    assert not history.is_vault_alert(FiredAlert(id="x", subscription=SUB, target="vaults"))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("7d", 604_800),
        ("12h", 43_200),
        ("30D", 2_592_000),
        ("90m", 5_400),
        ("1w", 604_800),
        ("7d1h", 608_400),
    ],
)
def test_since_durations(text: str, seconds: int) -> None:
    assert parse_since(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["31d", "0d", "721h", "7", "d7", "5w", "30d1s", "1d 1h", ""])
def test_since_refuses_what_azure_cannot_answer(text: str) -> None:
    with pytest.raises(AlertsyncError, match="--since"):
        parse_since(text)
