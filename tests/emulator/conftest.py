"""Fixtures for the emulator's own contract tests: raw requests through a real SDK pipeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient

from tests.seeds import DEFAULT_SUBSCRIPTION

SUB_PATH = f"/subscriptions/{DEFAULT_SUBSCRIPTION}"
AG_PATH = f"{SUB_PATH}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups"
RULE_PATH = (
    f"{SUB_PATH}/resourceGroups/rg-monitoring/providers/Microsoft.AlertsManagement/actionRules"
)
VAULT_PATH = f"{SUB_PATH}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults"

Raw = Callable[..., HttpResponse]


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
