"""Reading for `check`: three lists per subscription, other subscriptions' groups once, denials."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from provisioner.check.read import read_snapshot
from provisioner.errors import AzureError
from provisioner.ids import ACTION_GROUP_TYPE, ResourceId
from provisioner.model import ActionGroup, AlertProcessingRule, VaultAlertSettings
from tests.builders import SUB, group, rule, vault_id

OTHER = "11111111-1111-1111-1111-111111111111"
FOREIGN_GROUP = ResourceId.for_resource(OTHER, "rg", ACTION_GROUP_TYPE, "ag-central")


class FakeLists:
    """In-memory subscription lists; counts each call; `denied` subscriptions answer 403."""

    def __init__(self, rules: list[AlertProcessingRule], denied: set[str] = frozenset()) -> None:
        self.rules, self.denied, self.calls = rules, denied, Counter[tuple[str, str]]()

    def _called(self, kind: str, subscription: str) -> None:
        self.calls[(kind, subscription)] += 1
        if subscription in self.denied:
            raise AzureError(
                f"listing {kind}: access denied", status=403, code="AuthorizationFailed"
            )

    def list_vaults_in_subscription(self, subscription: str) -> list[VaultAlertSettings]:
        self._called("vaults", subscription)
        return [VaultAlertSettings(vault_id(f"rsv-{i}"), True) for i in range(50)]

    def list_processing_rules_in_subscription(self, subscription: str) -> list[AlertProcessingRule]:
        self._called("rules", subscription)
        return self.rules

    def list_action_groups_in_subscription(
        self, subscription: str
    ) -> list[tuple[ActionGroup, tuple[str, ...]]]:
        self._called("groups", subscription)
        if subscription == OTHER:
            return [(replace(group(), id=FOREIGN_GROUP), ())]
        return [(group(), ())]


def test_three_lists_per_subscription_whatever_the_vault_count() -> None:
    lists = FakeLists([rule()])
    snapshot = read_snapshot(lists, [SUB, SUB.upper()])
    assert len(snapshot.estate.vaults) == 50
    assert lists.calls == Counter({("vaults", SUB): 1, ("rules", SUB): 1, ("groups", SUB): 1})
    assert snapshot.subscriptions == (SUB,)


def test_groups_of_another_subscription_that_rules_add_are_listed_once() -> None:
    central = replace(rule(), action_group_ids=(FOREIGN_GROUP,))
    lists = FakeLists([central, replace(central, id=rule("apr-2").id)])
    snapshot = read_snapshot(lists, [SUB])
    assert lists.calls[("groups", OTHER)] == 1
    assert FOREIGN_GROUP in snapshot.estate.action_groups
    assert snapshot.estate.unread_subscriptions == frozenset()


def test_a_denied_other_subscription_is_a_warning_and_its_groups_unknown() -> None:
    central = replace(rule(), action_group_ids=(FOREIGN_GROUP,))
    snapshot = read_snapshot(FakeLists([central], denied={OTHER}), [SUB])
    assert snapshot.estate.unread_subscriptions == frozenset({OTHER})
    [warning] = snapshot.warnings
    assert OTHER in warning


def test_a_denied_checked_subscription_is_an_error() -> None:
    with pytest.raises(AzureError, match="access denied"):
        read_snapshot(FakeLists([rule()], denied={SUB}), [SUB])
