"""The Azure client layer: settings from the environment, credentials, retries, wrapped errors.

The first part needs no network. The rest runs the real SDK against the emulator (tests/conftest.py
fixtures); nothing here mocks or patches the SDK.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.credentials import AccessToken
from azure.identity import ClientSecretCredential, DefaultAzureCredential

from provisioner.azure.client import Azure, ResourceGroupNotFound, SubscriptionNotFound
from provisioner.azure.credentials import make_credential
from provisioner.azure.errors import TestNotificationLimit
from provisioner.azure.settings import CLOUDS, AzureSettings, find_cloud
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.model import (
    ActionGroup,
    AlertProcessingRule,
    Condition,
    EmailReceiver,
    VaultAlertSettings,
)
from tests.clock import FakeClock

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

SUB = "00000000-0000-0000-0000-000000000000"


class StaticToken:
    """A TokenCredential that needs no authority (for tests that never reach one)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("token", int(time.time()) + 3600)


# --- settings ---------------------------------------------------------------------------------


def test_default_settings_are_the_public_cloud() -> None:
    s = AzureSettings.from_env({})
    assert s.cloud.name == "AzureCloud"
    assert s.arm_endpoint == "https://management.azure.com/"
    assert s.credential_scope == "https://management.azure.com/.default"
    assert s.instance_discovery is True
    assert s.ca_bundle is None


@pytest.mark.parametrize(
    ("name", "arm", "scope", "authority"),
    [
        (
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn/",
            "https://management.chinacloudapi.cn/.default",
            "login.chinacloudapi.cn",
        ),
        (
            "azureusgovernment",
            "https://management.usgovcloudapi.net/",
            "https://management.core.usgovcloudapi.net/.default",
            "login.microsoftonline.us",
        ),
    ],
)
def test_sovereign_clouds(name: str, arm: str, scope: str, authority: str) -> None:
    for s in (
        AzureSettings.from_env({"ALERTSYNC_CLOUD": name}),
        AzureSettings.from_env({}, cloud=name),
    ):
        assert (s.arm_endpoint, s.credential_scope, s.authority_host) == (arm, scope, authority)
        assert s.instance_discovery is True


def test_unknown_cloud_names_the_valid_ones() -> None:
    with pytest.raises(AzureError, match="AzureCloud, AzureChinaCloud, AzureUSGovernment"):
        find_cloud("AzureGermanCloud")
    assert set(CLOUDS) == {"azurecloud", "azurechinacloud", "azureusgovernment"}


def test_custom_endpoint_keeps_the_public_token_audience() -> None:
    s = AzureSettings.from_env(
        {
            "ALERTSYNC_ARM_ENDPOINT": "https://127.0.0.1:8443",
            "ALERTSYNC_CA_BUNDLE": "/tmp/ca.pem",
            "AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443",
        }
    )
    assert s.arm_endpoint == "https://127.0.0.1:8443"
    assert s.credential_scope == "https://management.azure.com/.default"
    assert s.ca_bundle == "/tmp/ca.pem"
    assert s.instance_discovery is False  # MSAL would otherwise ask login.microsoftonline.com


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AZURE_AUTHORITY_HOST", "http://login.example.com"),
        ("AZURE_AUTHORITY_HOST", "https://"),
        ("AZURE_AUTHORITY_HOST", "https://[::1"),
        ("ALERTSYNC_ARM_ENDPOINT", "http://127.0.0.1:8443/"),
        ("ALERTSYNC_ARM_ENDPOINT", "127.0.0.1:8443"),
    ],
)
def test_an_endpoint_that_is_not_https_is_one_error_naming_the_variable(
    name: str, value: str
) -> None:
    """azure-identity raised a ValueError traceback for an http authority; azure-core refused
    an http ARM endpoint only after the first request."""
    with pytest.raises(AzureError) as caught:
        AzureSettings.from_env({name: value})
    assert str(caught.value).startswith(f'{name} must be an https URL such as "')
    assert f'not "{value}"' in str(caught.value)


def test_a_bare_authority_host_is_https_as_azure_identity_reads_it() -> None:
    assert AzureSettings.from_env({"AZURE_AUTHORITY_HOST": "login.example.com"}).authority_host


def test_credential_choice_and_label() -> None:
    secret_env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c-1", "AZURE_CLIENT_SECRET": "s"}
    with_secret = AzureSettings.from_env(secret_env)
    assert isinstance(make_credential(with_secret), ClientSecretCredential)
    assert with_secret.credential_label == 'ClientSecretCredential (client id "c-1")'
    assert "client_secret" not in repr(with_secret)  # never logged or printed
    default = AzureSettings.from_env({})
    assert isinstance(make_credential(default), DefaultAzureCredential)
    assert default.credential_label == "DefaultAzureCredential"


def test_clients_are_cached_per_subscription_and_thread_safe() -> None:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    azure = Azure(AzureSettings.from_env({}), credential=StaticToken())
    with ThreadPoolExecutor(8) as pool:
        built = list(pool.map(lambda _: azure.clients.for_subscription(SUB), range(32)))
    assert all(c is built[0] for c in built)
    assert azure.clients.for_subscription(SUB.upper()) is built[0]
    assert azure.clients.for_subscription("11111111-1111-1111-1111-111111111111") is not built[0]
    azure.close()


# --- network errors (no emulator: a closed local port) ----------------------------------------


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def test_unreachable_endpoint_is_one_clear_sentence(closed_port: int) -> None:
    settings = AzureSettings(arm_endpoint=f"https://127.0.0.1:{closed_port}", retry_total=0)
    with Azure(settings, credential=StaticToken()) as azure, pytest.raises(AzureError) as err:
        azure.list_action_groups(SUB, "rg-monitoring")
    message = str(err.value)
    assert message.startswith(
        f'listing action groups in resource group "rg-monitoring" (sub "{SUB}"): cannot reach '
        f"https://127.0.0.1:{closed_port}"
    )
    assert "ALERTSYNC_CA_BUNDLE" in message and "\n" not in message


# --- against the emulator ---------------------------------------------------------------------
# These need provisioner.emulator (built concurrently); they are skipped until it can be imported.


MONITORING = ResourceId(SUB, "rg-monitoring")
VAULT = ResourceId.for_resource(
    SUB, "rg-backup", "Microsoft.RecoveryServices/vaults", "RSV-JPE-LRS"
)


def ag_id(name: str) -> ResourceId:
    return ResourceId.for_resource(SUB, "rg-monitoring", "Microsoft.Insights/actionGroups", name)


def rule_id(name: str) -> ResourceId:
    return ResourceId.for_resource(
        SUB, "rg-monitoring", "Microsoft.AlertsManagement/actionRules", name
    )


def oncall(name: str = "ag-oncall", short_name: str = "oncall") -> ActionGroup:
    return ActionGroup(
        ag_id(name),
        short_name,
        email_receivers=(EmailReceiver("oncall", "oncall@example.com", True),),
    )


def backup_rule(group: ActionGroup) -> AlertProcessingRule:
    return AlertProcessingRule(
        rule_id("apr-backup"),
        scopes=(VAULT,),
        action_group_ids=(group.id,),
        conditions=(Condition.build("Severity", "Equals", ["Sev1"]),),
        description="Mail on-call when a backup job fails",
    )


@pytest.fixture
def azure(world: Emulator) -> Iterator[Azure]:
    """The production client layer, configured only from the emulator's environment."""
    with Azure(AzureSettings.from_env(world.env())) as client:
        yield client


def test_action_group_put_list_delete(azure: Azure) -> None:
    group = oncall()
    assert azure.put_action_group(group) == group
    assert azure.list_action_groups(SUB, "RG-MONITORING") == [group]
    azure.delete_action_group(group.id)
    assert azure.list_action_groups(SUB, "rg-monitoring") == []
    azure.delete_action_group(group.id)  # already gone: ARM answers 204, not an error


def test_processing_rule_put_list_delete(azure: Azure) -> None:
    group = azure.put_action_group(oncall())
    rule = backup_rule(group)
    assert azure.put_processing_rule(rule) == rule
    assert azure.list_processing_rules(SUB, "rg-monitoring") == [rule]
    azure.delete_processing_rule(rule.id)
    assert azure.list_processing_rules(SUB, "rg-monitoring") == []


def test_vault_settings_patch_and_list(azure: Azure) -> None:
    assert azure.list_vaults(SUB, "rg-backup") == [VaultAlertSettings(VAULT, True, True)]  # default
    patched = azure.patch_vault(VaultAlertSettings(VAULT, classic_alerts=False))
    assert patched == VaultAlertSettings(VAULT, job_failure_alerts=True, classic_alerts=False)
    assert azure.list_vaults(SUB, "rg-backup") == [patched]


def test_missing_resource_group_is_a_clear_error(azure: Azure) -> None:
    with pytest.raises(ResourceGroupNotFound) as err:
        azure.list_processing_rules(SUB, "rg-x")
    assert str(err.value) == (
        f'listing alert processing rules in resource group "rg-x" (sub "{SUB}"): '
        f'resource group "rg-x" (sub "{SUB}") does not exist'
    )
    assert err.value.resource_group == ResourceId(SUB, "rg-x")
    assert (err.value.status, err.value.code) == (404, "ResourceGroupNotFound")


UNKNOWN_SUB = "99999999-9999-9999-9999-999999999999"


def test_subscription_wide_list_of_unknown_subscription_says_so(azure: Azure) -> None:
    with pytest.raises(SubscriptionNotFound, match="does not exist or is not visible to"):
        azure.list_vaults_in_subscription(UNKNOWN_SUB)
    with pytest.raises(AzureError, match="SubscriptionNotFound") as err:
        azure.list_action_groups(UNKNOWN_SUB, "rg-monitoring")
    assert not isinstance(err.value, ResourceGroupNotFound)
    assert (err.value.status, err.value.code) == (404, "SubscriptionNotFound")


def test_service_validation_error_names_operation_resource_and_code(azure: Azure) -> None:
    with pytest.raises(AzureError) as err:
        azure.put_action_group(oncall("ag-x", short_name="much-too-long-name"))
    message = str(err.value)
    assert message.startswith(
        f'creating or updating action group "ag-x" (rg "rg-monitoring", sub "{SUB}"): '
        "(GroupShortNameIsTooLong) "
    )
    assert "\n" not in message
    # Callers read what Azure answered from the error itself, never from the SDK's exception.
    assert (err.value.status, err.value.code) == (400, "GroupShortNameIsTooLong")


def test_429_with_retry_after_on_put_is_retried(world: Emulator) -> None:
    world.control.add_fault(method="PUT", path="actionGroups", status=429, count=1, retry_after=1)
    world.control.clear_requests()
    clock = FakeClock()
    with Azure(AzureSettings.from_env(world.env()), clock=clock) as azure:
        assert azure.put_action_group(oncall()) == oncall()
    assert clock.waited == 1.0  # Retry-After honoured
    puts = [r["status"] for r in world.control.requests() if r["method"] == "PUT"]
    assert puts in ([429, 200], [429, 201])


@pytest.mark.parametrize("status", [429, 503])
def test_patch_is_retried_without_retry_after(world: Emulator, azure: Azure, status: int) -> None:
    # azure-core alone would not retry a PATCH 429 without Retry-After
    # (docs/azure-behaviour.md#arm-retries).
    world.control.add_fault(method="PATCH", path="vaults", status=status, count=1)
    assert (
        azure.patch_vault(VaultAlertSettings(VAULT, job_failure_alerts=False)).job_failure_alerts
        is False
    )


def test_403_names_the_credential_and_the_missing_role(world: Emulator, azure: Azure) -> None:
    world.control.add_fault(method="PUT", path="actionGroups", status=403, count=1)
    with pytest.raises(AzureError) as err:
        azure.put_action_group(oncall())
    client_id = world.env()["AZURE_CLIENT_ID"]
    message = str(err.value)
    assert f'access denied to ClientSecretCredential (client id "{client_id}")' in message
    assert "Monitoring Contributor" in message
    world.control.add_fault(method="PATCH", path="vaults", status=403, count=1)
    with pytest.raises(AzureError, match="Backup Contributor"):
        azure.patch_vault(VaultAlertSettings(VAULT, classic_alerts=False))


def test_403_on_a_read_asks_only_for_reader(world: Emulator, azure: Azure) -> None:
    world.control.add_fault(method="GET", path="actionRules", status=403, count=1)
    with pytest.raises(AzureError) as err:
        azure.list_processing_rules(SUB, "rg-monitoring")
    assert "it needs the Reader (or Monitoring Reader) role" in str(err.value)
    assert err.value.status == 403


def test_401_says_sign_in_failed_with_which_credential(world: Emulator, azure: Azure) -> None:
    world.control.add_fault(method="GET", path="actionGroups", status=401, count=5)
    with pytest.raises(AzureError) as err:
        azure.list_action_groups(SUB, "rg-monitoring")
    client_id = world.env()["AZURE_CLIENT_ID"]
    assert f'sign-in failed with ClientSecretCredential (client id "{client_id}")' in str(err.value)


def test_wrong_secret_fails_sign_in_clearly(world: Emulator) -> None:
    env = {**world.env(), "AZURE_CLIENT_SECRET": "wrong"}
    with Azure(AzureSettings.from_env(env)) as azure, pytest.raises(AzureError) as err:
        azure.list_action_groups(SUB, "rg-monitoring")
    assert str(err.value).startswith(
        f'listing action groups in resource group "rg-monitoring" (sub "{SUB}"): sign-in failed'
    )


def test_untrusted_certificate_points_at_the_ca_bundle(world: Emulator) -> None:
    env = {k: v for k, v in world.env().items() if k != "ALERTSYNC_CA_BUNDLE"}
    # No retries: a certificate error is not transient, and azure-core would retry it as a
    # connection error.
    settings = dataclasses.replace(AzureSettings.from_env(env), retry_total=0)
    with Azure(settings, credential=StaticToken()) as azure, pytest.raises(AzureError) as err:
        azure.list_action_groups(SUB, "rg-monitoring")
    assert "TLS certificate" in str(err.value) and "ALERTSYNC_CA_BUNDLE" in str(err.value)
    # The real credential meets the same certificate first, at the emulator's token endpoint.
    with Azure(settings) as azure, pytest.raises(AzureError) as err:
        azure.list_action_groups(SUB, "rg-monitoring")
    assert "sign-in failed: the TLS certificate of" in str(err.value)
    assert "ALERTSYNC_CA_BUNDLE" in str(err.value)


def test_request_counter_counts_arm_requests(azure: Azure) -> None:
    azure.requests.reset()
    azure.list_action_groups(SUB, "rg-monitoring")
    azure.list_processing_rules(SUB, "rg-monitoring")
    assert azure.requests.count == 2


def test_test_notification_reports_each_receiver(azure: Azure) -> None:
    group = azure.put_action_group(oncall())
    tested, result = azure.test_notification(group.id)
    assert tested == group
    assert result.state
    assert [r.name for r in result.receivers] == ["oncall"]


def test_a_rate_limited_test_notification_is_neither_retried_nor_waited_for(
    world: Emulator,
) -> None:
    # A retry would notify everyone twice; waiting out Retry-After (300 s) would look like a
    # hang (docs/azure-behaviour.md#test-notifications). The fake clock shows any wait.
    world.control.add_fault(
        method="POST", path="createNotifications", status=429, count=1, retry_after=300
    )
    clock = FakeClock()
    with Azure(AzureSettings.from_env(world.env()), clock=clock) as azure:
        group = azure.put_action_group(oncall())
        world.control.clear_requests()
        with pytest.raises(TestNotificationLimit) as refused:
            azure.test_notification(group.id)
    assert (refused.value.status, clock.waited) == (429, 0.0)
    posts = [r["status"] for r in world.control.requests() if r["method"] == "POST"]
    assert posts == [429]
