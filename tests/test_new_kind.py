"""A made-up kind plugged in through the registry alone: diff, plan and apply handle it unchanged.

docs/adding-a-kind.md promises that the sync stages need no edit for a new kind; this holds them
to it with a metric alert rule that adds action groups, registered only in the kind registries.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import pytest

from provisioner import kinds
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import GLOBAL_LOCATION, Tags
from provisioner.sync import kinds as sync_kinds
from provisioner.sync.apply import apply
from provisioner.sync.behaviour.common import disables, updates
from provisioner.sync.changes import Change, Reference
from provisioner.sync.diff import compute
from provisioner.sync.fields import Keyed, Tree, item_set
from provisioner.sync.plan import Plan
from tests.builders import OWNER, SUB, group, group_id, owned_tags, state
from tests.fakes import FakeAzure

METRIC_ALERT = Kind(
    name="metricAlert",
    label="metric alert",
    section="metricAlerts",
    arm_type="Microsoft.Insights/metricAlerts",
    apply_phase=2,
    delete_phase=4,
)


@dataclasses.dataclass(frozen=True, slots=True)
class MetricAlert:
    KIND: ClassVar[Kind] = METRIC_ALERT

    id: ResourceId
    action_group_ids: tuple[ResourceId, ...] = ()
    enabled: bool = True
    location: str = GLOBAL_LOCATION
    tags: Tags = ()

    def uses(self) -> tuple[ResourceId, ...]:
        return self.action_group_ids


def _fields(alert: MetricAlert) -> Tree:
    return {
        "enabled": alert.enabled,
        "location": alert.location,
        "tags": Keyed(alert.tags),
        "actionGroups": item_set(alert.action_group_ids),
    }


def _risks(change: Change) -> Iterable[str]:
    if updates(change):
        yield from disables(change, change.desired, change.live)  # type: ignore[arg-type]


def _references(alert: MetricAlert) -> Iterable[Reference]:
    return (Reference(g, "adds", "declare the group") for g in alert.action_group_ids)


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The new kind's entries: the base registry's lookups and the sync half, nothing else."""
    monkeypatch.setitem(kinds._BY_ARM_TYPE, METRIC_ALERT.arm_type.lower(), METRIC_ALERT)
    monkeypatch.setitem(kinds._BY_SECTION, METRIC_ALERT.section, METRIC_ALERT)
    entry = sync_kinds.SyncKind(METRIC_ALERT, fields=_fields, risks=_risks, references=_references)
    monkeypatch.setitem(sync_kinds.SYNC_KINDS, METRIC_ALERT, entry)
    yield


def alert(name: str = "ma-cpu", **kw: Any) -> MetricAlert:
    rid = ResourceId.for_resource(SUB, "rg-monitoring", METRIC_ALERT.arm_type, name)
    defaults: dict[str, Any] = {"action_group_ids": (group_id("ag-oncall"),)}
    defaults["tags"] = owned_tags()
    return MetricAlert(rid, **{**defaults, **kw})


def plan_of(desired: Any, live: Any, **kw: Any) -> Plan:
    return Plan.build(compute(desired, live, **kw), live.resources, [OWNER])


def test_it_is_created_after_the_groups_it_uses_and_named_in_the_plan() -> None:
    plan = plan_of(state(alert(), group()), state())
    assert [(c.action, c.id.name) for c in plan.changes] == [
        ("create", "ag-oncall"),
        ("create", "ma-cpu"),
    ]
    created = plan.to_data()["changes"][1]
    assert created["kind"] == "metricAlert"
    assert {f["path"].split("[")[0] for f in created["fields"]} >= {"enabled", "actionGroups"}


def test_it_is_skipped_when_a_group_it_uses_failed() -> None:
    fake = FakeAzure.holding(groups=[group_id("ag-oncall").resource_group_id()])
    fake.fail("put", group_id("ag-oncall"), AzureError("refused", status=400))
    result = apply(plan_of(state(alert(), group()), state()), fake)
    assert [o.status for o in result.outcomes] == ["failed", "skipped"]
    assert "depends on action group" in (result.outcomes[1].error or "")


def test_its_owner_disabling_and_use_of_deleted_groups_are_judged_as_for_every_kind() -> None:
    foreign = plan_of(state(alert()), state(alert(tags=owned_tags("someone-else"))))
    assert [p.code for p in foreign.problems] == ["ownership"]
    disabled = plan_of(state(alert(enabled=False)), state(alert()))
    assert disabled.unsafe == (f"disables {alert().id.describe()}",)
    pruned = plan_of(state(alert()), state(alert(), group()), prune=True)
    assert pruned.unsafe == (
        f"deletes {group_id('ag-oncall').describe()} while {alert().id.describe()} still uses it",
    )


def test_a_group_it_adds_that_exists_nowhere_is_a_problem_at_its_line() -> None:
    live = state(missing_action_groups=frozenset({group_id("ag-oncall")}))
    found = compute(state(alert()), live)
    assert [p.message for p in found.problems] == [
        f"{alert().id.describe()} adds {group_id('ag-oncall').describe()}, which does not "
        "exist; declare the group"
    ]
