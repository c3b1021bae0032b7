"""Fired alerts: `FiredAlert` <- SDK `Alert` (essentials) and `AlertModification` (history)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from azure.mgmt.alertsmanagement import models as sdk

from provisioner.azure.mappings import sdk_text
from provisioner.evidence import FiredAlert, HistoryEvent


def from_arm(alert: sdk.Alert, subscription: str) -> FiredAlert:
    """The alert's essentials as read; its history comes separately (with_history)."""
    props = alert.properties
    essentials = props.essentials if props is not None else None
    if essentials is None:
        essentials = sdk.Essentials()
    status = essentials.action_status
    started = essentials.start_date_time
    return FiredAlert(
        id=sdk_text(alert.id) or "",
        subscription=subscription.lower(),
        target=sdk_text(essentials.target_resource) or "",
        target_type=sdk_text(essentials.target_resource_type) or "",
        alert_rule=sdk_text(essentials.alert_rule) or sdk_text(alert.name) or "",
        severity=sdk_text(essentials.severity) or "",
        monitor_service=sdk_text(essentials.monitor_service) or "",
        monitor_condition=sdk_text(essentials.monitor_condition) or "",
        fired_at=started if isinstance(started, datetime) else None,
        description=sdk_text(essentials.description) or "",
        is_suppressed=status.is_suppressed if status is not None else None,
    )


def history_from_arm(modification: sdk.AlertModification) -> tuple[HistoryEvent, ...]:
    """The history items, oldest first (the API lists them newest first). Unknown JSON members
    (a `details` object of newer api versions) are kept in the SDK's additional_properties."""
    props = modification.properties
    items = list(props.modifications or ()) if props is not None else []
    events = [_event(item) for item in items]
    return tuple(sorted(events, key=lambda e: e.modified_at))


def _event(item: sdk.AlertModificationItem) -> HistoryEvent:
    extra: Mapping[str, Any] = getattr(item, "additional_properties", None) or {}
    details = extra.get("details")
    return HistoryEvent(
        event=sdk_text(item.modification_event) or "",
        old_value=sdk_text(item.old_value) or "",
        new_value=sdk_text(item.new_value) or "",
        description=sdk_text(item.description) or "",
        modified_at=sdk_text(item.modified_at) or "",
        modified_by=sdk_text(item.modified_by) or "",
        comments=sdk_text(item.comments) or "",
        details=details if isinstance(details, Mapping) else None,
    )
