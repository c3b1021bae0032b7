"""Differential: the emulator's alert routing and `check`'s evaluation agree on generated rules.

Two implementations of Azure's alert processing rules (provisioner/emulator/routing.py over ARM
bodies; provisioner/check over the canonical model the tool maps those bodies to) must agree
wherever `check` is certain: a rule `check` says applies (YES) applies in the emulator, one it
says does not (NO) does not; a MAYBE (an unconfirmed reading) may go either way. Fast cases run
both in-process; a smaller set goes through the real emulator over HTTPS: the alert is fired,
routed by the emulator, and read back by `check --since`'s reads, which must agree with
`check`'s prediction for the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from azure.mgmt.alertprocessingrules import models as sdk
from hypothesis import example, given
from hypothesis import strategies as st

from provisioner.azure.client import Azure
from provisioner.azure.evidence import EvidenceReader
from provisioner.azure.mappings import action_groups as group_mapping
from provisioner.azure.mappings import processing_rules
from provisioner.azure.settings import AzureSettings
from provisioner.check import history
from provisioner.check import routing as check_routing
from provisioner.check import schedule as check_schedule
from provisioner.check.coverage import SUPPRESSED, Estate, Evaluator
from provisioner.check.evidence import read_alerts
from provisioner.check.verdict import Verdict
from provisioner.emulator import Emulator
from provisioner.emulator import routing as emulator_routing
from provisioner.ids import ResourceId
from provisioner.model import ActionGroup, AlertProcessingRule, VaultAlertSettings
from tests.properties import examples

SUB = "00000000-0000-0000-0000-000000000000"
SUB_ID = f"/subscriptions/{SUB}"
RG_ID = f"{SUB_ID}/resourceGroups/rg-backup"
VAULT_ID = f"{RG_ID}/providers/Microsoft.RecoveryServices/vaults/RSV-JPE-LRS"
VAULT = ResourceId.parse(VAULT_ID)
MON = f"{SUB_ID}/resourceGroups/rg-monitoring"
RULES = f"{MON}/providers/Microsoft.AlertsManagement/actionRules"
GROUPS = f"{MON}/providers/microsoft.insights/actionGroups"


def _group(name: str, *, enabled: bool = True, status: str = "Enabled") -> dict[str, Any]:
    receiver = {"name": "oncall", "emailAddress": f"{name}@example.com", "status": status}
    return {
        "id": f"{GROUPS}/{name}",
        "name": name,
        "location": "Global",
        "properties": {
            "groupShortName": name[:12],
            "enabled": enabled,
            "emailReceivers": [receiver],
        },
    }


# ag-gone is named by rules but does not exist (Azure lets a group be deleted under a rule).
GROUP_BODIES = {
    "ag-oncall": _group("ag-oncall"),
    "ag-second": _group("ag-second"),
    "ag-off": _group("ag-off", enabled=False),
    "ag-unsub": _group("ag-unsub", status="Disabled"),
}

# --- generated ARM bodies ----------------------------------------------------------------------

_scopes = st.lists(
    st.sampled_from(
        [
            SUB_ID,
            SUB_ID.upper(),
            RG_ID,
            RG_ID.lower(),
            VAULT_ID,
            VAULT_ID.upper(),
            f"{SUB_ID}/resourceGroups/rg-vms",
            f"{RG_ID}/providers/Microsoft.RecoveryServices/vaults/RSV-JPE",  # a prefix, not a segment
            "/subscriptions/11111111-1111-1111-1111-111111111111",
        ]
    ),
    min_size=1,
    max_size=2,
    unique=True,
)
_VALUES: dict[str, tuple[tuple[str, ...], list[str]]] = {
    "Severity": (("Equals", "NotEquals"), ["Sev1", "sev1", "Sev0", "Sev3"]),
    "MonitorService": (("Equals", "NotEquals"), ["Azure Backup", "azure backup", "Platform"]),
    "MonitorCondition": (("Equals", "NotEquals"), ["Fired", "Resolved", "fired"]),
    "SignalType": (("Equals", "NotEquals"), ["Log", "Metric", "log"]),
    "TargetResourceType": (
        ("Equals", "NotEquals", "Contains", "DoesNotContain"),
        [
            "microsoft.recoveryservices/vaults",
            "Microsoft.RecoveryServices/vaults",
            "microsoft.compute/virtualmachines",
            "vaults",
        ],
    ),
    "TargetResource": (
        ("Equals", "NotEquals", "Contains", "DoesNotContain"),
        [
            VAULT_ID,
            VAULT_ID.lower(),
            "rsv-jpe",
            f"{RG_ID}/providers/Microsoft.RecoveryServices/vaults/other",
        ],
    ),
    "TargetResourceGroup": (
        ("Equals", "NotEquals", "Contains", "DoesNotContain"),
        [RG_ID, RG_ID.upper(), "rg-backup", f"{SUB_ID}/resourceGroups/rg-vms"],
    ),
    "AlertRuleId": (("Equals", "NotEquals", "Contains"), [f"{RULES}/x", "backup"]),
    "AlertRuleName": (
        ("Equals", "NotEquals", "Contains", "DoesNotContain"),
        ["Backup Failure", "backup failure", "Backup", "Restore Failure", " Backup Failure"],
    ),
    "Description": (("Contains", "DoesNotContain"), ["agent"]),
    "AlertContext": (("Contains",), ["SQLDataBase"]),
}


@st.composite
def _condition(draw: st.DrawFn, field: str) -> dict[str, Any]:
    operators, values = _VALUES[field]
    chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
    return {"field": field, "operator": draw(st.sampled_from(operators)), "values": chosen}


_conditions = st.lists(st.sampled_from(sorted(_VALUES)), max_size=3, unique=True).flatmap(
    lambda fields: st.tuples(*(_condition(f) for f in fields)).map(list)
)
# Zones as Windows names, some in another case (.NET finds Windows zones ignoring case).
_ZONES = [
    "UTC",
    "Tokyo Standard Time",
    "tokyo standard time",
    "Pacific Standard Time",
    "PACIFIC STANDARD TIME",
    "W. Europe Standard Time",
]
_clock = st.sampled_from([None, "00:00:00", "02:30:00", "09:00:00", "17:00:00", "22:00:00"])
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


@st.composite
def _recurrence(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["Daily", "Weekly", "Monthly"]))
    start, end = draw(_clock), draw(_clock)
    if kind == "Daily":
        return {
            "recurrenceType": "Daily",
            "startTime": start or "00:00:00",
            "endTime": end or "12:00:00",
        }
    times = {k: v for k, v in (("startTime", start), ("endTime", end)) if v}
    if kind == "Weekly":
        days = draw(st.lists(st.sampled_from(_DAYS), min_size=1, max_size=3, unique=True))
        return {"recurrenceType": "Weekly", "daysOfWeek": days, **times}
    month_days = draw(st.lists(st.integers(1, 31), min_size=1, max_size=3, unique=True))
    return {"recurrenceType": "Monthly", "daysOfMonth": month_days, **times}


@st.composite
def _schedule(draw: st.DrawFn) -> dict[str, Any] | None:
    if draw(st.booleans()):
        return None
    schedule: dict[str, Any] = {"timeZone": draw(st.sampled_from(_ZONES))}
    if draw(st.booleans()):
        start = draw(st.datetimes(datetime(2026, 10, 1), datetime(2026, 12, 31)))
        schedule["effectiveFrom"] = start.strftime("%Y-%m-%dT%H:%M:%S")
        until = start + draw(st.timedeltas(timedelta(hours=1), timedelta(days=20)))
        schedule["effectiveUntil"] = until.strftime("%Y-%m-%dT%H:%M:%S")
    schedule["recurrences"] = draw(st.lists(_recurrence(), max_size=2))
    return schedule


@st.composite
def _rule(
    draw: st.DrawFn, index: int, *, conditions: bool = True, schedule: bool = True
) -> dict[str, Any]:
    """An ARM body; `conditions`/`schedule` False leave those out (and scope the subscription),
    so a property searches one part of the semantics at a time."""
    if draw(st.integers(0, 3)) == 0:
        actions: list[dict[str, Any]] = [{"actionType": "RemoveAllActionGroups"}]
    else:
        names = draw(
            st.lists(
                st.sampled_from([*GROUP_BODIES, "ag-gone"]), min_size=1, max_size=2, unique=True
            )
        )
        actions = [
            {"actionType": "AddActionGroups", "actionGroupIds": [f"{GROUPS}/{n}" for n in names]}
        ]
    scopes = draw(_scopes) if conditions else [SUB_ID]
    properties: dict[str, Any] = {"scopes": scopes, "actions": actions}
    found = draw(_conditions) if conditions else []
    if found:
        properties["conditions"] = found
    timing = draw(_schedule()) if schedule else None
    if timing is not None:
        properties["schedule"] = timing
    enabled = draw(st.sampled_from([True, False, None]))
    if enabled is not None:
        properties["enabled"] = enabled
    name = f"apr-{index}"
    return {"id": f"{RULES}/{name}", "name": name, "location": "Global", "properties": properties}


_rule_sets = st.integers(1, 4).flatmap(lambda n: st.tuples(*(_rule(i) for i in range(n))).map(list))
_times = st.datetimes(datetime(2026, 11, 1), datetime(2026, 12, 31), timezones=st.just(UTC))


# --- the two evaluations ------------------------------------------------------------------------


def tool_rule(body: dict[str, Any]) -> AlertProcessingRule:
    """The body as the tool reads it from Azure: SDK model, then the tool's own mapping."""
    return processing_rules.from_arm(sdk.AlertProcessingRule(body))


def tool_groups() -> dict[ResourceId, ActionGroup]:
    from azure.mgmt.monitor import models as monitor  # noqa: PLC0415

    groups = [
        group_mapping.from_arm(monitor.ActionGroupResource.deserialize(b))
        for b in GROUP_BODIES.values()
    ]
    return {g.id: g for g in groups}


def tool_verdict(rule: AlertProcessingRule, at: datetime) -> Verdict:
    """Whether `check` says the rule applies to the vault's job-failure alert at `at`."""
    if not rule.enabled or not check_routing.in_scope(rule, VAULT):
        return Verdict.NO
    conditions = check_routing.conditions_verdict(rule, check_routing.BackupFailureAlert(VAULT))
    return Verdict.all_of([conditions.verdict, check_schedule.verdict_at(rule.schedule, at)])


def emulator_applies(body: dict[str, Any], at: datetime) -> bool:
    return emulator_routing.rule_applies(body, emulator_routing.FiredAlert(VAULT_ID), at)


def disagreement(body: dict[str, Any], at: datetime) -> str | None:
    verdict, applied = tool_verdict(tool_rule(body), at), emulator_applies(body, at)
    if verdict is Verdict.MAYBE or (verdict is Verdict.YES) == applied:
        return None
    return f"check says {verdict.name}, the emulator says {applied} for {body} at {at.isoformat()}"


@examples(150)
@given(body=_rule(0, schedule=False), at=_times)
def test_scopes_and_conditions_agree(body: dict[str, Any], at: datetime) -> None:
    assert disagreement(body, at) is None


@examples(150)
@given(body=_rule(0, conditions=False), at=_times)
def test_schedules_agree(body: dict[str, Any], at: datetime) -> None:
    assert disagreement(body, at) is None


@examples(100)
@given(bodies=_rule_sets, at=_times)
def test_suppression_and_routes_agree(bodies: list[dict[str, Any]], at: datetime) -> None:
    routed = emulator_routing.route(bodies, emulator_routing.FiredAlert(VAULT_ID), at)
    rules = tuple(tool_rule(b) for b in bodies)
    vault = VaultAlertSettings(VAULT, job_failure_alerts=True)
    outcome = Evaluator(Estate((vault,), rules, tool_groups())).at(vault, at)
    suppressions = [p for p in outcome.problems if p.code == SUPPRESSED]
    if routed.suppressed:
        assert suppressions, "the emulator suppressed; check saw no possible suppression"
    if any(not p.unconfirmed for p in suppressions):
        assert routed.suppressed, "check is sure of a suppression the emulator did not apply"
    invoked = {(ResourceId.parse(r), ResourceId.parse(g)) for r, g in routed.invocations}
    if not routed.suppressed:
        assert {(r.rule, r.action_group) for r in outcome.routes} <= invoked
    if outcome.covered:
        assert not routed.suppressed and invoked


# --- through the real emulator: fire, route, read the history back -----------------------------


def _seed(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    groups = [
        {"id": b["id"], "body": {k: v for k, v in b.items() if k in ("location", "properties")}}
        for b in GROUP_BODIES.values()
    ]
    rules = [
        {"id": b["id"], "body": {"location": "Global", "properties": b["properties"]}}
        for b in bodies
    ]
    return {
        "subscriptions": [
            {
                "id": SUB,
                "resourceGroups": [
                    {
                        "name": "rg-backup",
                        "location": "japaneast",
                        "vaults": [{"name": "RSV-JPE-LRS", "location": "japaneast"}],
                    },
                    {"name": "rg-monitoring", "location": "japaneast", "resources": groups + rules},
                ],
            }
        ]
    }


_SUPPRESSED_OVER_AN_ADD_RULE: Final = [
    {
        "id": f"{MON}/providers/Microsoft.AlertsManagement/actionRules/apr-0",
        "name": "apr-0",
        "location": "Global",
        "properties": {
            "scopes": [SUB_ID],
            "actions": [{"actionType": "RemoveAllActionGroups"}],
            "enabled": True,
        },
    },
    {
        "id": f"{MON}/providers/Microsoft.AlertsManagement/actionRules/apr-1",
        "name": "apr-1",
        "location": "Global",
        "properties": {
            "scopes": [SUB_ID],
            "actions": [
                {"actionType": "AddActionGroups", "actionGroupIds": [f"{GROUPS}/ag-oncall"]}
            ],
            "enabled": True,
        },
    },
]


@examples(12)
@given(bodies=_rule_sets, ago=st.timedeltas(timedelta(minutes=5), timedelta(days=29)))
# Once found: check listed the add rule's addresses as mailed while the suppression stopped them.
@example(bodies=_SUPPRESSED_OVER_AN_ADD_RULE, ago=timedelta(minutes=5))
def test_a_fired_alert_read_back_from_the_emulator_agrees_with_check(
    emulator: Emulator, bodies: list[dict[str, Any]], ago: timedelta
) -> None:
    at = (datetime.now(UTC) - ago).replace(microsecond=0)
    emulator.control.reset(seed=_seed(bodies))
    emulator.control.set_receiver_status(f"{GROUPS}/ag-unsub", "oncall", "Disabled")
    emulator.control.fire_alert(VAULT_ID, firedAt=at.isoformat())
    with Azure(AzureSettings.from_env(emulator.env())) as azure:
        found = read_alerts(
            EvidenceReader(azure), [SUB], [VAULT], timedelta(days=30), datetime.now(UTC)
        )
    (alert,) = found.evidence
    mailed = {n["emailAddress"] for n in emulator.control.notifications()}
    vault = VaultAlertSettings(VAULT, job_failure_alerts=True)
    predicted = Evaluator(Estate((vault,), tuple(tool_rule(b) for b in bodies), tool_groups())).at(
        vault, at
    )
    certain = not any(p.unconfirmed for p in predicted.problems)
    if predicted.covered:
        assert alert.outcome == history.NOTIFIED and set(predicted.emails) <= mailed
    if certain:
        assert set(predicted.emails) == mailed, (predicted, alert)
    suppressions = [p for p in predicted.problems if p.code == SUPPRESSED]
    assert (alert.outcome == history.SUPPRESSED) <= bool(suppressions)
    if any(not p.unconfirmed for p in suppressions):
        assert alert.outcome == history.SUPPRESSED
