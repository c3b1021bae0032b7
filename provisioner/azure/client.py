"""The Azure facade: every call alertsync makes to Azure, one method per operation and kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from azure.core.credentials import TokenCredential

from provisioner.azure.clients import ClientCache, SdkClients
from provisioner.azure.errors import (
    BACKUP_ROLE,
    MONITORING_ROLE,
    READER_ROLE,
    ResourceGroupNotFound,
    ResourceNotFound,
    SubscriptionNotFound,
    TestNotificationLimit,
    calling,
    limiting_test_notifications,
    not_found_code,
)
from provisioner.azure.mappings import action_groups, processing_rules, vaults
from provisioner.azure.mappings.action_groups import NotificationResult
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.model import ActionGroup, AlertProcessingRule, VaultAlertSettings

# Callers catch these where they import Azure; they are defined with the other errors.
__all__ = [
    "Azure",
    "ResourceGroupNotFound",
    "ResourceNotFound",
    "SubscriptionNotFound",
    "TestNotificationLimit",
]

T = TypeVar("T")


class Azure:
    """Every call alertsync makes to Azure, with SDK errors wrapped once into AzureError.

    Clients are built per subscription on first use and cached; all methods are thread-safe.
    """

    def __init__(
        self, settings: AzureSettings | None = None, credential: TokenCredential | None = None
    ) -> None:
        self.settings = settings or AzureSettings.from_env()
        self.clients = ClientCache(self.settings, credential)
        self.requests = self.clients.requests

    def interrupt(self) -> None:
        """Requests waiting out throttling stop waiting (apply was interrupted)."""
        self.clients.throttle.interrupt()

    def _clients_for(self, subscription: str) -> SdkClients:
        return self.clients.for_subscription(subscription)

    def close(self) -> None:
        """Close every SDK client (their HTTP sessions)."""
        self.clients.close()

    def __enter__(self) -> Azure:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the shapes of every call ---

    def _call(self, action: str, role: str, fn: Callable[[], T]) -> T:
        """Run one SDK call; any SDK error becomes one AzureError naming `action`."""
        return calling(action, role, self.settings, fn)

    def _list(self, kind: str, scope: ResourceId, fn: Callable[[], Iterable[T]]) -> list[T]:
        """A list under a resource group or over a whole subscription (`scope`).

        A missing resource group raises ResourceGroupNotFound, a missing subscription of a
        subscription-wide list SubscriptionNotFound; any other 404 is reported as it is.
        """
        action = f"listing {kind} in {scope.describe()}"
        try:
            return self._call(action, READER_ROLE, lambda: list(fn()))
        except AzureError as err:
            code = not_found_code(err)
            if scope.resource_group is not None and code in ("", "resourcegroupnotfound"):
                missing = f"{action}: {scope.describe()} does not exist"
                raise ResourceGroupNotFound(missing, scope) from err
            if scope.resource_group is None and code == "subscriptionnotfound":
                raise SubscriptionNotFound(
                    f"{action}: {scope.describe()} does not exist or is not visible to "
                    f"{self.settings.credential_label}",
                    status=err.status,
                    code=err.code,
                ) from err
            raise

    def _put(self, resource_id: ResourceId, operations: Any, body: object) -> Any:
        """create_or_update through `operations` (the SDK's operations object of the kind)."""
        rg, name = _rg(resource_id), resource_id.name
        return self._call(
            f"creating or updating {resource_id.describe()}",
            MONITORING_ROLE,
            lambda: operations.create_or_update(rg, name, body),
        )

    def _delete(self, resource_id: ResourceId, operations: Any) -> None:
        """Delete; deleting what does not exist is not an error (ARM answers 204)."""
        rg, name = _rg(resource_id), resource_id.name
        action = f"deleting {resource_id.describe()}"
        self._call(action, MONITORING_ROLE, lambda: operations.delete(rg, name))

    # --- action groups ---

    def list_action_groups(self, subscription: str, resource_group: str) -> list[ActionGroup]:
        """Every action group in the resource group (one request: the list has no paging)."""
        return [g for g, _ in self.list_action_groups_detailed(subscription, resource_group)]

    def list_action_groups_detailed(
        self, subscription: str, resource_group: str
    ) -> list[tuple[ActionGroup, tuple[str, ...]]]:
        """Each group with the receivers alertsync cannot represent (`voiceReceivers[ops]`)."""
        group = ResourceId(subscription.lower(), resource_group)
        ops = self._clients_for(subscription).monitor.action_groups
        found = self._list(
            "action groups", group, lambda: ops.list_by_resource_group(resource_group)
        )
        return [_with_unsupported_receivers(r) for r in found]

    def list_action_groups_in_subscription(
        self, subscription: str
    ) -> list[tuple[ActionGroup, tuple[str, ...]]]:
        """Every action group of the subscription, each with its unsupported receivers."""
        ops = self._clients_for(subscription).monitor.action_groups
        found = self._list("action groups", _sub(subscription), ops.list_by_subscription_id)
        return [_with_unsupported_receivers(r) for r in found]

    def put_action_group(self, group: ActionGroup) -> ActionGroup:
        """Create or replace the group; returns it as Azure stored it."""
        ops = self._clients_for(group.id.subscription).monitor.action_groups
        return action_groups.from_arm(self._put(group.id, ops, action_groups.to_arm(group)))

    def delete_action_group(self, group_id: ResourceId) -> None:
        """Delete the group; deleting one that does not exist is not an error (ARM: 204)."""
        self._delete(group_id, self._clients_for(group_id.subscription).monitor.action_groups)

    def test_notification(
        self, group_id: ResourceId, alert_type: str = "servicehealth"
    ) -> tuple[ActionGroup, NotificationResult]:
        """Send a test notification to every receiver of the live group and wait for results.

        Returns the group as it was tested with the result; a missing group raises
        ResourceNotFound. Azure allows 2 tests per group and 5 per subscription every 5 minutes
        (facts §2).
        """
        ops = self._clients_for(group_id.subscription).monitor.action_groups
        rg, name, action = _rg(group_id), group_id.name, f"testing {group_id.describe()}"
        try:
            live = self._call(action, MONITORING_ROLE, lambda: ops.get(rg, name))
        except AzureError as err:
            if not_found_code(err) in ("", "resourcenotfound", "resourcegroupnotfound"):
                raise ResourceNotFound(
                    f"{group_id.describe()} does not exist in Azure",
                    status=err.status,
                    code=err.code,
                ) from err
            raise
        body = action_groups.notification_request(live, alert_type)

        def send() -> Any:
            poller = limiting_test_notifications(
                action,
                lambda: ops.begin_create_notifications_at_action_group_resource_level(
                    rg, name, body
                ),
            )
            return poller.result()

        result = self._call(action, MONITORING_ROLE, send)
        return action_groups.from_arm(live), action_groups.notification_result_from_arm(result)

    # --- alert processing rules ---

    def list_processing_rules(
        self, subscription: str, resource_group: str
    ) -> list[AlertProcessingRule]:
        """Every alert processing rule in the resource group (pages followed)."""
        group = ResourceId(subscription.lower(), resource_group)
        ops = self._clients_for(subscription).rules.alert_processing_rules
        found = self._list(
            "alert processing rules", group, lambda: ops.list_by_resource_group(resource_group)
        )
        return [processing_rules.from_arm(r) for r in found]

    def list_processing_rules_in_subscription(self, subscription: str) -> list[AlertProcessingRule]:
        """Every alert processing rule of the subscription (pages followed)."""
        ops = self._clients_for(subscription).rules.alert_processing_rules
        found = self._list("alert processing rules", _sub(subscription), ops.list_by_subscription)
        return [processing_rules.from_arm(r) for r in found]

    def put_processing_rule(self, rule: AlertProcessingRule) -> AlertProcessingRule:
        """Create or replace the rule; returns it as Azure stored it."""
        ops = self._clients_for(rule.id.subscription).rules.alert_processing_rules
        return processing_rules.from_arm(self._put(rule.id, ops, processing_rules.to_arm(rule)))

    def delete_processing_rule(self, rule_id: ResourceId) -> None:
        """Delete the rule; deleting one that does not exist is not an error (ARM: 204)."""
        ops = self._clients_for(rule_id.subscription).rules.alert_processing_rules
        self._delete(rule_id, ops)

    # --- vaults ---

    def list_vaults(self, subscription: str, resource_group: str) -> list[VaultAlertSettings]:
        """The alert settings of every vault in the resource group (pages followed)."""
        group = ResourceId(subscription.lower(), resource_group)
        ops = self._clients_for(subscription).vaults.vaults
        found = self._list("vaults", group, lambda: ops.list_by_resource_group(resource_group))
        return [vaults.from_arm(v) for v in found]

    def list_vaults_in_subscription(self, subscription: str) -> list[VaultAlertSettings]:
        """The alert settings of every vault of the subscription (pages followed)."""
        ops = self._clients_for(subscription).vaults.vaults
        found = self._list("vaults", _sub(subscription), ops.list_by_subscription_id)
        return [vaults.from_arm(v) for v in found]

    def patch_vault(self, settings: VaultAlertSettings) -> VaultAlertSettings:
        """Merge the managed settings into the vault (a LRO in api 2026-11-01); returns the result."""
        ops = self._clients_for(settings.id.subscription).vaults.vaults
        rg, name, body = _rg(settings.id), settings.id.name, vaults.to_patch(settings)
        result = self._call(
            f"updating alert settings of {settings.id.describe()}",
            BACKUP_ROLE,
            lambda: ops.begin_update(rg, name, body).result(),
        )
        return vaults.from_arm(result)


def _rg(resource_id: ResourceId) -> str:
    if resource_id.resource_group is None:
        raise ValueError(f"{resource_id} is not inside a resource group")
    return resource_id.resource_group


def _sub(subscription: str) -> ResourceId:
    return ResourceId(subscription.lower())


def _with_unsupported_receivers(
    resource: Any,
) -> tuple[ActionGroup, tuple[str, ...]]:
    return action_groups.from_arm(resource), action_groups.unsupported_receivers(resource)
