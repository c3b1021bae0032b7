"""Recovery Services vaults through RecoveryServicesClient (api 2026-11-01)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.recoveryservices import RecoveryServicesClient

from provisioner.emulator import Emulator, models
from tests.emulator.conftest import VAULT_PATH, Raw, error_code
from tests.seeds import DEFAULT_SEED, DEFAULT_SUBSCRIPTION

VERSION = {"api-version": "2026-11-01"}

MONITORING_PATCH = {
    "properties": {
        "monitoringSettings": {
            "azureMonitorAlertSettings": {"alertsForAllJobFailures": "Enabled"},
            "classicAlertSettings": {"alertsForCriticalOperations": "Disabled"},
        }
    }
}


def test_get_seeded_vault_shape_and_default_alert_settings(
    vaults_client: RecoveryServicesClient,
) -> None:
    # spec RSV 2026-11-01 + GETVault.json: type, etag, normalised location, provisioningState; assumption:
    # monitoringSettings absent from the seed reads back as the documented defaults (Enabled).
    vault = vaults_client.vaults.get("RG-BACKUP", "rsv-jpe-lrs")
    assert (vault.name, vault.type, vault.location) == (
        "RSV-JPE-LRS",
        "Microsoft.RecoveryServices/vaults",
        "japaneast",
    )
    assert vault.etag.startswith('W/"datetime')
    assert vault.properties.provisioning_state == "Succeeded"
    settings = vault.properties.monitoring_settings
    assert settings.azure_monitor_alert_settings.alerts_for_all_job_failures == "Enabled"
    assert settings.classic_alert_settings.alerts_for_critical_operations == "Enabled"


def test_patch_is_an_lro_the_sdk_finishes_fast(
    world: Emulator, vaults_client: RecoveryServicesClient
) -> None:
    # spec RSV 2026-11-01: PATCH 202 + Azure-AsyncOperation + Location; Retry-After ≥1 (azure-core base_polling), done at first poll.
    result = vaults_client.vaults.begin_update(
        "rg-backup", "RSV-JPE-LRS", MONITORING_PATCH
    ).result()
    assert (
        result.properties.monitoring_settings.classic_alert_settings.alerts_for_critical_operations
        == "Disabled"
    )
    statuses = [
        (r["method"], r["status"]) for r in world.control.requests() if "vaults" in r["path"]
    ]
    # Done at the first poll: one status GET, then the final GET of the vault; no waiting loop.
    assert statuses == [("PATCH", 202), ("GET", 200), ("GET", 200)]


def test_patch_can_answer_synchronously(
    world: Emulator, vaults_client: RecoveryServicesClient
) -> None:
    # Control switch: 200 + body, no LRO headers.
    world.control.settings(vaultPatchAsync=False)
    vaults_client.vaults.begin_update("rg-backup", "RSV-JPE-LRS", MONITORING_PATCH).result()
    assert ("PATCH", 200) in [(r["method"], r["status"]) for r in world.control.requests()]


def test_patch_merges_into_properties(vaults_client: RecoveryServicesClient) -> None:
    # spec RSV 2026-11-01: JSON merge-patch inside properties; untouched settings survive.
    patch = {
        "properties": {
            "monitoringSettings": {
                "classicAlertSettings": {"alertsForCriticalOperations": "Disabled"}
            }
        }
    }
    vaults_client.vaults.begin_update("rg-backup", "RSV-JPE-LRS", patch).result()
    settings = vaults_client.vaults.get("rg-backup", "RSV-JPE-LRS").properties.monitoring_settings
    assert settings.azure_monitor_alert_settings.alerts_for_all_job_failures == "Enabled"


def test_patch_rejects_bad_alert_state(vaults_client: RecoveryServicesClient) -> None:
    bad = {
        "properties": {
            "monitoringSettings": {"classicAlertSettings": {"alertsForCriticalOperations": "Maybe"}}
        }
    }
    with pytest.raises(HttpResponseError, match="Enabled, Disabled"):
        vaults_client.vaults.begin_update("rg-backup", "RSV-JPE-LRS", bad).result()


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"sku": {"name": 5}}, "sku.name"),
        ({"identity": {"type": True}}, "identity.type"),
        ({"etag": 7}, "etag"),
        ({"sku": "Standard"}, "sku"),
        ({"properties": {"publicNetworkAccess": False}}, "properties.publicNetworkAccess"),
        ({"properties": {"securitySettings": "on"}}, "properties.securitySettings"),
    ],
)
def test_patch_with_wrongly_typed_fields_is_400_and_changes_nothing(
    vaults_client: RecoveryServicesClient, patch: dict[str, object], path: str
) -> None:
    # spec RSV23 PatchVault: sku (Sku: string fields), identity (IdentityData.type string), etag
    # string. A value of another type must not be stored: 400 InvalidRequestContent (ARM RPC).
    before = vaults_client.vaults.get("rg-backup", "RSV-JPE-LRS").as_dict()
    with pytest.raises(HttpResponseError, match=path) as caught:
        vaults_client.vaults.begin_update("rg-backup", "RSV-JPE-LRS", patch).result()
    assert caught.value.error is not None and caught.value.error.code == "InvalidRequestContent"
    after = vaults_client.vaults.get("rg-backup", "RSV-JPE-LRS").as_dict()
    assert {k: v for k, v in after.items() if k != "etag"} == {
        k: v for k, v in before.items() if k != "etag"
    }


def test_put_cannot_move_a_vault(vaults_client: RecoveryServicesClient) -> None:
    # ARM RPC resource-api-reference: location is immutable; ARM's 409 InvalidResourceLocation. "Japan East" is the
    # seeded japaneast in another spelling, so that PUT is an update.
    body = {"location": "Japan East", "sku": {"name": "Standard"}, "properties": {}}
    vaults_client.vaults.begin_create_or_update("rg-backup", "RSV-JPE-LRS", body).result()
    with pytest.raises(HttpResponseError) as caught:
        body["location"] = "westus"
        vaults_client.vaults.begin_create_or_update("rg-backup", "RSV-JPE-LRS", body).result()
    assert caught.value.status_code == 409
    assert caught.value.error is not None and caught.value.error.code == "InvalidResourceLocation"


def test_vault_seeded_with_null_monitoring_settings_omits_block(
    world: Emulator, vaults_client: RecoveryServicesClient
) -> None:
    # UNCONFIRMED: both shapes must be possible; null in the seed keeps it absent.
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": DEFAULT_SUBSCRIPTION,
                    "resourceGroups": [
                        {
                            "name": "rg-backup",
                            "location": "japaneast",
                            "vaults": [
                                {
                                    "name": "bare",
                                    "location": "Japan East",
                                    "properties": {"monitoringSettings": None},
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )
    vault = vaults_client.vaults.get("rg-backup", "bare")
    assert vault.properties.monitoring_settings is None
    assert vault.location == "japaneast"


def test_lists_page_with_next_link(world: Emulator, vaults_client: RecoveryServicesClient) -> None:
    # azure-mgmt-* paging: the RSV SDK re-parses nextLink; absolute link on our host works.
    extra = [{"name": f"v{i}", "location": "japaneast"} for i in range(4)]
    seed = {
        "subscriptions": [
            {
                "id": DEFAULT_SUBSCRIPTION,
                "resourceGroups": [{"name": "rg-backup", "location": "japaneast", "vaults": extra}],
            }
        ]
    }
    world.control.seed(seed)
    world.control.settings(pageSize=2)
    assert len(list(vaults_client.vaults.list_by_subscription_id())) == 5
    assert len(list(vaults_client.vaults.list_by_resource_group("rg-backup"))) == 5


def test_missing_vault_and_group_are_404(vaults_client: RecoveryServicesClient) -> None:
    with pytest.raises(ResourceNotFoundError, match="ResourceNotFound"):
        vaults_client.vaults.get("rg-backup", "ghost")
    with pytest.raises(ResourceNotFoundError, match="ResourceGroupNotFound"):
        vaults_client.vaults.get("rg-ghost", "RSV-JPE-LRS")


def test_default_seed_is_what_the_contract_says() -> None:
    groups = DEFAULT_SEED["subscriptions"][0]["resourceGroups"]
    assert {g["name"] for g in groups} == {"rg-monitoring", "rg-backup"}


def test_patch_null_members_are_removed_never_stored(world: Emulator, raw: Raw) -> None:
    # spec RSV 2026-11-01: properties follow JSON merge-patch (RFC 7396): a null member removes it, also
    # inside an object the vault did not have yet (merged into {}).
    bare = {"name": "bare", "location": "japaneast", "properties": {"monitoringSettings": None}}
    groups = [{"name": "rg-backup", "location": "japaneast", "vaults": [bare]}]
    world.control.seed({"subscriptions": [{"id": DEFAULT_SUBSCRIPTION, "resourceGroups": groups}]})
    patch = {
        "properties": {
            "monitoringSettings": {
                "azureMonitorAlertSettings": {"alertsForAllJobFailures": None},
                "classicAlertSettings": {"alertsForCriticalOperations": "Disabled"},
            }
        }
    }
    assert raw("PATCH", f"{VAULT_PATH}/bare", patch, **VERSION).status_code in (200, 202)
    settings = raw("GET", f"{VAULT_PATH}/bare", **VERSION).json()["properties"][
        "monitoringSettings"
    ]
    assert settings == {
        "azureMonitorAlertSettings": {},
        "classicAlertSettings": {"alertsForCriticalOperations": "Disabled"},
    }
    removal = {"properties": {"monitoringSettings": {"classicAlertSettings": None}}}
    raw("PATCH", f"{VAULT_PATH}/bare", removal, **VERSION)
    settings = raw("GET", f"{VAULT_PATH}/bare", **VERSION).json()["properties"][
        "monitoringSettings"
    ]
    assert settings == {"azureMonitorAlertSettings": {}}


def test_members_vault_properties_do_not_declare_are_ignored(raw: Raw) -> None:
    # spec RSV23 / SDK 4.3.0 VaultProperties declare no "foo" and no additionalProperties: the
    # member is not part of the contract, so it is neither stored nor echoed (README decision).
    patch = {"properties": {"foo": 1, "publicNetworkAccess": "Disabled"}}
    raw("PATCH", f"{VAULT_PATH}/RSV-JPE-LRS", patch, **VERSION)
    properties = raw("GET", f"{VAULT_PATH}/RSV-JPE-LRS", **VERSION).json()["properties"]
    assert "foo" not in properties
    assert properties["publicNetworkAccess"] == "Disabled"


def test_only_the_most_recent_operations_are_kept(
    world: Emulator, raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Operations are saved to the state file on every write: a long run keeps only the most
    # recent HISTORY_LIMIT (1000; 3 here so the test stays fast), and those still read.
    monkeypatch.setattr(models, "HISTORY_LIMIT", 3)
    statuses = [
        raw("PATCH", f"{VAULT_PATH}/RSV-JPE-LRS", MONITORING_PATCH, **VERSION).headers[
            "Azure-AsyncOperation"
        ]
        for _ in range(5)
    ]
    assert len(world.control.state()["operations"]) == 3
    assert raw("GET", statuses[-1]).json()["status"] == "Succeeded"
    forgotten = raw("GET", statuses[0], retry_total=0)
    assert (forgotten.status_code, error_code(forgotten)) == (404, "OperationNotFound")
