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
