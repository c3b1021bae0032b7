"""The kind registry: every stage's half of each kind is registered, and agrees with the others."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

from provisioner import kinds
from provisioner.azure.kinds import SDK_KINDS
from provisioner.ids import ResourceId
from provisioner.kinds import KINDS, by_arm_type, by_section
from provisioner.model import Resource
from provisioner.spec.semantic import entries
from provisioner.sync import fields

SCHEMA = Path(__file__).parent.parent / "schemas" / "alertsync.schema.json"
MODEL_CLASSES = typing.get_args(Resource)


def test_every_model_class_names_its_own_kind_once() -> None:
    assert sorted(c.KIND.name for c in MODEL_CLASSES) == sorted(k.name for k in KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_kind_has_its_sdk_half_and_field_tree(kind: kinds.Kind) -> None:
    assert SDK_KINDS[kind].kind is kind
    assert kind in fields._FIELD_TREES


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
