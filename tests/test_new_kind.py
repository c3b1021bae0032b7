"""A made-up kind plugged in through the registry alone: spec loading, diff, plan and apply
handle it unchanged.

docs/adding-a-kind.md promises that the spec and sync stages need no edit for a new kind; this
holds them to it with a metric alert rule that adds action groups, registered only in the kind
registries (and, for spec loading, its section in the schema, as a new kind adds it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from pathlib import Path
from textwrap import dedent
from typing import Any, ClassVar

import pytest

from provisioner import kinds
from provisioner.errors import AzureError, SpecProblem
from provisioner.export import kinds as export_kinds
from provisioner.export.behaviour.common import Document, SpecContext, entry_start, put, user_tags
from provisioner.export.spec_yaml import to_yaml
from provisioner.export.to_spec import file_document
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import GLOBAL_LOCATION, Tags
from provisioner.spec import desired, schema_check
from provisioner.spec import files as spec_files
from provisioner.spec import kinds as spec_kinds
from provisioner.spec.behaviour.common import Flagged, check_tags
from provisioner.spec.building import Builder, resource_id, tags
from provisioner.spec.document import SpecDocument
from provisioner.spec.entries import Entry
from provisioner.spec.yaml_loader import JsonPath
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


# --- spec loading: a `metricAlerts:` section becomes the desired state ---------------------------


def _build(builder: Builder, doc: SpecDocument, path: JsonPath, entry: Entry) -> None:
    alert_id = resource_id(doc, entry, METRIC_ALERT.arm_type)
    named = entry.get("actionGroups", [])
    groups = builder.resolve_all(kinds.ACTION_GROUP, doc, (*path, "actionGroups"), named, alert_id)
    found = MetricAlert(alert_id, tuple(sorted(set(groups))), entry.get("enabled", True))
    builder.add(doc, path, dataclasses.replace(found, tags=tags(doc, entry)))  # type: ignore[arg-type]


def _check(doc: SpecDocument, path: JsonPath, entry: Entry, flags: Flagged) -> list[SpecProblem]:
    return check_tags(doc, path, entry)


def _entry(alert: MetricAlert, context: SpecContext) -> Document:
    entry = entry_start(alert.id, context)
    put(entry, "tags", user_tags(alert.tags))
    entry["actionGroups"] = [context.group_names.get(g, str(g)) for g in alert.action_group_ids]
    return entry


# What the kind would add to schemas/alertsync.schema.json.
SCHEMA_SECTION = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "subscription": {"$ref": "#/$defs/subscriptionId"},
            "resourceGroup": {"type": "string"},
            "enabled": {"type": "boolean"},
            "actionGroups": {"type": "array", "items": {"type": "string"}},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
}


def _compiled_schema_caches() -> None:
    """Forget every validator compiled from the schema (not the schema itself: it is patched)."""
    for value in vars(schema_check).values():
        if hasattr(value, "cache_clear") and value is not schema_check.schema:
            value.cache_clear()


@pytest.fixture
def spec_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The spec and export halves: the section among the kinds, its SpecKind and ExportKind
    entries and its schema section."""
    monkeypatch.setattr(kinds, "KINDS", (*kinds.KINDS, METRIC_ALERT))
    entry = spec_kinds.SpecKind(METRIC_ALERT, spec_kinds.NAMES_RESOLVED, build=_build, check=_check)
    monkeypatch.setitem(spec_kinds.SPEC_KINDS, METRIC_ALERT, entry)
    monkeypatch.setitem(schema_check.schema()["properties"], METRIC_ALERT.section, SCHEMA_SECTION)
    export = export_kinds.ExportKind(METRIC_ALERT, _entry)
    monkeypatch.setitem(export_kinds.EXPORT_KINDS, METRIC_ALERT, export)
    _compiled_schema_caches()
    yield
    _compiled_schema_caches()  # rebuilt from the restored schema on next use


HEAD = f"apiVersion: alertsync/v1\nowner: {OWNER}\nsubscription: {SUB}\n"


def load(tmp_path: Path, **files: str) -> tuple[desired.DesiredState, list[SpecProblem]]:
    for name, body in files.items():
        (tmp_path / f"{name}.yaml").write_text(HEAD + dedent(body))
    documents, problems = spec_files.check([tmp_path])
    state, across = desired.check_across(documents)
    return state, problems + across


@pytest.mark.usefixtures("spec_registered")
def test_its_section_becomes_the_desired_state_naming_a_group_of_another_file(
    tmp_path: Path,
) -> None:
    # "alerts" sorts before "groups": the alert resolves the group's name in the later pass.
    found, problems = load(
        tmp_path,
        alerts="""\
        metricAlerts:
          - name: ma-cpu
            resourceGroup: rg-monitoring
            actionGroups: [AG-OnCall]
        """,
        groups="""\
        resourceGroup: rg-monitoring
        actionGroups:
          - name: ag-oncall
            shortName: oncall
            emailReceivers: [{name: oncall, address: oncall@example.com}]
        """,
    )
    assert problems == []
    assert found.resources[alert().id] == alert()  # owned tags and the resolved group
    assert found.sources[alert().id].endswith("alerts.yaml:5")
    plan = plan_of(found, state())
    assert [(c.action, c.id.name) for c in plan.changes] == [
        ("create", "ag-oncall"),
        ("create", "ma-cpu"),
    ]


@pytest.mark.usefixtures("spec_registered")
def test_its_entries_get_the_home_reference_and_duplicate_checks_of_every_kind(
    tmp_path: Path,
) -> None:
    _, problems = load(
        tmp_path,
        alerts="""\
        metricAlerts:
          - name: ma-cpu
            actionGroups: [ag-oncall]
          - name: ma-disk
            resourceGroup: rg-monitoring
            actionGroups: [ag-oncal]
          - name: ma-disk
            resourceGroup: rg-monitoring
        actionGroups:
          - name: ag-oncall
            resourceGroup: rg-monitoring
            shortName: oncall
        """,
    )
    assert [(p.line, p.message) for p in problems] == [
        (
            5,
            "metric alert 'ma-cpu' has no resourceGroup: set 'resourceGroup' on it or at the top of the file",
        ),
        (
            9,
            "action group 'ag-oncal' is not declared in these specs; declare it or give its full "
            "ID (did you mean 'ag-oncall'?)",
        ),
        (
            10,
            f"{alert('ma-disk').id.describe()} is declared twice: here and at "
            f"{tmp_path / 'alerts.yaml'}:7",
        ),
    ]


@pytest.mark.usefixtures("spec_registered")
def test_export_writes_its_section_and_spec_loading_reads_it_back(tmp_path: Path) -> None:
    context = SpecContext(OWNER, SUB, "rg-monitoring", {group_id("ag-oncall"): "ag-oncall"}, {})
    document = file_document(context, [alert(), group()])
    assert document["metricAlerts"] == [{"name": "ma-cpu", "actionGroups": ["ag-oncall"]}]
    (tmp_path / "rg-monitoring.yaml").write_text(to_yaml(document, ""))
    documents, problems = spec_files.check([tmp_path])
    assert problems == []
    assert desired.build(documents).resources[alert().id] == alert()
