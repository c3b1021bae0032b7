"""Seed documents (the shape of provisioner/emulator/README.md, "Seed document") shared by tests that run against the emulator."""

from __future__ import annotations

from typing import Any

DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
MONITORING_RG = "rg-monitoring"
BACKUP_RG = "rg-backup"
VAULT_NAME = "RSV-JPE-LRS"

DEFAULT_SEED: dict[str, Any] = {
    "subscriptions": [
        {
            "id": DEFAULT_SUBSCRIPTION,
            "displayName": "alertsync-test",
            "resourceGroups": [
                {"name": MONITORING_RG, "location": "japaneast"},
                {
                    "name": BACKUP_RG,
                    "location": "japaneast",
                    "vaults": [{"name": VAULT_NAME, "location": "japaneast"}],
                },
            ],
        }
    ]
}


def rule_seed(rule_id: str, properties: dict[str, Any], rg: str = MONITORING_RG) -> dict[str, Any]:
    """A seed document adding one alert processing rule (raw ARM properties) to the default
    subscription, e.g. a suppression rule made outside alertsync."""
    body = {"location": "Global", "properties": properties}
    group = {"name": rg, "location": "japaneast", "resources": [{"id": rule_id, "body": body}]}
    return {"subscriptions": [{"id": DEFAULT_SUBSCRIPTION, "resourceGroups": [group]}]}
