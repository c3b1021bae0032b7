"""Vault alert settings: `VaultAlertSettings` <- a vault's ARM JSON, -> a `PatchVault` of managed fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from azure.mgmt.recoveryservices import models as sdk

from provisioner.azure.mappings import arm_json, sdk_id, sdk_text
from provisioner.azure.mappings.arm_json import member
from provisioner.model import VaultAlertSettings, make_tags

# The version of the Recovery Services API alertsync speaks, typed calls and JSON lists alike.
API_VERSION: Final = "2026-11-01"

_ENABLED: Final = "Enabled"
_DISABLED: Final = "Disabled"


def _state(value: bool) -> str:
    return _ENABLED if value else _DISABLED


def _enabled(value: Any) -> bool:
    """AlertsState is case-insensitive; an absent value means Azure's default, which is on.

    Job-failure alerts are on by default, and so are classic alerts for critical operations
    (docs/azure-behaviour.md#vault-alert-settings). Whether a fresh vault returns
    monitoringSettings at all is unconfirmed, so both "absent" and "explicitly Enabled" read as
    True.
    """
    text = sdk_text(value)
    return text is None or text.lower() != _DISABLED.lower()


def from_arm(vault: Mapping[str, Any]) -> VaultAlertSettings:
    """Both settings from the vault's ARM JSON (a list item, or the SDK model of a write's
    answer, a mapping of the same wire names), always known on the live side (absent = Azure's
    default, on), and the vault's tags (what selectors match). A value of the wrong type raises
    ArmShapeError."""
    rid = sdk_id(arm_json.text(vault, "id"), "a vault")
    monitoring = member(member(vault, "properties"), "monitoringSettings")
    azure_monitor = member(monitoring, "azureMonitorAlertSettings")
    classic = member(monitoring, "classicAlertSettings")
    return VaultAlertSettings(
        id=rid,
        tags=make_tags(arm_json.tags(vault)),
        job_failure_alerts=_enabled(arm_json.text(azure_monitor, "alertsForAllJobFailures")),
        classic_alerts=_enabled(arm_json.text(classic, "alertsForCriticalOperations")),
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
