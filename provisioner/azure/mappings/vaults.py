"""Vault alert settings: `VaultAlertSettings` <- SDK `Vault`, and -> a `PatchVault` of managed fields."""

from __future__ import annotations

from typing import Any, Final

from azure.mgmt.recoveryservices import models as sdk

from provisioner.azure.mappings import sdk_id, sdk_text
from provisioner.model import VaultAlertSettings, make_tags

_ENABLED: Final = "Enabled"
_DISABLED: Final = "Disabled"


def _state(value: bool) -> str:
    return _ENABLED if value else _DISABLED


def _enabled(value: Any) -> bool:
    """AlertsState is case-insensitive; an absent value means Azure's default, which is on.

    Job-failure alerts are on by default (docs backup-azure-monitoring-alerts.md) and so are
    classic alerts for critical operations (azurerm documents both as "Defaults to true"): facts
    §4 and §7. Whether a fresh vault returns monitoringSettings at all is unconfirmed, so both
    "absent" and "explicitly Enabled" read as True.
    """
    text = sdk_text(value)
    return text is None or text.lower() != _DISABLED.lower()


def from_arm(vault: sdk.Vault) -> VaultAlertSettings:
    """Both settings, always known on the live side (absent = Azure's default, on), and the
    vault's tags (what selectors match)."""
    props = vault.properties
    monitoring = props.monitoring_settings if props is not None else None
    azure_monitor = monitoring.azure_monitor_alert_settings if monitoring is not None else None
    classic = monitoring.classic_alert_settings if monitoring is not None else None
    return VaultAlertSettings(
        id=sdk_id(vault.id, "a vault"),
        tags=make_tags(vault.tags),
        job_failure_alerts=_enabled(
            azure_monitor.alerts_for_all_job_failures if azure_monitor is not None else None
        ),
        classic_alerts=_enabled(
            classic.alerts_for_critical_operations if classic is not None else None
        ),
    )


def to_patch(settings: VaultAlertSettings) -> sdk.PatchVault:
    """A PATCH body with only the managed (not None) settings; ARM merges it into the vault.

    Fields inside `properties` follow JSON merge-patch (docs/azure-behaviour.md#vault-merge-patch), so leaving a setting out
    leaves it as it is in Azure.
    """
    monitoring = sdk.MonitoringSettings()
    if settings.job_failure_alerts is not None:
        monitoring.azure_monitor_alert_settings = sdk.AzureMonitorAlertSettings(
            alerts_for_all_job_failures=_state(settings.job_failure_alerts)
        )
    if settings.classic_alerts is not None:
        monitoring.classic_alert_settings = sdk.ClassicAlertSettings(
            alerts_for_critical_operations=_state(settings.classic_alerts)
        )
    return sdk.PatchVault(properties=sdk.VaultProperties(monitoring_settings=monitoring))
