"""Read what `check` evaluates: per subscription one paged list each of vaults, rules, action groups."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from provisioner.check.coverage import Estate
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.model import ActionGroup, AlertProcessingRule, VaultAlertSettings

log = logging.getLogger(__name__)

_FORBIDDEN = 403
_NOT_FOUND = 404


class SubscriptionLists(Protocol):
    """The subscription-wide lists `check` needs (provisioner.azure.client.Azure has them)."""

    def list_vaults_in_subscription(self, subscription: str) -> list[VaultAlertSettings]: ...

    def list_processing_rules_in_subscription(
        self, subscription: str
    ) -> list[AlertProcessingRule]: ...

    def list_action_groups_in_subscription(
        self, subscription: str
    ) -> list[tuple[ActionGroup, tuple[str, ...]]]: ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The estate of the subscriptions read, and what could not be read (a warning each)."""

    estate: Estate
    subscriptions: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def read_snapshot(
    azure: SubscriptionLists, subscriptions: Iterable[str], max_workers: int = 8
) -> Snapshot:
    """Three lists per subscription, run concurrently, whatever the number of vaults; plus the
    action groups of any other subscription a rule adds a group from."""
    subs = tuple(sorted({s.lower() for s in subscriptions}))
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="check") as pool:
        vaults = [pool.submit(azure.list_vaults_in_subscription, s) for s in subs]
        routing = read_routing(azure, subs, pool)
    estate = Estate(
        tuple(v for f in vaults for v in f.result()), routing.rules, routing.groups, routing.unread
    )
    return Snapshot(estate, subs, routing.warnings)


@dataclass(frozen=True, slots=True)
class Routing:
    """Every rule of some subscriptions and every action group those rules could add."""

    rules: tuple[AlertProcessingRule, ...]
    groups: Mapping[ResourceId, ActionGroup]
    warnings: tuple[str, ...] = ()
    unread: frozenset[str] = frozenset()  # subscriptions whose action groups were not readable


def read_routing(azure: SubscriptionLists, subs: Sequence[str], pool: Executor) -> Routing:
    """One list of rules and one of action groups per subscription, concurrently on `pool`."""
    rules = [pool.submit(azure.list_processing_rules_in_subscription, s) for s in subs]
    groups = [pool.submit(_groups, azure, s, required=True) for s in subs]
    all_rules = tuple(r for f in rules for r in f.result())
    found = [f.result() for f in groups]
    others = _foreign_subscriptions(all_rules, subs)
    found += list(pool.map(lambda s: _groups(azure, s, required=False), others))
    by_id = {g.id: g for listed, _ in found for g in listed}
    unread = frozenset(s for s, (_, why) in zip([*subs, *others], found, strict=True) if why)
    return Routing(all_rules, by_id, tuple(w for _, w in found if w), unread)


def _groups(
    azure: SubscriptionLists, subscription: str, *, required: bool
) -> tuple[list[ActionGroup], str | None]:
    """The subscription's action groups; of a subscription only rules point into, a denied or
    missing list is a warning (its groups then count as missing), not an error."""
    try:
        return [g for g, _ in azure.list_action_groups_in_subscription(subscription)], None
    except AzureError as error:
        if required or error.status not in (_FORBIDDEN, _NOT_FOUND):
            raise
        log.info("cannot list action groups of %s: %s", subscription, error)
        return (
            [],
            f"cannot read the action groups rules add from subscription {subscription}: {error}",
        )


def _foreign_subscriptions(
    rules: Iterable[AlertProcessingRule], listed: Sequence[str]
) -> list[str]:
    """Subscriptions of action groups that rules add, other than those listed already."""
    wanted: set[str] = {g.subscription.lower() for r in rules for g in r.action_group_ids}
    return sorted(wanted - set(listed))
