"""The route table: method + anchored, case-insensitive path regex → handler (and its rules)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from provisioner.emulator import auth, control, responses
from provisioner.emulator.api_versions import (
    ACTION_GROUP_VERSIONS,
    ALERT_VERSIONS,
    COMPUTE_VERSIONS,
    PROTECTED_ITEM_VERSIONS,
    RESOURCE_GROUP_VERSIONS,
    RULE_VERSIONS,
    SUBSCRIPTION_VERSIONS,
    VAULT_VERSIONS,
)
from provisioner.emulator.wire import Call, Reply

Handler = Callable[[Call], Reply]

SUB = r"/subscriptions/(?P<subscription>[^/]+)"
RG = SUB + r"/resourceGroups/(?P<resource_group>[^/]+)"
AG_TYPE = r"/providers/Microsoft\.Insights/actionGroups"
RULE_TYPE = r"/providers/Microsoft\.AlertsManagement/actionRules"
VAULT_TYPE = r"/providers/Microsoft\.RecoveryServices/vaults"
ALERT_TYPE = r"/providers/Microsoft\.AlertsManagement/alerts"
VM_TYPE = r"/providers/Microsoft\.Compute/virtualMachines"
NAME = r"/(?P<name>[^/]+)"
TENANT = r"/(?P<tenant>[^/]+)"

# Resource types the emulator models, per namespace (for loud errors on everything else), and
# real types of those namespaces it does not model (501, not "invalid type").
MODELLED = {
    "microsoft.insights": ("actiongroups",),
    "microsoft.alertsmanagement": ("actionrules", "alerts", "alertssummary", "alertsmetadata"),
    "microsoft.recoveryservices": ("vaults",),
    "microsoft.compute": ("virtualmachines",),
}


@dataclass(frozen=True)
class Route:
    """One route. `api_versions` None: no api-version check; `arm`: bearer, throttle, ARM headers."""

    name: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    api_versions: tuple[str, ...] | None = None
    arm: bool = True


def route(
    name: str,
    method: str,
    path: str,
    handler: Handler,
    versions: tuple[str, ...] | None = None,
    *,
    arm: bool = True,
) -> Route:
    """A route whose pattern is anchored and case-insensitive, as ARM matches paths."""
    return Route(name, method, re.compile(f"^{path}$", re.IGNORECASE), handler, versions, arm)


def item_routes(
    name: str, item: str, versions: tuple[str, ...], handlers: tuple[tuple[str, Handler], ...]
) -> tuple[Route, ...]:
    """One route per method on one resource's path, named as ARM's operation ids ("vaults.get")."""
    return tuple(
        route(f"{name}.{method.lower()}", method, item, handler, versions)
        for method, handler in handlers
    )


def list_routes(
    name: str, type_path: str, versions: tuple[str, ...], handler: Handler
) -> tuple[Route, ...]:
    """List by resource group and by subscription: every modelled type has both."""
    return (
        route(f"{name}.listByResourceGroup", "GET", RG + type_path, handler, versions),
        route(f"{name}.listBySubscription", "GET", SUB + type_path, handler, versions),
    )


AG_ITEM = RG + AG_TYPE + NAME
VAULT_ITEM = RG + VAULT_TYPE + NAME
ALERT_ITEM = SUB + ALERT_TYPE + r"/(?P<alert>[^/]+)"
VM_ITEM = RG + VM_TYPE + NAME

ARM_ROUTES: tuple[Route, ...] = (
    route(
        "subscriptions.list",
        "GET",
        r"/subscriptions",
        responses.list_subscriptions,
        SUBSCRIPTION_VERSIONS,
    ),
    route("subscriptions.get", "GET", SUB, responses.get_subscription, SUBSCRIPTION_VERSIONS),
    route(
        "resourceGroups.list",
        "GET",
        SUB + r"/resourceGroups",
        responses.list_resource_groups,
        RESOURCE_GROUP_VERSIONS,
    ),
    route("resourceGroups.get", "GET", RG, responses.get_resource_group, RESOURCE_GROUP_VERSIONS),
    route(
        "resources.list",
        "GET",
        SUB + r"/resources",
        responses.list_resources,
        RESOURCE_GROUP_VERSIONS,
    ),
    route(
        "resources.listByResourceGroup",
        "GET",
        RG + r"/resources",
        responses.list_resources,
        RESOURCE_GROUP_VERSIONS,
    ),
    route(
        "providers.get",
        "GET",
        SUB + r"/providers/(?P<namespace>[^/]+)",
        responses.get_provider,
        RESOURCE_GROUP_VERSIONS,
    ),
    *item_routes(
        "actionGroups",
        AG_ITEM,
        ACTION_GROUP_VERSIONS,
        (
            ("PUT", responses.put_action_group),
            ("GET", responses.get_action_group),
            ("PATCH", responses.patch_action_group),
            ("DELETE", responses.delete_action_group),
        ),
    ),
    *list_routes("actionGroups", AG_TYPE, ACTION_GROUP_VERSIONS, responses.list_action_groups),
    route(
        "actionGroups.createNotifications",
        "POST",
        AG_ITEM + r"/createNotifications",
        responses.create_notifications,
        ACTION_GROUP_VERSIONS,
    ),
    route(
        "actionGroups.notificationStatus",
        "GET",
        AG_ITEM + r"/notificationStatus/(?P<notification>[^/]+)",
        responses.get_notification_status,
        ACTION_GROUP_VERSIONS,
    ),
    route(
        "actionGroups.subscribe",
        "POST",
        AG_ITEM + r"/subscribe",
        responses.subscribe_receiver,
        ACTION_GROUP_VERSIONS,
    ),
    *item_routes(
        "actionRules",
        RG + RULE_TYPE + NAME,
        RULE_VERSIONS,
        (
            ("PUT", responses.put_rule),
            ("GET", responses.get_rule),
            ("PATCH", responses.patch_rule),
            ("DELETE", responses.delete_rule),
        ),
    ),
    *list_routes("actionRules", RULE_TYPE, RULE_VERSIONS, responses.list_rules),
    # No DELETE: alertsync never deletes vaults, so the emulator does not model it.
    *item_routes(
        "vaults",
        VAULT_ITEM,
        VAULT_VERSIONS,
        (
            ("GET", responses.get_vault),
            ("PUT", responses.put_vault),
            ("PATCH", responses.patch_vault),
        ),
    ),
    route(
        "vaults.operationStatus",
        "GET",
        VAULT_ITEM + r"/operationStatus/(?P<operation>[^/]+)",
        responses.get_vault_operation_status,
        VAULT_VERSIONS,
    ),
    route(
        "vaults.operationResults",
        "GET",
        VAULT_ITEM + r"/operationResults/(?P<operation>[^/]+)",
        responses.get_vault_operation_result,
        VAULT_VERSIONS,
    ),
    *list_routes("vaults", VAULT_TYPE, VAULT_VERSIONS, responses.list_vaults),
    route(
        "backupProtectedItems.list",
        "GET",
        VAULT_ITEM + r"/backupProtectedItems",
        responses.list_protected_items,
        PROTECTED_ITEM_VERSIONS,
    ),
    route("alerts.getAll", "GET", SUB + ALERT_TYPE, responses.list_alerts, ALERT_VERSIONS),
    route("alerts.getById", "GET", ALERT_ITEM, responses.get_alert, ALERT_VERSIONS),
    route(
        "alerts.getHistory",
        "GET",
        ALERT_ITEM + r"/history",
        responses.get_alert_history,
        ALERT_VERSIONS,
    ),
    route(
        "alerts.changeState",
        "POST",
        ALERT_ITEM + r"/changestate",
        responses.change_alert_state,
        ALERT_VERSIONS,
    ),
    route("virtualMachines.get", "GET", VM_ITEM, responses.get_vm, COMPUTE_VERSIONS),
    route(
        "virtualMachines.instanceView",
        "GET",
        VM_ITEM + r"/instanceView",
        responses.get_vm_instance_view,
        COMPUTE_VERSIONS,
    ),
    *list_routes("virtualMachines", VM_TYPE, COMPUTE_VERSIONS, responses.list_vms),
    route(
        "metadata.endpoints", "GET", r"/metadata/endpoints", responses.metadata_endpoints, arm=False
    ),
    route(
        "auth.instanceDiscovery",
        "GET",
        r"/common/discovery/instance",
        auth.instance_discovery,
        arm=False,
    ),
    route(
        "auth.openidConfiguration",
        "GET",
        TENANT + r"/v2\.0/\.well-known/openid-configuration",
        auth.openid_configuration,
        arm=False,
    ),
    route(
        "auth.adfsOpenidConfiguration",
        "GET",
        r"/adfs/\.well-known/openid-configuration",
        auth.openid_configuration,
        arm=False,
    ),
    route("auth.token", "POST", TENANT + r"/oauth2/v2\.0/token", auth.token, arm=False),
)

CONTROL_ROUTES: tuple[Route, ...] = tuple(
    route(f"control.{name}", method, f"/_emulator/{path}", handler, arm=False)
    for name, method, path, handler in (
        ("reset", "POST", "reset", control.handle_reset),
        ("seed", "POST", "seed", control.handle_seed),
        ("addFault", "POST", "faults", control.handle_add_fault),
        ("listFaults", "GET", "faults", control.handle_list_faults),
        ("clearFaults", "DELETE", "faults", control.handle_clear_faults),
        ("requests", "GET", "requests", control.handle_requests),
        ("clearRequests", "DELETE", "requests", control.handle_clear_requests),
        ("counters", "GET", "counters", control.handle_counters),
        ("latency", "PUT", "latency", control.handle_latency),
        ("settings", "PUT", "settings", control.handle_settings),
        ("throttling", "PUT", "throttling", control.handle_throttling),
        ("receiverStatus", "POST", "receivers/status", control.handle_receiver_status),
        (
            "notificationFailures",
            "PUT",
            "notifications/failures",
            control.handle_notification_failures,
        ),
        ("fireAlert", "POST", "alerts", control.handle_fire_alert),
        ("notifications", "GET", "notifications", control.handle_notifications),
        ("clearNotifications", "DELETE", "notifications", control.handle_clear_notifications),
        ("agents", "PUT", "agents", control.handle_agent),
        ("state", "GET", "state", control.handle_state),
        ("health", "GET", "health", control.handle_health),
    )
)


def match(
    routes: tuple[Route, ...], method: str, path: str
) -> tuple[Route | None, dict[str, str], list[str]]:
    """(route, path parameters, methods the path allows) for a request; route None if no match."""
    allowed: list[str] = []
    for candidate in routes:
        found = candidate.pattern.match(path)
        if found is None:
            continue
        if candidate.method == method:
            return candidate, {k: v for k, v in found.groupdict().items() if v is not None}, allowed
        allowed.append(candidate.method)
    return None, {}, allowed


PROVIDER_PATH = re.compile(
    r"^/subscriptions/[^/]+(?:/resourceGroups/[^/]+)?/providers/(?P<ns>[^/]+)(?:/(?P<type>[^/]+))?",
    re.IGNORECASE,
)
