"""Fixtures for the emulator's own contract tests: raw requests through a real SDK pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.rest import HttpRequest, HttpResponse
from azure.identity import ClientSecretCredential
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
from azure.mgmt.alertsmanagement import AlertsManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
from azure.mgmt.resource.resources import ResourceManagementClient

from provisioner.emulator import Emulator, EmulatorControlError
from tests.seeds import DEFAULT_SUBSCRIPTION

SUB_PATH = f"/subscriptions/{DEFAULT_SUBSCRIPTION}"
AG_PATH = f"{SUB_PATH}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups"
RULE_PATH = (
    f"{SUB_PATH}/resourceGroups/rg-monitoring/providers/Microsoft.AlertsManagement/actionRules"
)
VAULT_PATH = f"{SUB_PATH}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults"

Raw = Callable[..., HttpResponse]
ARM_SCOPES = ["https://management.azure.com/.default"]


def sdk_client(
    kind: Callable[..., Any], world: Emulator, credential: ClientSecretCredential
) -> Any:
    """A real azure-mgmt client of `kind` bound to the emulator and DEFAULT_SUBSCRIPTION."""
    return kind(
        credential,
        DEFAULT_SUBSCRIPTION,
        base_url=world.url,
        connection_verify=world.ca_path,
        credential_scopes=ARM_SCOPES,
    )


def client_fixture(kind: Callable[..., Any]) -> Any:
    """A fixture giving a real `kind` client bound to the emulator (reset to DEFAULT_SEED)."""

    @pytest.fixture
    def client(world: Emulator, credential: ClientSecretCredential) -> Any:
        return sdk_client(kind, world, credential)

    return client


resource_client = client_fixture(ResourceManagementClient)  # api 2025-04-01
alerts_client = client_fixture(AlertsManagementClient)  # 1.0.1: api 2019-05-05-preview
backup_client = client_fixture(RecoveryServicesBackupClient)  # api 2026-10-01
compute_client = client_fixture(ComputeManagementClient)  # api 2026-04-01


@pytest.fixture
def raw(rules_client: AlertProcessingRulesMgmtClient) -> Raw:
    """Send any request through a real SDK pipeline (bearer auth, retries) to the emulator."""

    def send(
        method: str,
        path: str,
        body: Any = None,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        retry_total: int = 3,
        **params: str,
    ) -> HttpResponse:
        if body is not None:
            content = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        request = HttpRequest(method, path, params=params, content=content, headers=headers)
        return rules_client.send_request(request, retry_total=retry_total)

    return send


def error_code(response: HttpResponse) -> str:
    """The ARM error envelope's code."""
    body = response.json()
    assert set(body) == {"error"}, body
    return str(body["error"]["code"])


AG_ID = f"{AG_PATH}/ag-oncall"
VM_PATH = f"{SUB_PATH}/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines"
VAULT_ID = f"{VAULT_PATH}/RSV-JPE-LRS"

BACKUP_GROUP = {
    "name": "rg-backup",
    "location": "japaneast",
    "vaults": [
        {
            "name": "RSV-JPE-LRS",
            "location": "japaneast",
            "tags": {"Env": "prod"},
            "protectedItems": [
                {"vm": "vm-app"},
                {
                    "vm": f"{VM_PATH}/vm-db",
                    "lastBackupError": "UserErrorGuestAgentStatusUnavailable",
                },
            ],
        }
    ],
}
VM_GROUP = {
    "name": "rg-vms",
    "location": "japaneast",
    "virtualMachines": [
        {"name": "vm-app", "tags": {"env": "Prod"}},
        {"name": "vm-db", "agent": {"status": "Not Ready"}},
        {"name": "vm-off", "powerState": "deallocated"},
    ],
}
ONCALL_GROUP = {
    "location": "Global",
    "tags": {"managed-by": "alertsync"},
    "properties": {
        "groupShortName": "oncall",
        "enabled": True,
        "emailReceivers": [{"name": "oncall", "emailAddress": "oncall@example.com"}],
    },
}
VAULT_RULE = {
    "location": "Global",
    "properties": {
        "scopes": [SUB_PATH],
        "conditions": [
            {
                "field": "TargetResourceType",
                "operator": "Equals",
                "values": ["Microsoft.RecoveryServices/vaults"],
            }
        ],
        "actions": [{"actionType": "AddActionGroups", "actionGroupIds": [AG_ID]}],
    },
}
MONITORING_GROUP = {
    "name": "rg-monitoring",
    "location": "japaneast",
    "resources": [
        {"id": AG_ID, "body": ONCALL_GROUP},
        {"id": f"{RULE_PATH}/apr-backup", "body": VAULT_RULE},
    ],
}
# A world with something of every modelled type: a tagged vault protecting two VMs (one whose
# agent is down), an action group and a rule that routes vault alerts to it.
EVIDENCE_SEED: dict[str, Any] = {
    "subscriptions": [
        {
            "id": DEFAULT_SUBSCRIPTION,
            "resourceGroups": [BACKUP_GROUP, VM_GROUP, MONITORING_GROUP],
        }
    ]
}


def rejected(world: Emulator, method: str, route: str, body: dict[str, Any]) -> str:
    """The 400 message a control route answers to a body it refuses."""
    with pytest.raises(EmulatorControlError, match="400") as caught:
        world.control._call(method, route, body)
    return str(caught.value)


@pytest.fixture
def evidence(world: Emulator) -> Emulator:
    """The session emulator reset to EVIDENCE_SEED."""
    world.control.reset(seed=EVIDENCE_SEED)
    return world
