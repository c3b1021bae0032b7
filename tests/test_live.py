"""read_live lists each resource group once per kind, concurrently, and reports what is missing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from provisioner import kinds
from provisioner.azure.client import Azure
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.model import ActionGroup, AlertProcessingRule, VaultAlertSettings, VaultSelector
from provisioner.sync.live import _jobs, read_again, read_live
from tests.fakes import FakeAzure, access_denied, server_error

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

SUB = "00000000-0000-0000-0000-000000000000"
SUB2 = "11111111-1111-1111-1111-111111111111"
AG_TYPE = "Microsoft.Insights/actionGroups"
APR_TYPE = "Microsoft.AlertsManagement/actionRules"
VAULT_TYPE = "Microsoft.RecoveryServices/vaults"
VAULT = ResourceId.for_resource(SUB, "rg-backup", VAULT_TYPE, "RSV-JPE-LRS")


@dataclass(frozen=True)
class Scope:
    """The attributes of DesiredState that read_live uses."""

    resource_groups: frozenset[ResourceId]
    vaults: frozenset[ResourceId] = frozenset()
    referenced_groups: frozenset[ResourceId] = frozenset()
    selectors: frozenset[VaultSelector] = frozenset()
    owners: frozenset[str] = frozenset()
    subscriptions: frozenset[str] = frozenset()


def rg(name: str, sub: str = SUB) -> ResourceId:
    return ResourceId(sub, name)


def test_one_list_per_group_and_kind_deduplicated_case_insensitively() -> None:
    scope = Scope(
        frozenset({rg("rg-monitoring"), rg("rg-b")}),
        frozenset(
            {
                VAULT,
                ResourceId.for_resource(SUB, "RG-BACKUP", VAULT_TYPE, "other"),
                ResourceId.for_resource(SUB, "rg-b", VAULT_TYPE, "v"),
            }
        ),
    )
    jobs = [(job.kind.name, str(job.group)) for job in _jobs(scope)]
    assert len(jobs) == 2 * 2 + 2  # AGs and rules per home group; vaults per vault group
    assert (
        sorted(n for n, _ in jobs)
        == ["actionGroup"] * 2 + ["alertProcessingRule"] * 2 + ["vaultAlertSettings"] * 2
    )
    assert [job.kind for job in _jobs(scope) if job.role == "vaults"] == [kinds.VAULT] * 2


# --- logic, against the in-memory fake (tests/fakes.py) ------------------------------------------


def test_vaults_in_a_missing_group_are_missing_vaults() -> None:
    lost = ResourceId.for_resource(SUB, "rg-nowhere", VAULT_TYPE, "v")
    live = read_live(Scope(frozenset(), frozenset({lost})), FakeAzure())
    assert live.missing_vaults == frozenset({lost})
    assert live.missing_resource_groups == frozenset()  # not a home group of groups or rules


def test_every_vault_of_a_named_vaults_resource_group_is_read_with_one_list() -> None:
    # The others too: selectors choose among the vaults listed, and a vault's settings are only
    # compared when the specs declare or select it.
    other = VaultAlertSettings(ResourceId.for_resource(SUB, "rg-backup", VAULT_TYPE, "other"))
    fake = FakeAzure.holding(VaultAlertSettings(VAULT, True, True), other)
    live = read_live(Scope(frozenset(), frozenset({VAULT})), fake)
    assert live.resources == {VAULT: VaultAlertSettings(VAULT, True, True), other.id: other}
    assert fake.calls == [("list", str(rg("rg-backup")))]


def test_a_selector_by_tags_reads_its_subscriptions_vaults_once_for_every_vault_there() -> None:
    tagged = VaultAlertSettings(
        ResourceId.for_resource(SUB, "rg-app", VAULT_TYPE, "tagged"), tags=(("env", "prod"),)
    )
    fake = FakeAzure.holding(VaultAlertSettings(VAULT, True, True), tagged)
    selectors = frozenset(
        {VaultSelector(SUB, None, (("env", "prod"),)), VaultSelector(SUB, "rg-b")}
    )
    live = read_live(Scope(frozenset(), frozenset({VAULT}), selectors=selectors), fake)
    assert [v.id for v in live.vaults] == [tagged.id, VAULT]
    assert fake.calls == [("list", f"/subscriptions/{SUB}")]


def test_a_resource_group_of_references_that_cannot_be_read_is_a_warning_not_a_failure() -> None:
    # Reader on the home resource groups only: the referenced group's resource group answers 403.
    elsewhere = ResourceId.for_resource(SUB, "rg-shared", AG_TYPE, "ag-noc")
    fake = FakeAzure(resource_groups={rg("rg-monitoring"), rg("rg-shared")})
    fake.fail("list", rg("rg-shared"), access_denied())
    scope = Scope(frozenset({rg("rg-monitoring")}), referenced_groups=frozenset({elsewhere}))
    live = read_live(scope, fake)
    assert live.missing_action_groups == frozenset()  # unknown, not missing
    (warning,) = live.warnings
    assert warning.startswith(
        f"cannot check that the action groups rules add in {rg('rg-shared').describe()} exist: "
    )
    assert "Reader" in warning  # the role the credential lacks, as every 403 says


def test_a_failing_list_of_references_fails_the_read_the_check_is_never_skipped() -> None:
    # Only "access denied" is tolerated: a 500 must not quietly skip the existence check.
    elsewhere = ResourceId.for_resource(SUB, "rg-shared", AG_TYPE, "ag-noc")
    fake = FakeAzure(resource_groups={rg("rg-monitoring"), rg("rg-shared")})
    fake.fail("list", rg("rg-shared"), server_error("listing action groups"))
    scope = Scope(frozenset({rg("rg-monitoring")}), referenced_groups=frozenset({elsewhere}))
    with pytest.raises(AzureError, match="listing action groups"):
        read_live(scope, fake)


def test_a_home_that_cannot_be_read_fails_the_read_even_when_access_is_denied() -> None:
    fake = FakeAzure(resource_groups={rg("rg-monitoring")})
    fake.fail("list", rg("rg-monitoring"), access_denied("listing alert processing rules"))
    with pytest.raises(AzureError, match="listing alert processing rules"):
        read_live(Scope(frozenset({rg("rg-monitoring")})), fake)


def test_unsupported_parts_are_reported_by_resource() -> None:
    gid = ResourceId.for_resource(SUB, "rg-monitoring", AG_TYPE, "legacy")
    fake = FakeAzure.holding(ActionGroup(gid, "legacy"))
    fake.unsupported[gid] = ("voiceReceivers[ops]",)
    live = read_live(Scope(frozenset({rg("rg-monitoring")})), fake)
    assert live.unsupported_receivers == {gid: ("voiceReceivers[ops]",)}


def test_a_missing_home_is_reported_and_the_other_homes_still_read() -> None:
    gid = ResourceId.for_resource(SUB, "rg-monitoring", AG_TYPE, "ag-0")
    fake = FakeAzure.holding(ActionGroup(gid, "ag0"))
    live = read_live(Scope(frozenset({rg("RG-Monitoring"), rg("rg-gone")})), fake)
    assert live.missing_resource_groups == frozenset({rg("rg-gone")})
    assert live.resources == {gid: ActionGroup(gid, "ag0")}


# --- read_again: only the lists holding what was written ----------------------------------------


def test_read_again_reads_the_lists_of_what_changed_and_reuses_every_other_list() -> None:
    gid = ResourceId.for_resource(SUB, "rg-monitoring", AG_TYPE, "ag-0")
    fake = FakeAzure.holding(ActionGroup(gid, "ag0"), VaultAlertSettings(VAULT, True, True))
    scope = Scope(
        frozenset({rg("rg-monitoring")}),
        frozenset({VAULT}),
        owners=frozenset({"team-a"}),
        subscriptions=frozenset({SUB}),
    )
    earlier = read_live(scope, fake)
    fake.put(ActionGroup(gid, "written"))
    fake.put(VaultAlertSettings(VAULT, False, False))  # in a list nothing was written in
    fake.lists.clear()
    now = read_again(earlier, scope, fake, [gid])
    assert fake.lists == [(kinds.ACTION_GROUP, rg("rg-monitoring"))]
    assert now.resources[gid] == ActionGroup(gid, "written")
    assert now.resources[VAULT] == VaultAlertSettings(VAULT, True, True)  # the earlier read
    assert now.footprint is earlier.footprint  # read once, by the earlier read
    assert [c for c in fake.calls if c[0] == "tagged"] == [("tagged", f"/subscriptions/{SUB}")]


def test_read_again_reads_the_subscription_list_that_holds_a_vault_written() -> None:
    elsewhere = ResourceId.for_resource(SUB2, "rg-backup", VAULT_TYPE, "v")
    fake = FakeAzure.holding(VaultAlertSettings(VAULT, True, True), VaultAlertSettings(elsewhere))
    selectors = frozenset({VaultSelector(SUB, None, (("env", "prod"),))})
    scope = Scope(frozenset(), frozenset({elsewhere}), selectors=selectors)
    earlier = read_live(scope, fake)
    fake.lists.clear()
    read_again(earlier, scope, fake, [VAULT])
    assert fake.lists == [(kinds.VAULT, ResourceId(SUB))]
    fake.lists.clear()
    read_again(earlier, scope, fake, [elsewhere])
    assert fake.lists == [(kinds.VAULT, rg("rg-backup", SUB2))]


def test_read_again_reads_a_list_the_earlier_read_did_not_make() -> None:
    fake = FakeAzure.holding(VaultAlertSettings(VAULT, True, True))
    earlier = read_live(Scope(frozenset()), fake)
    now = read_again(earlier, Scope(frozenset(), frozenset({VAULT})), fake, [])
    assert now.resources == {VAULT: VaultAlertSettings(VAULT, True, True)}
    assert now.missing_vaults == frozenset()


# --- against the emulator: the real SDK, ARM's answers --------------------------------------------


def ag_body(short: str = "ag", **properties: Any) -> dict[str, Any]:
    return {
        "location": "Global",
        "properties": {"groupShortName": short, "enabled": True, **properties},
    }


def rule_body(scope: str) -> dict[str, Any]:
    return {
        "location": "Global",
        "properties": {
            "scopes": [scope],
            "actions": [{"actionType": "RemoveAllActionGroups"}],
            "enabled": True,
        },
    }


def seed_resources(world: Emulator, sub: str, group: str, count: int) -> None:
    """`count` action groups and `count` rules in a (new) resource group."""
    resources = []
    for i in range(count):
        ag = ResourceId.for_resource(sub, group, AG_TYPE, f"ag-{i}")
        apr = ResourceId.for_resource(sub, group, APR_TYPE, f"apr-{i}")
        resources += [
            {"id": str(ag), "body": ag_body(f"ag{i}")},
            {"id": str(apr), "body": rule_body(f"/subscriptions/{sub}")},
        ]
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": sub,
                    "resourceGroups": [
                        {"name": group, "location": "japaneast", "resources": resources}
                    ],
                }
            ]
        }
    )


@pytest.fixture
def azure(world: Emulator) -> Iterator[Azure]:
    with Azure(AzureSettings.from_env(world.env())) as client:
        yield client


def arm_requests(world: Emulator) -> list[dict[str, Any]]:
    return [r for r in world.control.requests() if "/subscriptions/" in r["path"]]


def test_reads_every_group_and_rule_and_every_vault_of_the_vault_groups(
    world: Emulator, azure: Azure
) -> None:
    seed_resources(world, SUB, "rg-monitoring", 3)
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [
                        {
                            "name": "rg-backup",
                            "location": "japaneast",
                            "vaults": [{"name": "unmanaged", "location": "japaneast"}],
                        }
                    ],
                }
            ]
        }
    )
    ghost = ResourceId.for_resource(SUB, "rg-backup", VAULT_TYPE, "ghost")
    scope = Scope(frozenset({rg("RG-Monitoring"), rg("rg-gone")}), frozenset({VAULT, ghost}))
    live = read_live(scope, azure)
    kinds = [type(r).__name__ for r in live.resources.values()]
    # The unnamed vault too: selectors choose among the vaults listed (its settings are only
    # compared when the specs declare or select it).
    assert (
        sorted(kinds)
        == ["ActionGroup"] * 3 + ["AlertProcessingRule"] * 3 + ["VaultAlertSettings"] * 2
    )
    assert live.resources[VAULT] == VaultAlertSettings(VAULT, True, True)
    assert live.missing_vaults == frozenset({ghost})
    assert live.missing_resource_groups == frozenset({rg("rg-gone")})
    ag = live.resources[ResourceId.for_resource(SUB, "rg-monitoring", AG_TYPE, "AG-0")]
    assert isinstance(ag, ActionGroup) and ag.short_name == "ag0"
    assert live.unsupported_receivers == {}


def test_request_count_grows_with_resource_groups_not_resources(
    world: Emulator, azure: Azure
) -> None:
    def requests_for(per_group: int) -> int:
        world.control.reset(seed=None)
        homes = []
        for sub in (SUB, SUB2):
            for name in ("rg-a", "rg-b"):
                seed_resources(world, sub, name, per_group)
                homes.append(rg(name, sub))
        world.control.clear_requests()
        live = read_live(Scope(frozenset(homes)), azure, max_workers=4)
        assert len(live.resources) == 2 * per_group * len(homes)
        return len([r for r in arm_requests(world) if r["method"] == "GET"])

    assert requests_for(1) == requests_for(25) == 2 * 4  # 2 kinds x 4 resource groups


def test_groups_added_by_full_id_elsewhere_are_checked_to_exist_never_compared(
    world: Emulator, azure: Azure
) -> None:
    seed_resources(world, SUB, "rg-shared", 1)  # ag-0 exists there, managed by nobody here
    there = ResourceId.for_resource(SUB, "rg-shared", AG_TYPE, "AG-0")
    gone = ResourceId.for_resource(SUB, "rg-shared", AG_TYPE, "ag-gone")
    nowhere = ResourceId.for_resource(SUB, "rg-nowhere", AG_TYPE, "ag-x")
    scope = Scope(
        frozenset({rg("rg-monitoring")}), referenced_groups=frozenset({there, gone, nowhere})
    )
    world.control.clear_requests()
    live = read_live(scope, azure)
    assert live.missing_action_groups == frozenset({gone, nowhere})
    assert there not in live.resources  # another owner's: only checked to exist
    assert live.missing_resource_groups == frozenset()  # rg-nowhere is nobody's home here
    # One list per resource group and kind: 2 for the home, 1 per other group of references.
    assert len([r for r in arm_requests(world) if r["method"] == "GET"]) == 2 + 2


def test_unsupported_receivers_are_reported(world: Emulator, azure: Azure) -> None:
    voice = ag_body(voiceReceivers=[{"name": "ops", "countryCode": "1", "phoneNumber": "5551234"}])
    gid = ResourceId.for_resource(SUB, "rg-monitoring", AG_TYPE, "legacy")
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [
                        {
                            "name": "rg-monitoring",
                            "location": "japaneast",
                            "resources": [{"id": str(gid), "body": voice}],
                        }
                    ],
                }
            ]
        }
    )
    live = read_live(Scope(frozenset({rg("rg-monitoring")})), azure)
    assert live.unsupported_receivers == {gid: ("voiceReceivers[ops]",)}


def test_rules_are_returned_as_model_objects(world: Emulator, azure: Azure) -> None:
    seed_resources(world, SUB, "rg-monitoring", 1)
    live = read_live(Scope(frozenset({rg("rg-monitoring")})), azure)
    rule = live.resources[ResourceId.for_resource(SUB, "rg-monitoring", APR_TYPE, "apr-0")]
    assert isinstance(rule, AlertProcessingRule)
    assert rule.action_type == "RemoveAllActionGroups" and rule.scopes == (ResourceId(SUB),)
