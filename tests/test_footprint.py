"""The owners' footprint: found by tag per subscription, read with the lists it reveals (fake Azure)."""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from provisioner import kinds
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import (
    AlertProcessingRule,
    Listed,
    Resource,
    VaultAlertSettings,
    VaultSelector,
)
from provisioner.sync.footprint import Footprint
from provisioner.sync.live import read_live
from tests.builders import OWNER, SUB, group, rule, rule_id
from tests.fakes import FakeAzure, access_denied, server_error

SUB2 = "11111111-1111-1111-1111-111111111111"
HOME = ResourceId(SUB, "rg-monitoring")


@dataclass(frozen=True)
class Scope:
    """What read_live asks of a DesiredState."""

    resource_groups: frozenset[ResourceId] = frozenset({HOME})
    vaults: frozenset[ResourceId] = frozenset()
    referenced_groups: frozenset[ResourceId] = frozenset()
    selectors: frozenset[VaultSelector] = frozenset()
    owners: frozenset[str] = frozenset({OWNER})
    subscriptions: frozenset[str] = frozenset({SUB})


def elsewhere(name: str, rg: str = "rg-old", owner: str | None = OWNER) -> AlertProcessingRule:
    """A rule of `owner` (None: unmanaged) in another resource group than the specs' home."""
    return dataclasses.replace(rule(name, owner=owner), id=rule_id(name, rg))


def test_an_owned_rule_outside_the_homes_is_read_with_one_list_of_its_group() -> None:
    left = elsewhere("apr-last")
    fake = FakeAzure.holding(group("ag-oncall"), left, elsewhere("foreign", owner=None))
    live = read_live(Scope(), fake)
    assert left.id in live.resources
    assert rule_id("foreign", "rg-old") in live.resources  # its group is listed whole
    assert sorted(fake.calls) == sorted(
        [
            ("tagged", f"/subscriptions/{SUB}"),
            ("list", str(HOME)),  # action groups of the home
            ("list", str(HOME)),  # its rules
            ("list", str(ResourceId(SUB, "rg-old"))),  # rules only: no group of ours there
        ]
    )
    assert live.warnings == ()


def test_owned_resources_in_a_home_need_no_further_list() -> None:
    fake = FakeAzure.holding(group("ag-oncall"), rule("apr-jobs"))
    read_live(Scope(), fake)
    assert len(fake.calls) == 1 + 2


def test_every_subscription_of_the_specs_and_the_extra_ones_is_searched_once() -> None:
    fake = FakeAzure.holding(group("ag-oncall"))
    read_live(Scope(subscriptions=frozenset({SUB})), fake, subscriptions=[SUB2.upper(), SUB])
    tagged = sorted(target for method, target in fake.calls if method == "tagged")
    assert tagged == [f"/subscriptions/{SUB}", f"/subscriptions/{SUB2}"]


def test_a_group_of_the_footprint_that_cannot_be_read_is_a_warning_naming_it() -> None:
    fake = FakeAzure.holding(group("ag-oncall"), elsewhere("apr-last"), elsewhere("apr-2"))
    fake.fail("list", ResourceId(SUB, "rg-old"), access_denied())
    live = read_live(Scope(), fake)
    (warning,) = live.warnings
    assert warning.startswith(
        f'cannot read resource group "rg-old" (sub "{SUB}"), where owner "{OWNER}" has 2 '
        "resource(s) (apr-2, apr-last): "
    )
    assert warning.endswith("they are neither compared, kept nor pruned")


def test_a_subscription_whose_resources_cannot_be_listed_is_a_warning() -> None:
    fake = FakeAzure.holding(group("ag-oncall"))
    fake.fail("tagged", ResourceId(SUB), access_denied())
    live = read_live(Scope(), fake)
    (warning,) = live.warnings
    assert warning.startswith(f'cannot list the resources of subscription "{SUB}"')
    assert group("ag-oncall").id in live.resources  # the homes are still read


BACKUP_VAULT = VaultAlertSettings(
    ResourceId.for_resource(SUB, "rg-backup", kinds.VAULT.arm_type, "rsv"), True, True
)
WAIT = 10  # seconds an event is awaited before the test calls it a failure; never slept


def test_the_lists_that_need_no_footprint_are_made_before_its_answer() -> None:
    # The home's and the vaults' lists do not depend on the footprint: they go out while it is
    # found; only the list of the resource group it adds (rg-old) waits for its answer.
    left = elsewhere("apr-last")
    fake = FakeAzure.holding(group("ag-oncall"), left, BACKUP_VAULT)
    answer = fake.hold_tags()
    scope = Scope(vaults=frozenset({BACKUP_VAULT.id}))
    with ThreadPoolExecutor(max_workers=1) as runner:
        reading = runner.submit(read_live, scope, fake)
        try:
            made_before_the_answer = fake.wait_for_lists(3)
            before = list(fake.lists)
        finally:
            answer.set()
        live = reading.result(timeout=WAIT)
    assert made_before_the_answer
    assert len(before) == 3
    assert set(before) == {
        (kinds.ACTION_GROUP, HOME),
        (kinds.PROCESSING_RULE, HOME),
        (kinds.VAULT, ResourceId(SUB, "rg-backup")),
    }
    assert fake.lists[3:] == [(kinds.PROCESSING_RULE, ResourceId(SUB, "rg-old"))]
    assert sorted(live.resources) == sorted([group("ag-oncall").id, left.id, BACKUP_VAULT.id])
    assert live.footprint.owned == {OWNER: frozenset({group("ag-oncall").id, left.id})}
    assert live.warnings == ()


def test_a_footprint_that_fails_fails_the_read_and_its_lists_are_never_made() -> None:
    fake = FakeAzure.holding(group("ag-oncall"), elsewhere("apr-last"))
    fake.fail("tagged", ResourceId(SUB), server_error())
    with pytest.raises(AzureError, match="something went wrong"):
        read_live(Scope(), fake)
    assert (kinds.PROCESSING_RULE, ResourceId(SUB, "rg-old")) not in fake.lists


def test_a_list_failing_while_the_footprint_is_found_fails_the_read() -> None:
    fake = FakeAzure.holding(group("ag-oncall"), elsewhere("apr-last"))
    fake.fail("list", HOME, server_error())
    answer = fake.hold_tags()
    with ThreadPoolExecutor(max_workers=1) as runner:
        reading = runner.submit(read_live, Scope(), fake)
        try:
            assert fake.wait_for_lists(1)  # the failing one, before the footprint's answer
        finally:
            answer.set()
        with pytest.raises(AzureError, match="something went wrong"):
            reading.result(timeout=WAIT)


def test_only_groups_and_rules_of_the_footprint_are_listed() -> None:
    vault = ResourceId.for_resource(SUB, "rg-x", "Microsoft.RecoveryServices/vaults", "v")
    other = ResourceId.parse(
        f"/subscriptions/{SUB}/resourceGroups/rg-y/providers/Microsoft.Web/sites/s"
    )
    found = Footprint({OWNER: frozenset({vault, other, rule_id("r", "rg-z")})})
    assert found.lists() == {(kinds.PROCESSING_RULE, ResourceId(SUB, "rg-z"))}


class Concurrency:
    """A Reader around FakeAzure that records the most requests in flight at once."""

    def __init__(self, fake: FakeAzure) -> None:
        self.fake, self.now, self.most = fake, 0, 0
        self.lock = threading.Lock()

    def _enter(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        # Hold each request a moment: an unbounded pool would then show more than 8 in flight.
        time.sleep(0.001)
        with self.lock:
            self.now -= 1

    def list_resources(self, kind: Kind, scope: ResourceId) -> list[Listed]:
        self._enter()
        return self.fake.list_resources(kind, scope)

    def list_tagged(self, scope: ResourceId, name: str, value: str) -> list[ResourceId]:
        self._enter()
        return self.fake.list_tagged(scope, name, value)


def estate(subscriptions: int, vaults: int) -> tuple[Scope, FakeAzure]:
    """Per subscription a home with a group and one rule per vault, and a backup group."""
    subs = [f"00000000-0000-0000-0000-{i:012d}" for i in range(subscriptions)]
    held: list[Resource] = []
    named: set[ResourceId] = set()
    for sub in subs:
        held.append(
            dataclasses.replace(
                group("ag"),
                id=ResourceId.for_resource(sub, "rg-monitoring", kinds.ACTION_GROUP.arm_type, "ag"),
            )
        )
        for v in range(vaults):
            vault = ResourceId.for_resource(sub, "rg-backup", kinds.VAULT.arm_type, f"rsv-{v}")
            named.add(vault)
            held.append(VaultAlertSettings(vault, True, True))
            held.append(
                dataclasses.replace(
                    rule(f"apr-{v}"),
                    id=ResourceId.for_resource(
                        sub, "rg-monitoring", kinds.PROCESSING_RULE.arm_type, f"apr-{v}"
                    ),
                )
            )
    scope = Scope(
        resource_groups=frozenset(ResourceId(s, "rg-monitoring") for s in subs),
        vaults=frozenset(named),
        subscriptions=frozenset(subs),
    )
    return scope, FakeAzure.holding(*held)


def test_a_plan_read_over_many_subscriptions_grows_with_them_on_a_bounded_pool() -> None:
    calls = {}
    for subscriptions, vaults in ((5, 2), (5, 20), (50, 20)):
        scope, fake = estate(subscriptions, vaults)
        reader = Concurrency(fake)
        live = read_live(scope, reader, max_workers=8)
        assert len(live.resources) == subscriptions * (1 + 2 * vaults)
        assert reader.most <= 8
        calls[subscriptions, vaults] = len(fake.calls)
    # Per subscription: the footprint, groups and rules of the home, the vaults: 4 requests.
    assert calls == {(5, 2): 5 * 4, (5, 20): 5 * 4, (50, 20): 50 * 4}
