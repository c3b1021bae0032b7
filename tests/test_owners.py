"""Owners are exact, and renaming one is a deliberate hand-over (--adopt-from)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioner.errors import SpecError
from provisioner.model import OWNER_TAG
from provisioner.spec import desired
from provisioner.spec import files as spec_files
from provisioner.sync.diff import compute
from provisioner.sync.plan import Plan
from tests.builders import OWNER, group, rule, state
from tests.e2e import SEED_SCENARIO, SUB, alertsync, write_spec

NEW = "backup-team"


def test_adopt_from_hands_the_old_owners_resources_over() -> None:
    live = state(group(owner=OWNER), rule(owner=OWNER), group("ag-old", owner=OWNER))
    wanted = state(group(owner=NEW), rule(owner=NEW), owners=frozenset({NEW}))
    found = compute(wanted, live, adopt_from=OWNER)
    assert found.problems == ()
    assert [c.action for c in found.changes] == ["adopt", "adopt"]
    for change in found.changes:
        assert [(f.path, f.old, f.new) for f in change.fields] == [
            (f"tags[{OWNER_TAG}]", OWNER, NEW)
        ]
    assert [o.name for o in found.orphans] == ["ag-old"]  # the old owner's leftovers are ours now
    pruned = compute(wanted, live, adopt_from=OWNER, prune=True)
    assert [(c.action, c.id.name) for c in pruned.changes][-1] == ("delete", "ag-old")


def test_adopt_from_takes_over_only_that_owner_exactly() -> None:
    live = state(group(owner="Backup-Alerts"))
    found = compute(state(group(owner=NEW), owners=frozenset({NEW})), live, adopt_from=OWNER)
    assert found.changes == () and found.problems[0].code == "ownership"


def test_a_hand_over_plan_records_the_old_owner_in_its_options_and_checksum() -> None:
    live = state(group(owner=OWNER))
    wanted = state(group(owner=NEW), owners=frozenset({NEW}))
    found = compute(wanted, live, adopt_from=OWNER)
    plan = Plan.build(found, live.resources, {NEW}, adopt_from=OWNER)
    assert plan.to_data()["options"]["adoptFrom"] == OWNER
    plain = Plan.build(found, live.resources, {NEW})
    assert plain.to_data()["options"]["adoptFrom"] is None
    assert plain.checksum() != plan.checksum()


def test_one_vault_declared_by_two_owners_says_why_that_cannot_work(tmp_path: Path) -> None:
    for owner in ("team-a", "team-b"):
        write_spec(tmp_path, f"{owner}.yaml", _vault_spec(owner))
    with pytest.raises(SpecError) as raised:
        desired.build(spec_files.load([tmp_path / "specs"]))
    (problem,) = raised.value.problems
    assert 'owners "team-a" and "team-b"' in problem.message
    assert "declare each vault in one owner's specs only" in problem.message


def _vault_spec(owner: str) -> str:
    return f"""
        apiVersion: alertsync/v1
        owner: {owner}
        subscription: {SUB}
        resourceGroup: rg-backup
        vaults:
          - {{name: RSV-JPE-LRS, jobFailureAlerts: true}}
    """


# --- the real command ---------------------------------------------------------------------------


@pytest.fixture
def applied(arm_env: dict[str, str], tmp_path: Path) -> Path:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    return tmp_path


def _rename(folder: Path, owner: str) -> None:
    write_spec(folder, "backup.yaml", SEED_SCENARIO.replace(f"owner: {OWNER}", f"owner: {owner}"))


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
def test_a_differently_cased_owner_is_refused_with_a_hint_and_never_prunes(
    applied: Path, arm_env: dict[str, str], world: object
) -> None:
    _rename(applied, "Backup-Alerts")
    plan = alertsync(arm_env, applied, "plan", "--prune")
    assert plan.code == 3, plan.out + plan.err
    assert '"backup-alerts", not "Backup-Alerts"' in plan.err
    assert "--adopt-from backup-alerts" in plan.err
    header = SEED_SCENARIO.split("actionGroups:")[0]  # the file keys alone: declares nothing
    write_spec(applied, "backup.yaml", header.replace(f"owner: {OWNER}", "owner: Backup-Alerts"))
    pruned = alertsync(arm_env, applied, "apply", "--prune", "--yes")
    assert pruned.code == 0 and "0 to delete" in pruned.out, pruned.out + pruned.err
    deletes = [r for r in world.control.requests() if r["method"] == "DELETE"]  # type: ignore[attr-defined]
    assert deletes == []


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
def test_renaming_an_owner_is_a_reviewed_hand_over(applied: Path, arm_env: dict[str, str]) -> None:
    _rename(applied, NEW)
    refused = alertsync(arm_env, applied, "plan")
    assert refused.code == 3
    plan = alertsync(arm_env, applied, "plan", "--adopt-from", OWNER, "--format", "json")
    assert plan.code == 0, plan.err
    data = json.loads(plan.out)
    assert data["options"]["adoptFrom"] == OWNER
    assert {c["action"] for c in data["changes"]} == {"adopt"} and len(data["changes"]) == 2
    saved = alertsync(arm_env, applied, "plan", "--adopt-from", OWNER, "--out", "plan.json")
    assert saved.code == 0, saved.err
    applied_run = alertsync(arm_env, applied, "apply", "--plan", "plan.json", "--yes")
    assert applied_run.code == 0, applied_run.out + applied_run.err
    after = alertsync(arm_env, applied, "plan", "--detailed-exitcode")
    assert after.code == 0, after.out + after.err


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
@pytest.mark.parametrize(
    ("value", "message"),
    [("not an owner!", "not an owner name"), (NEW, "the specs themselves declare")],
)
def test_a_bad_adopt_from_is_a_clear_error(
    applied: Path, arm_env: dict[str, str], value: str, message: str
) -> None:
    _rename(applied, NEW)
    run = alertsync(arm_env, applied, "plan", "--adopt-from", value)
    assert run.code in (1, 2) and message in run.err and "Traceback" not in run.err
