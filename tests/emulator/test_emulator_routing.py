"""The emulator's own alert-processing-rule semantics (routing.py), one case at a time.

Facts and sources: docs/azure-behaviour.md#alert-routing-what-check-evaluates (Learn
"Alert processing rules" and the 2021-08-08 REST examples' titles).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from provisioner.emulator.routing import (
    FiredAlert,
    condition_matches,
    in_scope,
    route,
    rule_applies,
    schedule_active,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/rg-backup"
VAULT = f"{RG}/providers/Microsoft.RecoveryServices/vaults/RSV-JPE-LRS"
ALERT = FiredAlert(
    target_resource=VAULT,
    description="First full backup is missing for this datasource.",
    context={"sourceId": f"{VAULT}/backupProtectedItem/VM;iaasvmcontainerv2;rg;vm1"},
)
AG1, AG2 = (
    f"{SUB}/resourceGroups/rg-mon/providers/microsoft.insights/actionGroups/{n}"
    for n in ("ag1", "ag2")
)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday


def condition(field: str, operator: str, *values: str) -> dict[str, Any]:
    return {"field": field, "operator": operator, "values": list(values)}


def rule(name: str, *actions: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {
        "id": f"{SUB}/resourceGroups/rg-mon/providers/Microsoft.AlertsManagement/actionRules/{name}",
        "name": name,
        "properties": {"scopes": [SUB], "actions": list(actions), "enabled": True, **properties},
    }


def add(*groups: str) -> dict[str, Any]:
    return {"actionType": "AddActionGroups", "actionGroupIds": list(groups)}


REMOVE = {"actionType": "RemoveAllActionGroups"}


# ---- scopes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "inside"),
    [
        (SUB, True),  # the whole subscription
        (RG, True),  # the vault's resource group
        (VAULT, True),  # the vault itself
        (VAULT.upper(), True),  # ARM ids compare ignoring case
        (RG + "/", True),
        (f"{SUB}/resourceGroups/rg-back", False),  # whole segments, not a string prefix
        (f"{SUB}/resourceGroups/rg-other", False),
        (f"{RG}/providers/Microsoft.Compute/virtualMachines/vm1", False),  # a VM's id
        ("/subscriptions/11111111-1111-1111-1111-111111111111", False),
    ],
)
def test_the_alert_target_must_lie_in_a_scope(scope: str, inside: bool) -> None:
    assert in_scope([scope], VAULT) is inside


# ---- conditions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "operator", "values", "matches"),
    [
        ("Severity", "Equals", ["Sev1"], True),
        ("Severity", "Equals", ["sev1"], True),  # values ignore case
        ("Severity", "Equals", ["Sev0", "Sev1"], True),  # OR across values
        ("Severity", "Equals", ["Sev0"], False),
        ("Severity", "Equals", [" Sev1"], False),  # whitespace is kept
        ("Severity", "NotEquals", ["Sev0", "Sev2"], True),  # none of the values
        ("Severity", "NotEquals", ["Sev0", "Sev1"], False),
        ("MonitorService", "Equals", ["Azure Backup"], True),
        ("MonitorCondition", "Equals", ["Fired"], True),
        ("MonitorCondition", "Equals", ["Resolved"], False),
        ("SignalType", "Equals", ["Log"], True),
        ("TargetResourceType", "Equals", ["microsoft.recoveryservices/vaults"], True),
        ("TargetResourceType", "Equals", ["Microsoft.RecoveryServices/vaults"], True),
        ("TargetResourceType", "Contains", ["MICROSOFT.RECOVERYSERVICES"], True),
        ("TargetResourceType", "DoesNotContain", ["microsoft.compute"], True),
        ("TargetResource", "Equals", [VAULT.lower()], True),
        ("TargetResource", "NotEquals", [VAULT], False),
        ("TargetResourceGroup", "Equals", [RG], True),  # by id
        ("TargetResourceGroup", "Equals", ["RG-BACKUP"], True),  # or by name
        ("TargetResourceGroup", "Contains", ["rg-back"], True),
        ("AlertRuleId", "Equals", [f"{SUB}/providers/x/y"], False),  # built-in alerts have none
        ("AlertRuleId", "NotEquals", [f"{SUB}/providers/x/y"], True),
        ("AlertRuleId", "Contains", [""], False),
        ("AlertRuleName", "Equals", ["Backup Failure"], True),
        ("AlertRuleName", "Contains", ["failure"], True),
        ("Description", "Contains", ["full backup is missing"], True),
        ("Description", "DoesNotContain", ["missing"], False),
        ("AlertContext", "Contains", ["iaasvmcontainerv2;rg;vm1"], True),
        ("AlertContext", "Contains", ["vm2"], False),
    ],
)
def test_each_condition_field_and_operator(
    field: str, operator: str, values: list[str], matches: bool
) -> None:
    assert condition_matches(condition(field, operator, *values), ALERT) is matches


def test_an_alert_from_an_alert_rule_matches_by_rule_id_and_name() -> None:
    rule_id = f"{RG}/providers/Microsoft.Insights/scheduledQueryRules/Backup Jobs Failed"
    alert = FiredAlert(target_resource=VAULT, alert_rule=rule_id)
    assert condition_matches(condition("AlertRuleId", "Equals", rule_id.lower()), alert)
    assert condition_matches(condition("AlertRuleName", "Equals", "Backup Jobs Failed"), alert)


def test_conditions_are_anded() -> None:
    both = rule(
        "r",
        add(AG1),
        conditions=[
            condition("Severity", "Equals", "Sev1"),
            condition("MonitorService", "Equals", "Azure Backup"),
        ],
    )
    assert rule_applies(both, ALERT, NOON)
    both["properties"]["conditions"][1]["values"] = ["Platform"]
    assert not rule_applies(both, ALERT, NOON)


def test_a_disabled_rule_or_a_rule_elsewhere_never_applies() -> None:
    assert not rule_applies(rule("r", add(AG1), enabled=False), ALERT, NOON)
    assert not rule_applies(rule("r", add(AG1), scopes=[f"{SUB}/resourceGroups/x"]), ALERT, NOON)


# ---- schedules ----------------------------------------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# "one-off maintenance window (1800-2000 at a specific date, Pacific Standard Time)" (example).
ONE_OFF = {
    "effectiveFrom": "2021-04-15T18:00:00",
    "effectiveUntil": "2021-04-15T20:00:00",
    "timeZone": "Pacific Standard Time",
}
# "outside business hours (Mon-Fri 09:00-17:00, Eastern Standard Time)" (example).
OUTSIDE_BUSINESS_HOURS = {
    "timeZone": "Eastern Standard Time",
    "recurrences": [
        {"recurrenceType": "Daily", "startTime": "17:00:00", "endTime": "09:00:00"},
        {"recurrenceType": "Weekly", "daysOfWeek": ["Saturday", "Sunday"]},
    ],
}
# "recurring maintenance window (2200-0400 every Sat and Sun, India Standard Time)" (example).
WEEKEND_NIGHTS = {
    "timeZone": "India Standard Time",
    "recurrences": [
        {
            "recurrenceType": "Weekly",
            "daysOfWeek": ["Saturday", "Sunday"],
            "startTime": "22:00:00",
            "endTime": "04:00:00",
        }
    ],
}


@pytest.mark.parametrize(
    ("schedule", "moment", "active"),
    [
        (None, "2026-03-02T12:00:00+00:00", True),  # no schedule: always
        # effective times are local to the rule's zone (PDT, UTC-7, in April)
        (ONE_OFF, "2021-04-16T01:00:00+00:00", True),  # 18:00 PDT: from is inclusive
        (ONE_OFF, "2021-04-16T02:59:59+00:00", True),
        (ONE_OFF, "2021-04-16T03:00:00+00:00", False),  # 20:00 PDT: until is exclusive
        (ONE_OFF, "2021-04-15T18:30:00+00:00", False),  # 18:30 UTC is 11:30 PDT
        # Daily 17:00→09:00 runs past midnight; Weekly without times is the whole day
        (OUTSIDE_BUSINESS_HOURS, "2026-03-02T12:00:00-05:00", False),  # Monday noon EST
        (OUTSIDE_BUSINESS_HOURS, "2026-03-02T17:00:00-05:00", True),
        (OUTSIDE_BUSINESS_HOURS, "2026-03-03T08:59:00-05:00", True),  # Tuesday morning
        (OUTSIDE_BUSINESS_HOURS, "2026-03-03T09:00:00-05:00", False),
        (OUTSIDE_BUSINESS_HOURS, "2026-03-07T12:00:00-05:00", True),  # Saturday: recurrences add up
        # Weekly 22:00→04:00: each listed day starts a window that ends the next morning
        (WEEKEND_NIGHTS, "2026-03-07T22:30:00+05:30", True),  # Saturday night
        (WEEKEND_NIGHTS, "2026-03-09T03:59:00+05:30", True),  # Monday early, from Sunday
        (WEEKEND_NIGHTS, "2026-03-09T04:00:00+05:30", False),
        (WEEKEND_NIGHTS, "2026-03-07T03:00:00+05:30", False),  # Saturday early: Friday has none
        (WEEKEND_NIGHTS, "2026-03-07T21:59:00+05:30", False),
    ],
)
def test_schedules(schedule: dict[str, Any] | None, moment: str, active: bool) -> None:
    assert schedule_active(schedule, at(moment)) is active


def test_monthly_days_and_an_effective_range_intersect() -> None:
    schedule = {
        "effectiveFrom": "2026-03-01T00:00:00",
        "effectiveUntil": "2026-04-30T00:00:00",
        "timeZone": "UTC",
        "recurrences": [{"recurrenceType": "Monthly", "daysOfMonth": [1, 15]}],
    }
    assert schedule_active(schedule, at("2026-03-15T23:59:00+00:00"))
    assert not schedule_active(schedule, at("2026-03-16T00:00:00+00:00"))
    assert not schedule_active(schedule, at("2026-05-01T12:00:00+00:00"))  # after the range


def test_a_windows_zone_follows_daylight_saving_time() -> None:
    # W. Europe Standard Time is Europe/Berlin: 09:00-17:00 local is 08:00 UTC in winter and
    # 07:00 UTC in summer.
    schedule = {
        "timeZone": "W. Europe Standard Time",
        "recurrences": [
            {"recurrenceType": "Daily", "startTime": "09:00:00", "endTime": "17:00:00"}
        ],
    }
    assert schedule_active(schedule, at("2026-01-05T08:00:00+00:00"))
    assert not schedule_active(schedule, at("2026-07-06T06:59:00+00:00"))
    assert schedule_active(schedule, at("2026-07-06T07:00:00+00:00"))


def test_a_windows_zone_name_is_found_ignoring_case() -> None:
    # .NET finds Windows zone ids ignoring case; Tokyo 09:00-10:00 is 00:00-01:00 UTC.
    daily = [{"recurrenceType": "Daily", "startTime": "09:00:00", "endTime": "10:00:00"}]
    for zone in ("Tokyo Standard Time", "tokyo standard time", "TOKYO STANDARD TIME"):
        schedule = {"timeZone": zone, "recurrences": daily}
        assert schedule_active(schedule, at("2026-03-02T00:30:00+00:00"))
        assert not schedule_active(schedule, at("2026-03-02T09:30:00+00:00"))


def test_an_unknown_or_absent_time_zone_is_utc() -> None:
    daily = [{"recurrenceType": "Daily", "startTime": "09:00:00", "endTime": "10:00:00"}]
    for zone in ("Mars Standard Time", None):
        assert schedule_active(
            {"timeZone": zone, "recurrences": daily}, at("2026-03-02T09:30:00+00:00")
        )


# ---- actions ------------------------------------------------------------------------------


def test_suppression_wins_over_adding_action_groups() -> None:
    routing = route([rule("add", add(AG1)), rule("mute", REMOVE)], ALERT, NOON)
    assert [r.name for r in routing.applied] == ["add", "mute"]
    assert routing.suppressed and routing.invocations == ()


def test_a_suppression_rule_outside_its_window_does_not_suppress() -> None:
    window = {
        "timeZone": "UTC",
        "recurrences": [{"recurrenceType": "Weekly", "daysOfWeek": ["Sunday"]}],
    }
    routing = route([rule("add", add(AG1)), rule("mute", REMOVE, schedule=window)], ALERT, NOON)
    assert not routing.suppressed
    assert routing.invocations == ((rule("add")["id"], AG1),)


def test_a_group_added_by_two_rules_is_invoked_twice_but_once_per_rule() -> None:
    routing = route([rule("a", add(AG1, AG1.upper())), rule("b", add(AG1, AG2))], ALERT, NOON)
    assert [group for _, group in routing.invocations] == [AG1.upper(), AG1, AG2]


def test_no_rule_no_action() -> None:
    routing = route([], ALERT, NOON)
    assert routing.applied == () and not routing.suppressed and routing.invocations == ()
