"""A vault's alert settings as its `vaults[]` spec entry."""

from __future__ import annotations

from provisioner.export.behaviour.common import Document, SpecContext, entry_start
from provisioner.model import VaultAlertSettings


def vault_entry(vault: VaultAlertSettings, context: SpecContext) -> Document:
    """A `vaults[]` entry with the settings Azure reported (both, when read from Azure)."""
    entry = entry_start(vault.id, context)
    if vault.job_failure_alerts is not None:
        entry["jobFailureAlerts"] = vault.job_failure_alerts
    if vault.classic_alerts is not None:
        entry["classicAlerts"] = vault.classic_alerts
    return entry
