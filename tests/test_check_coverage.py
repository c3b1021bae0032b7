"""Coverage of a vault: every problem code, suppression winning, gaps over a window, properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from provisioner.check.coverage import Estate, Evaluator, Outcome, Route
from provisioner.ids import ResourceId
from provisioner.model import (
    DAYS_OF_WEEK,
    ActionGroup,
    AlertProcessingRule,
    Condition,
    EmailReceiver,
    Recurrence,
    Schedule,
    VaultAlertSettings,
)
from tests.builders import SUB, group, group_id, rule, rule_id, vault_id
from tests.properties import examples

AT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # Saturday 02:00 UTC
VAULT = VaultAlertSettings(vault_id(), job_failure_alerts=True)
SUBSCRIPTION = ResourceId(SUB)
WEEKEND = Schedule(
    time_zone="UTC", recurrences=(Recurrence("Weekly", days_of_week=("Saturday", "Sunday")),)
)


def suppression(name: str = "apr-maintenance", **kw: object) -> AlertProcessingRule:
    defaults: dict[str, object] = {
        "scopes": (SUBSCRIPTION,),
        "action_type": "RemoveAllActionGroups",
        "action_group_ids": (),
        "conditions": (),
    }
    defaults.update(kw)
    return rule(name, **defaults)


def outcome(
    *rules: AlertProcessingRule,
    groups: tuple[ActionGroup, ...] = (group(),),
    vault: VaultAlertSettings = VAULT,
    at: datetime = AT,
) -> Outcome:
    estate = Estate((vault,), rules, {g.id: g for g in groups})
    return Evaluator(estate).at(vault, at)


def codes(found: Outcome) -> list[str]:
    return [p.code for p in found.problems]


def test_a_rule_on_the_vault_reaching_an_email_covers_it() -> None:
    found = outcome(rule())
    assert found.covered
    assert found.emails == ("oncall@example.com",)
    assert found.routes == (Route(rule_id("apr-jobs"), group_id("ag-oncall")),)
    assert found.problems == ()


def test_job_failure_alerts_disabled() -> None:
    found = outcome(rule(), vault=replace(VAULT, job_failure_alerts=False))
    assert not found.covered
    assert codes(found)[0] == "job-failure-alerts-disabled"
    assert "jobFailureAlerts: true" in found.problems[0].message


def test_no_rule() -> None:
    found = outcome()
    assert not found.covered
    assert codes(found) == ["no-rule"]
    other_vault = rule(scopes=(vault_id("RSV-OTHER"),))
    assert codes(outcome(other_vault)) == ["no-rule"]


def test_rule_disabled() -> None:
    found = outcome(rule(enabled=False))
    assert codes(found) == ["no-rule", "rule-disabled"]
    assert "enable it" in found.problems[1].message


def test_suppression_beats_a_rule_that_adds_a_group() -> None:
    found = outcome(rule(), suppression())
    assert not found.covered
    assert codes(found) == ["suppressed"]
    assert found.routes  # the add rule still applies; the suppression wins
    assert not found.problems[0].unconfirmed


def test_a_disabled_or_non_matching_suppression_does_not_suppress() -> None:
    assert outcome(rule(), suppression(enabled=False)).covered
    sev0 = (Condition.build("Severity", "Equals", ["Sev0"]),)
    assert outcome(rule(), suppression(conditions=sev0)).covered
    assert outcome(rule(), suppression(schedule=WEEKEND), at=AT + timedelta(days=2)).covered


def test_a_suppression_that_may_match_counts_and_says_it_is_unconfirmed() -> None:
    maybe = (Condition.build("Description", "Contains", ["guest agent"]),)
    found = outcome(rule(), suppression(conditions=maybe))
    assert codes(found) == ["suppressed"]
    assert found.problems[0].unconfirmed
    assert "may suppress" in found.problems[0].message


def test_action_group_missing() -> None:
    found = outcome(rule(groups=("ag-gone",)))
    assert codes(found) == ["action-group-missing"]
    assert '"ag-gone"' in found.problems[0].message


def test_action_group_disabled() -> None:
    assert codes(outcome(rule(), groups=(group(enabled=False),))) == ["action-group-disabled"]


def test_no_email_without_receivers_or_when_all_unsubscribed() -> None:
    assert codes(outcome(rule(), groups=(group(email_receivers=()),))) == ["no-email"]
    gone = (EmailReceiver("oncall", "oncall@example.com", status="Disabled"),)
    found = outcome(rule(), groups=(group(email_receivers=gone),))
    assert codes(found) == ["no-email"]
    assert "unsubscribed" in found.problems[0].message


def test_only_enabled_receivers_get_mail() -> None:
    receivers = (
        EmailReceiver("a", "a@example.com", status="Enabled"),
        EmailReceiver("b", "b@example.com", status="Disabled"),
        EmailReceiver("c", "c@example.com"),
    )
    found = outcome(rule(), groups=(group(email_receivers=receivers),))
    assert found.emails == ("a@example.com", "c@example.com")


def test_one_good_route_covers_and_a_broken_one_is_still_reported() -> None:
    found = outcome(rule("apr-a"), rule("apr-b", groups=("ag-gone",)))
    assert found.covered
    assert codes(found) == ["action-group-missing"]


def test_condition_excludes_and_condition_uncertain() -> None:
    sev0 = rule(conditions=(Condition.build("Severity", "Equals", ["Sev0"]),))
    found = outcome(sev0)
    assert codes(found) == ["no-rule", "condition-excludes"]
    assert "Severity Equals Sev0" in found.problems[1].message
    by_text = rule(conditions=(Condition.build("Description", "Contains", ["agent"]),))
    found = outcome(by_text)
    assert codes(found) == ["no-rule", "condition-uncertain"]
    assert found.problems[1].unconfirmed


def test_schedule_inactive_and_uncertain() -> None:
    weekdays = Schedule(
        time_zone="UTC", recurrences=(Recurrence("Weekly", days_of_week=("Monday",)),)
    )
    assert codes(outcome(rule(schedule=weekdays))) == ["no-rule", "schedule-inactive"]
    crossing = Schedule(
        time_zone="UTC",
        recurrences=(Recurrence("Weekly", "22:00:00", "04:00:00", days_of_week=("Friday",)),),
    )
    found = outcome(rule(schedule=crossing))  # Saturday 02:00: after Friday 22:00, maybe
    assert codes(found) == ["no-rule", "schedule-uncertain"]
    assert "crossing midnight" in found.problems[1].message


def test_rules_of_another_subscription_do_not_apply() -> None:
    elsewhere = "11111111-1111-1111-1111-111111111111"
    foreign = replace(
        rule(),
        id=ResourceId.parse(
            f"/subscriptions/{elsewhere}/resourceGroups/rg/providers/Microsoft.AlertsManagement/actionRules/r"
        ),
    )
    assert codes(outcome(foreign)) == ["no-rule"]


# --- windows ------------------------------------------------------------------------------------


def window(
    *rules: AlertProcessingRule, start: datetime, days: int = 7
) -> list[tuple[str, str, str]]:
    estate = Estate((VAULT,), rules, {group().id: group()})
    gaps = Evaluator(estate).gaps(VAULT, start, start + timedelta(days=days))
    return [(g.start.isoformat(), g.until.isoformat(), g.code) for g in gaps]


def test_a_weekend_suppression_is_one_gap_with_exact_bounds() -> None:
    monday = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    gaps = window(rule(), suppression(schedule=WEEKEND), start=monday)
    assert gaps == [("2026-12-05T00:00:00+00:00", "2026-12-07T00:00:00+00:00", "suppressed")]


def test_an_expiring_rule_leaves_a_gap_to_the_end_of_the_window() -> None:
    monday = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    expiring = rule(schedule=Schedule(effective_until="2026-12-03T12:00:00", time_zone="UTC"))
    assert window(expiring, start=monday) == [
        ("2026-12-03T12:00:00+00:00", "2026-12-07T00:00:00+00:00", "no-rule")
    ]


def test_a_covered_vault_has_no_gaps_and_an_uncovered_one_is_one_gap() -> None:
    monday = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert window(rule(), start=monday) == []
    assert window(start=monday) == [
        ("2026-11-30T00:00:00+00:00", "2026-12-07T00:00:00+00:00", "no-rule")
    ]


def test_window_bounds_follow_the_rules_time_zone_across_dst() -> None:
    # Europe leaves summer time on 2026-10-25: Saturday 00:00 local is 22:00 UTC before, 23:00 after.
    cet_weekend = replace(WEEKEND, time_zone="W. Europe Standard Time")
    start = datetime(2026, 10, 19, 0, 0, tzinfo=UTC)
    gaps = window(rule(), suppression(schedule=cet_weekend), start=start, days=14)
    assert gaps == [
        ("2026-10-23T22:00:00+00:00", "2026-10-25T23:00:00+00:00", "suppressed"),
        ("2026-10-30T23:00:00+00:00", "2026-11-01T23:00:00+00:00", "suppressed"),
    ]


# --- properties -----------------------------------------------------------------------------------

_times = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
_zones = st.sampled_from(
    [None, "UTC", "Tokyo Standard Time", "Pacific Standard Time", "W. Europe Standard Time"]
)
_clock = st.sampled_from([None, "00:00:00", "02:30:00", "09:00:00", "17:00:00", "22:00:00"])


@st.composite
def _recurrences(draw: st.DrawFn) -> Recurrence:
    kind = draw(st.sampled_from(["Daily", "Weekly", "Monthly"]))
    start, end = draw(_clock), draw(_clock)
    if kind == "Daily":
        return Recurrence("Daily", start or "00:00:00", end or "12:00:00")
    if kind == "Weekly":
        days = draw(st.lists(st.sampled_from(DAYS_OF_WEEK), min_size=1, max_size=3, unique=True))
        return Recurrence("Weekly", start, end, days_of_week=tuple(days))
    month_days = draw(st.lists(st.integers(1, 31), min_size=1, max_size=3, unique=True))
    return Recurrence("Monthly", start, end, days_of_month=tuple(sorted(month_days)))


_schedules = st.one_of(
    st.none(),
    st.builds(
        Schedule,
        time_zone=_zones,
        recurrences=st.lists(_recurrences(), max_size=2).map(tuple),
    ),
)
_conditions = st.lists(
    st.sampled_from(
        [
            Condition.build("Severity", "Equals", ["Sev1"]),
            Condition.build("Severity", "NotEquals", ["Sev0", "Sev1"]),
            Condition.build("TargetResourceType", "Equals", ["microsoft.recoveryservices/vaults"]),
            Condition.build("Description", "Contains", ["agent"]),
            Condition.build("AlertRuleName", "Equals", ["backup failure"]),
            Condition.build("TargetResourceGroup", "Equals", ["rg-backup"]),
        ]
    ),
    max_size=2,
    unique_by=lambda c: c.field,
).map(lambda cs: tuple(sorted(cs, key=lambda c: c.field)))
_scopes = st.sampled_from(
    [
        (SUBSCRIPTION,),
        (ResourceId.parse(f"/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/RG-BACKUP"),),
        (vault_id(),),
    ]
)


@st.composite
def _rules(draw: st.DrawFn, name: str, action: str) -> AlertProcessingRule:
    groups = draw(
        st.sampled_from([("ag-oncall",), ("ag-gone",), ("ag-off",), ("ag-oncall", "ag-off")])
    )
    return rule(
        name,
        groups=groups if action == "AddActionGroups" else (),
        action_type=action,
        scopes=draw(_scopes),
        conditions=draw(_conditions),
        schedule=draw(_schedules),
        enabled=draw(st.booleans()),
    )


_estates = st.lists(
    st.one_of(
        *(_rules(f"apr-{i}", "AddActionGroups") for i in range(3)),
        *(_rules(f"apr-s{i}", "RemoveAllActionGroups") for i in range(2)),
    ),
    max_size=4,
    unique_by=lambda r: r.id,
)
_GROUPS = {g.id: g for g in (group(), group("ag-off", enabled=False))}


def _covered(rules: list[AlertProcessingRule], at: datetime, job: bool = True) -> bool:
    vault = replace(VAULT, job_failure_alerts=job)
    return Evaluator(Estate((vault,), tuple(rules), _GROUPS)).at(vault, at).covered


@st.composite
def _matching(draw: st.DrawFn, name: str, action: str) -> AlertProcessingRule:
    """A rule that certainly applies to the vault's alert at every time: enabled, in scope,
    conditions that match, no schedule."""
    scopes = draw(_scopes)
    conditions = draw(st.sampled_from([(), (Condition.build("Severity", "Equals", ["Sev1"]),)]))
    groups = ("ag-oncall",) if action == "AddActionGroups" else ()
    return rule(name, groups=groups, action_type=action, scopes=scopes, conditions=conditions)


def _added(name: str, action: str) -> st.SearchStrategy[AlertProcessingRule]:
    """A rule that certainly matches, or any rule of that action (scheduled, uncertain, off)."""
    return st.one_of(_matching(name, action), _rules(name, action))


@examples(200)
@given(rules=_estates, at=_times, job=st.booleans(), data=st.data())
def test_adding_a_matching_suppression_rule_never_increases_coverage(
    rules: list[AlertProcessingRule], at: datetime, job: bool, data: st.DataObject
) -> None:
    extra = data.draw(_added("apr-added-suppression", "RemoveAllActionGroups"))
    assert _covered([*rules, extra], at, job) <= _covered(rules, at, job)
    certain = data.draw(_matching("apr-certain-suppression", "RemoveAllActionGroups"))
    assert not _covered([*rules, certain], at, job)


@examples(200)
@given(rules=_estates, at=_times, job=st.booleans(), data=st.data())
def test_adding_a_matching_add_rule_never_decreases_coverage(
    rules: list[AlertProcessingRule], at: datetime, job: bool, data: st.DataObject
) -> None:
    extra = data.draw(_added("apr-added", "AddActionGroups"))
    assert _covered([*rules, extra], at, job) >= _covered(rules, at, job)


@examples(100)
@given(rules=_estates, start=_times)
def test_gaps_are_exactly_the_uncovered_instants(
    rules: list[AlertProcessingRule], start: datetime
) -> None:
    estate = Estate((VAULT,), tuple(rules), _GROUPS)
    evaluator = Evaluator(estate)
    until = start + timedelta(days=3)
    gaps = evaluator.gaps(VAULT, start, until)
    probe = start
    while probe < until:
        inside = any(g.start <= probe < g.until for g in gaps)
        assert inside == (not evaluator.at(VAULT, probe).covered), probe
        probe += timedelta(minutes=97)


def test_an_action_group_of_an_unreadable_subscription_is_unknown_not_gone() -> None:
    other = "11111111-1111-1111-1111-111111111111"
    foreign = ResourceId.parse(
        f"/subscriptions/{other}/resourceGroups/rg/providers/Microsoft.Insights/actionGroups/ag-x"
    )
    estate = Estate(
        (VAULT,), (replace(rule(), action_group_ids=(foreign,)),), {}, frozenset({other})
    )
    found = Evaluator(estate).at(VAULT, AT)
    assert codes(found) == ["action-group-missing"]
    assert found.problems[0].unconfirmed
    assert "could not be read" in found.problems[0].message
