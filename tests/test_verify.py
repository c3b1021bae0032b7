"""After apply, what was written is read back with plan's LIST reads: a concurrent writer is named.

The competing write is made by a hook right after apply's own write and before verification, so
the order of events is fixed without sleeping: once on the in-memory fake, once with the
production client against the emulator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from provisioner import kinds
from provisioner.azure.client import Azure
from provisioner.azure.settings import AzureSettings
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import EmailReceiver, Resource
from provisioner.spec.desired import DesiredState
from provisioner.sync.apply import apply
from provisioner.sync.diff import compute
from provisioner.sync.live import read_live
from provisioner.sync.plan import Plan
from provisioner.sync.verify import verify
from tests.builders import group, group_id, rule, state, vault, vault_id
from tests.e2e import SUB, alertsync, write_spec
from tests.fakes import FakeAzure
from tests.test_estate import ONE_GROUP, RULE_ELSEWHERE, seed_vault

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

R = TypeVar("R", bound=Resource)
OURS, THEIRS = "team-a", "team-b"
SHARED = group("ag-shared", owner=OURS)
THEIR_VERSION = dataclasses.replace(
    group("ag-shared", owner=THEIRS),
    email_receivers=(EmailReceiver("noc", "noc@example.com"),),
)


class _Racing:
    """A writer that lets someone else write `theirs` right after each write of its own to it
    (or recreate it right after deleting it)."""

    def __init__(self, target: FakeAzure | Azure, theirs: Resource | None) -> None:
        self.target, self.theirs = target, theirs

    def put(self, resource: R) -> R:
        written = self.target.put(resource)
        self._race(resource.id)
        return written

    def delete(self, kind: Kind, resource_id: ResourceId) -> None:
        self.target.delete(kind, resource_id)
        self._race(resource_id)

    def _race(self, written: ResourceId) -> None:
        if self.theirs is not None and self.theirs.id == written:
            self.target.put(self.theirs)  # the other apply's write lands after ours


def _apply_and_verify(
    target: FakeAzure | Azure,
    theirs: Resource | None,
    *,
    declared: tuple[Resource, ...] = (SHARED, group("ag-own", owner=OURS)),
    vaults: frozenset[ResourceId] = frozenset(),
    planned: bool = True,
    prune: bool = False,
) -> list[str]:
    """Plan (read live as plan does, unless not `planned`), apply racing `theirs`, verify.
    FakeAzure's records hold the read-back's requests alone afterwards."""
    wanted = DesiredState(
        resources={r.id: r for r in declared},
        sources={r.id: "specs/s.yaml:1" for r in declared},
        owners=frozenset({OURS}),
        resource_groups=frozenset({SHARED.id.resource_group_id()}),
        vaults=vaults,
    )
    earlier = read_live(wanted, target) if planned else None
    found = compute(wanted, earlier or state(), prune=prune)
    plan = Plan.build(found, earlier.resources if earlier else {}, {OURS}, prune=prune)
    assert plan.changes
    if isinstance(target, FakeAzure):
        target.calls.clear()
        target.lists.clear()
    result = apply(plan, _Racing(target, theirs))
    assert result.ok  # every write "succeeded": the loss shows only on reading back
    found_lines = verify(result, wanted, target, earlier=earlier)
    return [i.line() for i in found_lines]


def _fake(*resources: Resource) -> FakeAzure:
    return FakeAzure.holding(*resources, groups=[group_id("x").resource_group_id()])


def test_a_write_overwritten_during_the_apply_is_named() -> None:
    fake = _fake()
    (line,) = _apply_and_verify(fake, THEIR_VERSION)
    assert line.startswith('action group "ag-shared"')
    assert "changed by someone else during the apply" in line
    assert f'managed by owner "{THEIRS}", not "{OURS}"' in line


def test_nothing_is_reported_when_nobody_else_wrote() -> None:
    fake = _fake()
    assert _apply_and_verify(fake, None) == []


def test_verification_reads_with_the_few_lists_plan_uses() -> None:
    fake = _fake()
    _apply_and_verify(fake, None)
    lists = [c for c in fake.calls if c[0] == "list"]
    assert 0 < len(lists) <= 4  # one list per kind and resource group, not one GET per resource


def test_an_apply_that_wrote_only_rules_reads_back_the_rule_lists_not_the_vault_lists() -> None:
    # The plan listed action groups and rules of rg-monitoring and the vaults of rg-backup;
    # the apply created one rule: its list alone can show someone changing it.
    added = rule("apr-jobs", groups=("ag-shared",), owner=OURS)
    fake = _fake(SHARED, vault())
    lines = _apply_and_verify(fake, None, declared=(SHARED, added), vaults=frozenset({vault_id()}))
    assert lines == []
    assert fake.lists == [(kinds.PROCESSING_RULE, added.id.resource_group_id())]


def test_a_rule_overwritten_during_the_apply_is_named_from_its_list_read_again() -> None:
    added = rule("apr-jobs", groups=("ag-shared",), owner=OURS)
    theirs = dataclasses.replace(added, description="theirs")
    fake = _fake(SHARED, vault())
    (line,) = _apply_and_verify(
        fake, theirs, declared=(SHARED, added), vaults=frozenset({vault_id()})
    )
    assert line.startswith('alert processing rule "apr-jobs"')
    assert "description differ from what it wrote" in line


def test_a_resource_recreated_after_the_apply_deleted_it_is_named() -> None:
    # The delete's list is read again, although the apply wrote nothing else there.
    orphan = rule("apr-old", groups=("ag-shared",), owner=OURS)
    fake = _fake(SHARED, orphan)
    (line,) = _apply_and_verify(fake, orphan, declared=(SHARED,), prune=True)
    assert line == (
        f"{orphan.id.describe()} was changed by someone else during the apply: it exists again "
        "after this apply deleted it; run `alertsync plan` to see Azure now, and agree with "
        "whoever else writes it"
    )
    assert fake.lists == [(kinds.PROCESSING_RULE, orphan.id.resource_group_id())]


def test_verification_reuses_the_plans_footprint_instead_of_listing_every_owned_resource() -> None:
    fake = _fake()
    (line,) = _apply_and_verify(fake, THEIR_VERSION)
    assert 'action group "ag-shared"' in line
    assert [c for c in fake.calls if c[0] == "tagged"] == []


def test_without_the_plans_live_state_verification_reads_it_all() -> None:
    fake = _fake()
    _apply_and_verify(fake, None, planned=False)
    assert [c for c in fake.calls if c[0] == "tagged"] != []
    assert {kind for kind, _ in fake.lists} == {kinds.ACTION_GROUP, kinds.PROCESSING_RULE}


@pytest.fixture
def azure(world: Emulator) -> Iterator[Azure]:
    with Azure(AzureSettings.from_env(world.env())) as client:
        yield client


def test_a_concurrent_writer_is_named_against_the_emulator(azure: Azure) -> None:
    (line,) = _apply_and_verify(azure, THEIR_VERSION)
    assert 'action group "ag-shared"' in line and f'owner "{THEIRS}"' in line


def _reads_of_apply(
    world: Emulator, arm_env: dict[str, str], specs: Path, *options: str
) -> list[str]:
    """The paths (lower case) `alertsync apply --yes` GETs, plan and read-back alike."""
    world.control.clear_requests()
    applied = alertsync(arm_env, specs, "apply", "--yes", *options)
    assert applied.code == 0, applied.out + applied.err
    return [r["path"].lower() for r in world.control.requests() if r["method"] == "GET"]


@pytest.mark.slow
def test_apply_reads_back_a_pruned_resource_group_without_listing_the_footprint_again(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    seed_vault(world, "RSV-APP", "rg-app")
    write_spec(tmp_path, "backup.yaml", ONE_GROUP + RULE_ELSEWHERE)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    write_spec(tmp_path, "backup.yaml", ONE_GROUP)  # rg-app is known by the footprint only
    paths = _reads_of_apply(world, arm_env, tmp_path, "--prune")
    assert [p for p in paths if p.endswith("/resources")] == [f"/subscriptions/{SUB}/resources"]
    rg_app_rules = f"/subscriptions/{SUB}/resourcegroups/rg-app/providers/microsoft.alertsmanagement/actionrules"
    assert paths.count(rg_app_rules) == 2  # the plan's list, and the read-back of the delete


SELECTING_APP = """
    alertProcessingRules:
      - name: apr-app
        scopes:
          - vaults: {resourceGroup: rg-app}
        conditions:
          monitorService: [Azure Backup]
        actionGroups: [ag-oncall]
    """


@pytest.mark.slow
def test_apply_reads_back_the_lists_it_wrote_in_and_reuses_the_plans_vault_list(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    # The rule's scopes are the vaults a selector found in rg-app: the apply wrote no vault,
    # so the plan's list of them stands (a vault created meanwhile is no interference).
    seed_vault(world, "RSV-APP", "rg-app")
    write_spec(tmp_path, "backup.yaml", ONE_GROUP + SELECTING_APP)
    paths = _reads_of_apply(world, arm_env, tmp_path)
    rg = f"/subscriptions/{SUB}/resourcegroups"
    assert paths.count(f"{rg}/rg-app/providers/microsoft.recoveryservices/vaults") == 1
    assert paths.count(f"{rg}/rg-monitoring/providers/microsoft.insights/actiongroups") == 2
    assert paths.count(f"{rg}/rg-monitoring/providers/microsoft.alertsmanagement/actionrules") == 2
