"""The Azure facade: every call alertsync makes to Azure, one method per operation and kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from azure.core.credentials import TokenCredential

from provisioner import kinds
from provisioner.azure.arm_lists import list_json, list_path
from provisioner.azure.clients import ClientCache, SdkClients
from provisioner.azure.errors import (
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
from provisioner.azure.kinds import SDK_KINDS, SdkKind
from provisioner.azure.mappings import action_groups, sdk_id
from provisioner.azure.mappings.action_groups import NotificationResult
from provisioner.azure.mappings.arm_json import ArmShapeError
from provisioner.azure.pacing import Clock
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import (
    ActionGroup,
    AlertProcessingRule,
    Listed,
    Resource,
    VaultAlertSettings,
)

# Callers catch these where they import Azure; they are defined with the other errors.
__all__ = [
    "Azure",
    "ResourceGroupNotFound",
    "ResourceNotFound",
    "SubscriptionNotFound",
    "TestNotificationLimit",
]

T = TypeVar("T")
R = TypeVar("R", bound=Resource)


class Azure:
    """Every call alertsync makes to Azure, with SDK errors wrapped once into AzureError.

    Clients are built per subscription on first use and cached; all methods are thread-safe.
    """

    def __init__(
        self,
        settings: AzureSettings | None = None,
        credential: TokenCredential | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`clock` paces requests and times their waits (tests pass a fake one)."""
        self.settings = settings or AzureSettings.from_env()
        self.clients = ClientCache(self.settings, credential, clock)
        self.requests = self.clients.requests

    def interrupt(self) -> None:
        """Writes waiting for a token of ARM's buckets are never sent (apply was interrupted)."""
        self.clients.throttle.interrupt()

    def _clients_for(self, subscription: str) -> SdkClients:
        return self.clients.for_subscription(subscription)

    def sign_in_early(self) -> None:
        """Sign in on a background thread while the caller prepares its first request; a
        failure is reported by that request, as without this."""
        self.clients.sign_in_early()

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
        return calling(action, role, self.settings, fn, self.clients.pacer.clock)

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

    # --- any kind (provisioner.azure.kinds says how) ---

    def list_resources(self, kind: Kind, scope: ResourceId) -> list[Listed]:
        """Every resource of `kind` in a resource group, or in a whole subscription when `scope`
        is one, each with the parts the model cannot carry (pages followed)."""
        sdk = SDK_KINDS[kind]
        clients = self._clients_for(scope.subscription)
        action = f"listing {kind.plural} in {scope.describe()}"
        with _readable(action, sdk):
            found = self._list(kind.plural, scope, self._lister(sdk, clients, scope))
            return [_listed(sdk, r) for r in found]

    def _lister(
        self, sdk: SdkKind, clients: SdkClients, scope: ResourceId
    ) -> Callable[[], Iterable[Any]]:
        """The list of `sdk`'s kind in `scope`: JSON pages, or the SDK's typed list."""
        if sdk.list_as_json is not None:
            client, version = sdk.list_as_json.client(clients), sdk.list_as_json.api_version
            path, endpoint = list_path(scope, sdk.kind.arm_type), self.settings.arm_endpoint
            return lambda: list_json(client, path, version, endpoint)
        ops = sdk.operations(clients)
        if scope.resource_group is not None:
            rg = scope.resource_group
            return lambda: ops.list_by_resource_group(rg)
        list_all: Callable[[], Iterable[Any]] = getattr(ops, sdk.list_in_subscription)
        return list_all

    def list_tagged(self, scope: ResourceId, name: str, value: str) -> list[ResourceId]:
        """The IDs of every resource in the subscription (or resource group) `scope` tagged
        `name: value`, of any type: one Resources - List with a tag filter, pages followed.

        Azure returns no tags with a tag filter and takes no type filter beside one
        (docs/azure-behaviour.md#resources--list-tags-and-provider-metadata): callers read what
        they need with their own lists and pick the types they know.
        """
        ops = self._clients_for(scope.subscription).resources.resources
        condition = f"tagName eq {_odata_text(name)} and tagValue eq {_odata_text(value)}"
        if scope.resource_group is not None:
            rg = scope.resource_group
            found = self._list(
                f"resources tagged {name}={value}",
                scope,
                lambda: ops.list_by_resource_group(rg, filter=condition),
            )
        else:
            found = self._list(
                f"resources tagged {name}={value}", scope, lambda: ops.list(filter=condition)
            )
        return [sdk_id(r.id, "a resource") for r in found]

    def put(self, resource: R) -> R:
        """Create, replace or (vault settings) patch the resource; returns it as Azure stored it."""
        sdk = SDK_KINDS[resource.KIND]
        rid = resource.id
        ops = sdk.operations(self._clients_for(rid.subscription))
        rg, name, body = _rg(rid), rid.name, sdk.to_arm(resource)
        action = f"{sdk.write_action} {rid.describe()}"
        stored = self._call(action, sdk.write_role, lambda: sdk.write(ops, rg, name, body))
        with _readable(action, sdk):
            result: R = sdk.from_arm(stored)
        return result

    def delete(self, kind: Kind, resource_id: ResourceId) -> None:
        """Delete; deleting what does not exist is not an error (ARM answers 204)."""
        ops = SDK_KINDS[kind].operations(self._clients_for(resource_id.subscription))
        rg, name = _rg(resource_id), resource_id.name
        action = f"deleting {resource_id.describe()}"
        self._call(action, MONITORING_ROLE, lambda: ops.delete(rg, name))

    # --- action groups ---

    def list_action_groups(self, subscription: str, resource_group: str) -> list[ActionGroup]:
        """Every action group in the resource group (one request: the list has no paging)."""
        return [g for g, _ in self.list_action_groups_detailed(subscription, resource_group)]

    def list_action_groups_detailed(
        self, subscription: str, resource_group: str
    ) -> list[tuple[ActionGroup, tuple[str, ...]]]:
        """Each group with the receivers alertsync cannot represent (`voiceReceivers[ops]`)."""
        group = ResourceId(subscription.lower(), resource_group)
        return _narrowed(ActionGroup, self.list_resources(kinds.ACTION_GROUP, group))

    def list_action_groups_in_subscription(
        self, subscription: str
    ) -> list[tuple[ActionGroup, tuple[str, ...]]]:
        """Every action group of the subscription, each with its unsupported receivers."""
        return _narrowed(ActionGroup, self.list_resources(kinds.ACTION_GROUP, _sub(subscription)))

    def put_action_group(self, group: ActionGroup) -> ActionGroup:
        """Create or replace the group; returns it as Azure stored it."""
        return self.put(group)

    def delete_action_group(self, group_id: ResourceId) -> None:
        """Delete the group; deleting one that does not exist is not an error (ARM: 204)."""
        self.delete(kinds.ACTION_GROUP, group_id)

    def test_notification(
        self, group_id: ResourceId, alert_type: str = "servicehealth"
    ) -> tuple[ActionGroup, NotificationResult]:
        """Send a test notification to every receiver of the live group and wait for results.

        Returns the group as it was tested with the result; a missing group raises
        ResourceNotFound. Azure allows 2 tests per group and 5 per subscription every 5 minutes
        (docs/azure-behaviour.md#test-notifications).
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
        found = self.list_resources(kinds.PROCESSING_RULE, group)
        return [r for r, _ in _narrowed(AlertProcessingRule, found)]

    def list_processing_rules_in_subscription(self, subscription: str) -> list[AlertProcessingRule]:
        """Every alert processing rule of the subscription (pages followed)."""
        found = self.list_resources(kinds.PROCESSING_RULE, _sub(subscription))
        return [r for r, _ in _narrowed(AlertProcessingRule, found)]

    def put_processing_rule(self, rule: AlertProcessingRule) -> AlertProcessingRule:
        """Create or replace the rule; returns it as Azure stored it."""
        return self.put(rule)

    def delete_processing_rule(self, rule_id: ResourceId) -> None:
        """Delete the rule; deleting one that does not exist is not an error (ARM: 204)."""
        self.delete(kinds.PROCESSING_RULE, rule_id)

    # --- vaults ---

    def list_vaults(self, subscription: str, resource_group: str) -> list[VaultAlertSettings]:
        """The alert settings of every vault in the resource group (pages followed)."""
        group = ResourceId(subscription.lower(), resource_group)
        found = self.list_resources(kinds.VAULT, group)
        return [v for v, _ in _narrowed(VaultAlertSettings, found)]

    def list_vaults_in_subscription(self, subscription: str) -> list[VaultAlertSettings]:
        """The alert settings of every vault of the subscription (pages followed)."""
        found = self.list_resources(kinds.VAULT, _sub(subscription))
        return [v for v, _ in _narrowed(VaultAlertSettings, found)]

    def patch_vault(self, settings: VaultAlertSettings) -> VaultAlertSettings:
        """Merge the managed settings into the vault (a LRO in api 2026-11-01); returns the result."""
        return self.put(settings)


@contextmanager
def _readable(action: str, sdk: SdkKind) -> Iterator[None]:
    """Azure's answer in a shape alertsync cannot read becomes one error naming it (the
    mappings raise ValueError, ArmShapeError among them), never a traceback."""
    try:
        yield
    except ValueError as error:
        version = f" of api-version {sdk.list_as_json.api_version}" if sdk.list_as_json else ""
        raise AzureError(
            f"{action}: Azure answered outside the documented shape{version} ({error}); if a "
            "proxy or gateway sits between alertsync and Azure Resource Manager, check what it "
            "returns, else report this with the output of `--debug`"
        ) from None


def _odata_text(value: str) -> str:
    """An OData string literal: quoted, a quote inside doubled."""
    return "'" + value.replace("'", "''") + "'"


def _listed(sdk: SdkKind, item: Any) -> Listed:
    """One listed resource as the model, and the parts of it the model cannot carry."""
    try:
        return sdk.from_arm(item), sdk.unsupported(item)
    except ValueError as error:
        raise ArmShapeError(f"{_named(item)}: {error}") from None


def _named(item: Any) -> str:
    """A listed item for a message: its ID when it has one."""
    rid = item.get("id") if isinstance(item, Mapping) else getattr(item, "id", None)
    return rid if isinstance(rid, str) and rid else "an item"


def _rg(resource_id: ResourceId) -> str:
    if resource_id.resource_group is None:
        raise ValueError(f"{resource_id} is not inside a resource group")
    return resource_id.resource_group


def _sub(subscription: str) -> ResourceId:
    return ResourceId(subscription.lower())


def _narrowed(model: type[R], found: list[Listed]) -> list[tuple[R, tuple[str, ...]]]:
    """A list of one kind, typed as that kind's model class."""
    return [(r, extra) for r, extra in found if isinstance(r, model)]
