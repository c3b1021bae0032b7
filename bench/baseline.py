"""The naive baseline: the same SDK clients, one GET per declared resource, then PUTs, sequential."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.recoveryservices import RecoveryServicesClient

from provisioner.azure.credentials import make_credential
from provisioner.azure.mappings import action_groups, processing_rules
from provisioner.azure.settings import AzureSettings
from provisioner.ids import ResourceId
from provisioner.model import ActionGroup, AlertProcessingRule, Resource
from provisioner.spec import desired as desired_state
from provisioner.spec import files as spec_files
from provisioner.sync import diff
from provisioner.sync.live import LiveState
from provisioner.sync.plan import phase_of


@dataclass(frozen=True, slots=True)
class _Clients:
    monitor: MonitorManagementClient
    rules: AlertProcessingRulesMgmtClient
    vaults: RecoveryServicesClient


@dataclass
class Timer:
    """Seconds spent per kind of request (to show what the vault reads cost the baseline)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def __call__(self, kind: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[kind] = self.seconds.get(kind, 0.0) + elapsed


class Baseline:
    """What a tool without list reads or concurrency does: GET each resource, PUT each change."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.settings = AzureSettings.from_env(env)
        self.credential = make_credential(self.settings)
        self.clients: dict[str, _Clients] = {}
        self.timer = Timer()

    def close(self) -> None:
        for c in self.clients.values():
            c.monitor.close()
            c.rules.close()
            c.vaults.close()

    def _for(self, subscription: str) -> _Clients:
        if subscription not in self.clients:
            options: dict[str, Any] = {
                "base_url": self.settings.arm_endpoint,
                "credential_scopes": [self.settings.credential_scope],
                "connection_verify": self.settings.ca_bundle or True,
            }
            cred = self.credential
            self.clients[subscription] = _Clients(
                MonitorManagementClient(cred, subscription, **options),
                AlertProcessingRulesMgmtClient(cred, subscription, **options),
                RecoveryServicesClient(cred, subscription, **options),
            )
        return self.clients[subscription]

    # --- plan: one GET per declared resource ---

    def plan(self, folder: Path) -> list[diff.Change]:
        """The changes, found by reading every declared group, rule and vault one by one."""
        wanted = desired_state.build(spec_files.load([folder]), env={})
        return _ordered(diff.compute(wanted, self.read(wanted)).changes)

    def read(self, wanted: desired_state.DesiredState) -> LiveState:
        found: dict[ResourceId, Resource] = {}
        for rid, resource in wanted.resources.items():
            live = self._get(rid, resource)
            if live is not None:
                found[rid] = live
        missing = frozenset(v for v in sorted(wanted.vaults) if not self._vault_exists(v))
        return LiveState(resources=found, missing_vaults=missing)

    def _where(self, rid: ResourceId) -> tuple[_Clients, str, str]:
        """The subscription's clients, the resource group and the name of `rid`."""
        if rid.resource_group is None:
            raise ValueError(f"{rid} is not inside a resource group")
        return self._for(rid.subscription), rid.resource_group, rid.name

    def _get(self, rid: ResourceId, resource: Resource) -> Resource | None:
        clients, rg, name = self._where(rid)
        try:
            if isinstance(resource, ActionGroup):
                with self.timer("get"):
                    group = clients.monitor.action_groups.get(rg, name)
                return action_groups.from_arm(group)
            with self.timer("get"):
                rule = clients.rules.alert_processing_rules.get_by_name(rg, name)
            return processing_rules.from_arm(rule)
        except ResourceNotFoundError:
            return None

    def _vault_exists(self, vault: ResourceId) -> bool:
        clients, rg, name = self._where(vault)
        try:
            with self.timer("vault"):
                clients.vaults.vaults.get(rg, name)
        except ResourceNotFoundError:
            return False
        return True

    # --- apply: the plan's GETs, then one PUT per change ---

    def apply(self, folder: Path) -> float:
        """Read as `plan` does, then PUT each change in order; returns the plan phase's seconds."""
        started = time.perf_counter()
        changes = self.plan(folder)
        planned = time.perf_counter() - started
        for change in changes:
            with self.timer("put"):
                self._put(change)
        return planned

    def _put(self, change: diff.Change) -> None:
        resource = change.desired
        clients, rg, name = self._where(change.id)
        if isinstance(resource, ActionGroup):
            clients.monitor.action_groups.create_or_update(rg, name, action_groups.to_arm(resource))
        elif isinstance(resource, AlertProcessingRule):
            body = processing_rules.to_arm(resource)
            clients.rules.alert_processing_rules.create_or_update(rg, name, body)
        else:
            raise RuntimeError(f"the baseline does not write {change.action} {change.id}")


def _ordered(changes: tuple[diff.Change, ...]) -> list[diff.Change]:
    """Groups before the rules that name them (alertsync's apply order)."""
    return sorted(changes, key=lambda c: (phase_of(c), c.id))
