"""Vault alert settings in the sync stage: their field tree and the safety rule that guards them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from provisioner.model import VaultAlertSettings
from provisioner.sync.behaviour.common import updates
from provisioner.sync.changes import Change
from provisioner.sync.fields import Tree


def vault_fields(settings: VaultAlertSettings) -> Tree:
    tree: Tree = {}
    if settings.job_failure_alerts is not None:
        tree["jobFailureAlerts"] = settings.job_failure_alerts
    if settings.classic_alerts is not None:
        tree["classicAlerts"] = settings.classic_alerts
    return tree


def risks(change: Change) -> Iterable[str]:
    if not updates(change):
        return
    want, have = cast(VaultAlertSettings, change.desired), cast(VaultAlertSettings, change.live)
    if have.job_failure_alerts is not False and want.job_failure_alerts is False:
        # The alerts this tool exists for: switching them off silences every backup failure.
        yield f"turns off the job failure alerts of {change.id.describe()}"
