"""The benchmark world: the emulator seed and the spec files for N vaults in S subscriptions."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ACTION_GROUPS = 10
MONITORING_RG = "rg-monitoring"
BACKUP_RG = "rg-backup"
LOCATION = "japaneast"
OWNER = "bench"
PAGE_SIZE = 100  # the emulator's (and the service's) page size of rule and vault lists


def subscription_id(index: int) -> str:
    """The index-th benchmark subscription (a GUID)."""
    return f"00000000-0000-0000-0000-{index:012d}"


@dataclass(frozen=True, slots=True)
class World:
    """`vaults` vaults, each with its own rule, and ACTION_GROUPS groups over `subscriptions`."""

    subscriptions: int
    vaults: int

    def vaults_in(self, sub: int) -> list[int]:
        """Vault numbers of subscription `sub` (round robin)."""
        return list(range(sub, self.vaults, self.subscriptions))

    def groups_in(self, sub: int) -> list[int]:
        """Action group numbers of subscription `sub` (round robin)."""
        return list(range(sub, ACTION_GROUPS, self.subscriptions))

    def seed(self) -> dict[str, Any]:
        """The seed document (provisioner/emulator/README.md): per subscription a monitoring and a backup group."""
        return {"subscriptions": [self._seed_subscription(s) for s in range(self.subscriptions)]}

    def _seed_subscription(self, sub: int) -> dict[str, Any]:
        vaults = [{"name": vault_name(v), "location": LOCATION} for v in self.vaults_in(sub)]
        return {
            "id": subscription_id(sub),
            "displayName": f"bench-{sub}",
            "resourceGroups": [
                {"name": MONITORING_RG, "location": LOCATION},
                {"name": BACKUP_RG, "location": LOCATION, "vaults": vaults},
            ],
        }

    def write_specs(self, folder: Path) -> Path:
        """One spec file per subscription in `folder`; returns the folder."""
        folder.mkdir(parents=True, exist_ok=True)
        for sub in range(self.subscriptions):
            text = yaml.safe_dump(self.spec(sub), sort_keys=False)
            (folder / f"bench-{sub}.yaml").write_text(text, encoding="utf-8")
        return folder

    def spec(self, sub: int) -> dict[str, Any]:
        """The spec document of subscription `sub`: its action groups and one rule per vault."""
        groups = self.groups_in(sub)
        return {
            "apiVersion": "alertsync/v1",
            "owner": OWNER,
            "subscription": subscription_id(sub),
            "resourceGroup": MONITORING_RG,
            "actionGroups": [action_group(g) for g in groups],
            "alertProcessingRules": [
                rule(v, group_name(groups[i % len(groups)]))
                for i, v in enumerate(self.vaults_in(sub))
            ],
        }

    @property
    def declared(self) -> int:
        """Resources the specs declare and the baseline reads: groups, rules and vaults."""
        return ACTION_GROUPS + 2 * self.vaults

    def plan_lists(self, rules_live: bool) -> Iterator[tuple[str, int]]:
        """Each (resource group, kind) list a plan needs, with the items it pages through."""
        for sub in range(self.subscriptions):
            groups, rules = self.groups_in(sub), len(self.vaults_in(sub))
            if not groups and not rules:
                continue
            # The owner's footprint: one tag-filtered Resources - List of the subscription.
            yield f"{sub}/resources", len(groups) + rules if rules_live else 0
            yield f"{sub}/{MONITORING_RG}/actionGroups", len(groups) if rules_live else 0
            yield f"{sub}/{MONITORING_RG}/actionRules", rules if rules_live else 0
            if rules:
                yield f"{sub}/{BACKUP_RG}/vaults", rules
                # plan's coverage warning: every rule and action group of the subscription.
                yield f"{sub}/actionRules", rules if rules_live else 0
                yield f"{sub}/actionGroups", len(groups) if rules_live else 0

    def expected_plan_requests(self, rules_live: bool) -> tuple[int, int]:
        """(lists, extra pages): one request per list, plus one per further page of 100."""
        lists = list(self.plan_lists(rules_live))
        extra = sum(max(0, math.ceil(items / PAGE_SIZE) - 1) for _, items in lists)
        return len(lists), extra


def vault_name(number: int) -> str:
    return f"rsv-{number:04d}"


def group_name(number: int) -> str:
    return f"ag-bench-{number:02d}"


def action_group(number: int) -> dict[str, Any]:
    """An action group with one email receiver."""
    return {
        "name": group_name(number),
        "shortName": f"bench{number:02d}",
        "emailReceivers": [
            {"name": "oncall", "address": f"oncall-{number:02d}@example.com"},
        ],
    }


def rule(vault: int, group: str) -> dict[str, Any]:
    """The rule of one vault: its Sev1 alerts go to `group`."""
    return {
        "name": f"apr-{vault_name(vault)}",
        "description": f"Backup job failures of {vault_name(vault)}",
        "scopes": [{"vault": vault_name(vault), "resourceGroup": BACKUP_RG}],
        "conditions": {"severity": ["Sev1"]},
        "actionGroups": [group],
    }
