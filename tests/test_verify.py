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

from provisioner.azure.client import Azure
from provisioner.azure.settings import AzureSettings
from provisioner.model import EmailReceiver, Resource
from provisioner.spec.desired import DesiredState
from provisioner.sync.apply import apply
from provisioner.sync.diff import compute
from provisioner.sync.footprint import Footprint
from provisioner.sync.plan import Plan
from provisioner.sync.verify import verify
from tests.builders import group, group_id, state
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
    """A writer that lets someone else write `theirs` right after each write of its own."""

    def __init__(self, target: FakeAzure | Azure, theirs: Resource | None) -> None:
        self.target, self.theirs = target, theirs

    def put(self, resource: R) -> R:
        written = self.target.put(resource)
        if self.theirs is not None and self.theirs.id == resource.id:
            self.target.put(self.theirs)  # the other apply's PUT lands after ours
        return written

    def delete(self, kind: object, resource_id: object) -> None:
        self.target.delete(kind, resource_id)  # type: ignore[arg-type]


def _apply_and_verify(
    target: FakeAzure | Azure, theirs: Resource | None, footprint: Footprint | None = None
) -> list[str]:
    declared = (SHARED, group("ag-own", owner=OURS))
    wanted = DesiredState(
        resources={r.id: r for r in declared},
        sources={r.id: "specs/s.yaml:1" for r in declared},
        owners=frozenset({OURS}),
        resource_groups=frozenset({SHARED.id.resource_group_id()}),
        vaults=frozenset(),
    )
    found = compute(wanted, state())
    plan = Plan.build(found, {}, {OURS})
    result = apply(plan, _Racing(target, theirs))
    assert result.ok  # both writes "succeeded": the loss shows only on reading back
    return [i.line() for i in verify(result, wanted, target, footprint=footprint)]


def test_a_write_overwritten_during_the_apply_is_named() -> None:
    fake = FakeAzure.holding(groups=[group_id("x").resource_group_id()])
    (line,) = _apply_and_verify(fake, THEIR_VERSION)
    assert line.startswith('action group "ag-shared"')
    assert "changed by someone else during the apply" in line
    assert f'managed by owner "{THEIRS}", not "{OURS}"' in line


def test_nothing_is_reported_when_nobody_else_wrote() -> None:
    fake = FakeAzure.holding(groups=[group_id("x").resource_group_id()])
    assert _apply_and_verify(fake, None) == []


def test_verification_reads_with_the_few_lists_plan_uses() -> None:
    fake = FakeAzure.holding(groups=[group_id("x").resource_group_id()])
    _apply_and_verify(fake, None)
    lists = [c for c in fake.calls if c[0] == "list"]
    assert 0 < len(lists) <= 4  # one list per kind and resource group, not one GET per resource


def test_verification_reuses_the_plans_footprint_instead_of_listing_every_owned_resource() -> None:
    fake = FakeAzure.holding(groups=[group_id("x").resource_group_id()])
    (line,) = _apply_and_verify(fake, THEIR_VERSION, footprint=Footprint())
    assert 'action group "ag-shared"' in line
    assert [c for c in fake.calls if c[0] == "tagged"] == []


def test_without_the_plans_footprint_verification_reads_it() -> None:
    fake = FakeAzure.holding(groups=[group_id("x").resource_group_id()])
    _apply_and_verify(fake, None)
    assert [c for c in fake.calls if c[0] == "tagged"] != []


@pytest.fixture
def azure(world: Emulator) -> Iterator[Azure]:
    with Azure(AzureSettings.from_env(world.env())) as client:
        yield client


def test_a_concurrent_writer_is_named_against_the_emulator(azure: Azure) -> None:
    (line,) = _apply_and_verify(azure, THEIR_VERSION)
    assert 'action group "ag-shared"' in line and f'owner "{THEIRS}"' in line


@pytest.mark.slow
def test_apply_reads_back_a_pruned_resource_group_without_listing_the_footprint_again(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    seed_vault(world, "RSV-APP", "rg-app")
    write_spec(tmp_path, "backup.yaml", ONE_GROUP + RULE_ELSEWHERE)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    write_spec(tmp_path, "backup.yaml", ONE_GROUP)  # rg-app is known by the footprint only
    world.control.clear_requests()
    pruned = alertsync(arm_env, tmp_path, "apply", "--yes", "--prune")
    assert pruned.code == 0, pruned.out + pruned.err
    paths = [r["path"].lower() for r in world.control.requests() if r["method"] == "GET"]
    assert [p for p in paths if p.endswith("/resources")] == [f"/subscriptions/{SUB}/resources"]
    rg_app_rules = f"/subscriptions/{SUB}/resourcegroups/rg-app/providers/microsoft.alertsmanagement/actionrules"
    assert paths.count(rg_app_rules) == 2  # the plan's list, and the read-back of the delete
