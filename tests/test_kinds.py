"""The kind registry: every stage's half of each kind is registered, and agrees with the others."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import typing
from pathlib import Path

import pytest

from provisioner import kinds
from provisioner.azure.kinds import SDK_KINDS, SdkKind
from provisioner.export.kinds import EXPORT_KINDS, ExportKind
from provisioner.export.to_spec import SpecContext
from provisioner.ids import ResourceId
from provisioner.kinds import KINDS, by_arm_type, by_section
from provisioner.model import KindModel, OwnedModel, Resource
from provisioner.spec.entries import entries
from provisioner.spec.kinds import SPEC_KINDS, SpecKind, build_passes
from provisioner.sync.changes import Change
from provisioner.sync.kinds import SYNC_KINDS, SyncKind, resource_fields
from tests.builders import OWNER, SUB, group, rule, vault

ROOT = Path(__file__).parent.parent
SCHEMA = ROOT / "schemas" / "alertsync.schema.json"
MODEL_CLASSES = typing.get_args(Resource)
SAMPLES: dict[kinds.Kind, Resource] = {
    kinds.ACTION_GROUP: group(),
    kinds.PROCESSING_RULE: rule(),
    kinds.VAULT: vault(),
}


def test_every_model_class_names_its_own_kind_once() -> None:
    assert sorted(c.KIND.name for c in MODEL_CLASSES) == sorted(k.name for k in KINDS)


def test_every_registry_half_holds_exactly_the_registered_kinds() -> None:
    assert set(SDK_KINDS) == set(SYNC_KINDS) == set(SPEC_KINDS) == set(EXPORT_KINDS) == set(KINDS)
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_kind_provides_every_hook(kind: kinds.Kind) -> None:
    """A kind missing a hook fails here, not in the middle of a plan."""
    halves = (
        (SdkKind, SDK_KINDS[kind]),
        (SyncKind, SYNC_KINDS[kind]),
        (SpecKind, SPEC_KINDS[kind]),
        (ExportKind, EXPORT_KINDS[kind]),
    )
    for half, entry in halves:
        assert entry.kind is kind
        for hook in dataclasses.fields(half):
            if hook.name not in ("kind", "build_pass") and not hook.name.startswith(
                ("list_", "write_")
            ):
                assert callable(getattr(entry, hook.name)), f"{kind.name}: {hook.name}"
    # What other kinds name (a rule's action groups) is built in the first pass over the files.
    assert SPEC_KINDS[kind].build_pass in build_passes()
    if kind.depended_on:
        assert SPEC_KINDS[kind].build_pass == build_passes()[0]
    sample = SAMPLES[kind]
    assert type(sample).KIND is kind
    # mypy holds the classes to these Protocols (provisioner/model.py); this names the gap.
    protocol = OwnedModel if kind.owned else KindModel
    members = {"id", "tags", "uses", *(("location",) if kind.owned else ())}
    assert members <= set(dir(sample)), f"{type(sample).__name__} is not a {protocol.__name__}"
    assert all(isinstance(used, ResourceId) for used in sample.uses())
    assert isinstance(resource_fields(sample), dict) and resource_fields(sample)
    assert list(SYNC_KINDS[kind].risks(_unchanged(sample))) == []
    context = SpecContext(OWNER, SUB, "rg-other", {}, {})
    assert EXPORT_KINDS[kind].entry(sample, context)["name"] == sample.id.name


def _unchanged(resource: Resource) -> Change:
    return Change("update", resource.id, resource, resource, ())


# Where code may still branch on a model class: each says why it is about that kind's own
# meaning rather than something every kind has (then it belongs in the kind's hooks).
ALLOWED_KIND_CHECKS: dict[str, tuple[int, str]] = {
    "provisioner/check/planned.py": (
        4,
        "check's coverage estate is rules x action groups x vaults by their routing meaning",
    ),
    "provisioner/check/notify.py": (1, "test-notify is about action groups only"),
    "provisioner/sync/selectors.py": (1, "selectors widen a processing rule's scopes"),
    "provisioner/sync/live.py": (1, "LiveState.vaults: what vault selectors choose among"),
}


def _kind_checks(path: Path) -> int:
    """isinstance(x, <model class>) calls and `case <model class>()` patterns in one module."""
    names = {c.__name__ for c in MODEL_CLASSES}
    count = 0
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
            named = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
            count += bool(named & names)
        elif isinstance(node, ast.MatchClass):
            count += getattr(node.cls, "id", None) in names
    return count


def test_stages_branch_on_model_classes_only_where_the_allow_list_says_why() -> None:
    found = {
        str(path.relative_to(ROOT)): n
        for path in sorted((ROOT / "provisioner").rglob("*.py"))
        if (n := _kind_checks(path))
    }
    allowed = {path: count for path, (count, _) in ALLOWED_KIND_CHECKS.items()}
    assert found == allowed, (
        "put what a kind means in its hooks (provisioner/sync/kinds.py, docs/adding-a-kind.md), "
        "or add the module to ALLOWED_KIND_CHECKS saying why it is about that one kind"
    )


def test_the_kind_check_scan_finds_what_it_forbids(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "if isinstance(x, ActionGroup | AlertProcessingRule): pass\n"
        "if isinstance(x, (VaultAlertSettings, int)): pass\n"
        "if isinstance(x, str): pass\n"
        "match x:\n    case ActionGroup():\n        pass\n"
    )
    assert _kind_checks(module) == 3


def test_every_spec_section_is_a_kind_in_the_schema_order() -> None:
    schema = json.loads(SCHEMA.read_text())
    sections = [key for key in schema["properties"] if key in {k.section for k in KINDS}]
    assert sections == [k.section for k in KINDS]
    assert all(by_section(k.section) is k for k in KINDS)


def test_arm_types_are_matched_ignoring_case_and_name_resources_in_sentences() -> None:
    assert by_arm_type("microsoft.insights/ACTIONGROUPS") is kinds.ACTION_GROUP
    assert by_arm_type("Microsoft.Compute/virtualMachines") is None
    rid = ResourceId.parse(
        "/subscriptions/s/resourceGroups/rg/providers/microsoft.alertsmanagement/ACTIONRULES/r"
    )
    assert str(rid).endswith("/providers/Microsoft.AlertsManagement/actionRules/r")
    assert rid.describe() == 'alert processing rule "r" (rg "rg", sub "s")'


def test_rules_are_deleted_before_the_groups_they_use_and_vaults_never() -> None:
    assert kinds.ACTION_GROUP.apply_phase < kinds.PROCESSING_RULE.apply_phase
    assert kinds.PROCESSING_RULE.delete_phase is not None
    assert kinds.ACTION_GROUP.delete_phase is not None
    assert kinds.PROCESSING_RULE.delete_phase < kinds.ACTION_GROUP.delete_phase
    assert max(k.apply_phase for k in KINDS) < kinds.PROCESSING_RULE.delete_phase
    assert not kinds.VAULT.owned and kinds.VAULT.delete_phase is None


def test_spec_entries_come_section_by_section_in_registry_order() -> None:
    class Doc:
        data: typing.ClassVar = {
            "vaults": [{"name": "v"}],
            "actionGroups": [{"name": "a"}, "not a mapping"],
            "alertProcessingRules": [{"name": "r"}],
        }

    found = [(section, index) for section, index, _ in entries(Doc())]  # type: ignore[arg-type]
    assert found == [("actionGroups", 0), ("alertProcessingRules", 0), ("vaults", 0)]


def test_the_guide_to_adding_a_kind_names_files_that_exist() -> None:
    guide = (ROOT / "docs" / "adding-a-kind.md").read_text()
    named = re.findall(r"`((?:provisioner|schemas|tests)/[\w/.-]+)`", guide)
    assert "provisioner/sync/kinds.py" in named and "provisioner/azure/kinds.py" in named
    assert [path for path in named if not (ROOT / path).exists()] == []
