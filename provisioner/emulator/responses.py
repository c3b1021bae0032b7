"""Thin ARM handlers: read the call, ask a backend, shape the reply (status, body, headers)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import quote

from provisioner.emulator import (
    action_groups,
    alerts,
    processing_rules,
    protected_items,
    resource_list,
    vaults,
    virtual_machines,
)
from provisioner.emulator.exceptions import BadRequest, NotFound
from provisioner.emulator.models import (
    JsonObject,
    World,
    utc_now,
)
from provisioner.emulator.resource_types import (
    ResourceType,
    delete,
    list_of_type,
    stored,
)
from provisioner.emulator.wire import Call, Reply

Handler = Callable[[Call], Reply]


def _where(call: Call) -> tuple[str, str, str]:
    """(subscription, resource group, name) from the path."""
    return call.params["subscription"], call.params["resource_group"], call.params["name"]


def paged(call: Call, items: list[JsonObject], size: int | None = None) -> Reply:
    """One page of `items` (`size` each, else the page-size setting) with an absolute nextLink
    on our host. It repeats the request's query parameters, so filters hold on every page
    whether a client follows it as given or re-adds its api-version."""
    size = max(1, size or call.state.settings.page_size)
    token = call.request.args.get("ctoken", "0")
    if not token.isdigit():
        raise BadRequest(
            f"The continuation token '{token}' is invalid.", code="InvalidContinuationToken"
        )
    start = int(token)
    body: JsonObject = {"value": items[start : start + size]}
    if start + size < len(items):
        kept = "".join(
            f"&{quote(name, safe='$')}={quote(value, safe='')}"
            for name, value in call.request.args.items(multi=True)
            if name not in ("api-version", "ctoken")
        )
        body["nextLink"] = (
            f"{call.absolute(call.path, call.api_version)}{kept}&ctoken={start + size}"
        )
    return Reply(200, body)


def one_page(_call: Call, items: list[JsonObject]) -> Reply:
    """All of `items` in one page without nextLink: action groups (spec AG declares no
    nextLink, and azure-mgmt-monitor ignores one)."""
    return Reply(200, {"value": items})


# ---- GET, DELETE and list: the same for every resource type ------------------------------


def getter(rtype: ResourceType) -> Handler:
    """GET one resource: 200 and its body, or ARM's 404s."""

    def get_one(call: Call) -> Reply:
        with call.state.world.lock:
            return Reply(200, stored(call.state.world, rtype, *_where(call)).body)

    return get_one


def deleter(rtype: ResourceType) -> Handler:
    """DELETE: 200 deleted, 204 absent."""

    def delete_one(call: Call) -> Reply:
        with call.state.world.lock:
            return Reply(delete(call.state.world, rtype, *_where(call)))

    return delete_one


def lister(rtype: ResourceType, page: Callable[[Call, list[JsonObject]], Reply]) -> Handler:
    """List by resource group or subscription, paged by `page`."""

    def list_all(call: Call) -> Reply:
        with call.state.world.lock:
            items = list_of_type(
                call.state.world,
                rtype,
                call.params["subscription"],
                call.params.get("resource_group"),
            )
        return page(call, items)

    return list_all


# ---- subscriptions and resource groups (as the seed declares them) ------------------------


def list_subscriptions(call: Call) -> Reply:
    """GET /subscriptions (az login lists them, az CLI 2.91)."""
    with call.state.world.lock:
        value = [sub.as_arm() for sub in call.state.world.subscriptions.values()]
    return Reply(200, {"value": value, "count": {"type": "Total", "value": len(value)}})


def get_subscription(call: Call) -> Reply:
    """GET /subscriptions/{id}."""
    with call.state.world.lock:
        return Reply(200, call.state.world.subscription(call.params["subscription"]).as_arm())


def _group_body(subscription: str, name: str, location: str) -> JsonObject:
    return {
        "id": f"/subscriptions/{subscription}/resourceGroups/{name}",
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "properties": {"provisioningState": "Succeeded"},
        "tags": {},
    }


def list_resource_groups(call: Call) -> Reply:
    """GET /subscriptions/{id}/resourcegroups."""
    subscription = call.params["subscription"]
    with call.state.world.lock:
        sub = call.state.world.subscription(subscription)
        groups = [
            _group_body(sub.subscription_id, g.name, g.location)
            for g in sub.resource_groups.values()
        ]
    return paged(call, groups)


def get_resource_group(call: Call) -> Reply:
    """GET /subscriptions/{id}/resourcegroups/{name}; 404 ResourceGroupNotFound when absent."""
    subscription = call.params["subscription"]
    with call.state.world.lock:
        group = call.state.world.resource_group(subscription, call.params["resource_group"])
        sub = call.state.world.subscription(subscription)
        return Reply(200, _group_body(sub.subscription_id, group.name, group.location))


# ---- action groups ------------------------------------------------------------------------


def put_action_group(call: Call) -> Reply:
    """PUT: 201 created / 200 updated (spec AG)."""
    body = call.json_body()
    with call.state.world.lock:
        status, result = action_groups.put(call.state.world, *_where(call), body)
    return Reply(status, result)


get_action_group = getter(action_groups.TYPE)
delete_action_group = deleter(action_groups.TYPE)
list_action_groups = lister(action_groups.TYPE, one_page)


def patch_action_group(call: Call) -> Reply:
    """PATCH tags / properties.enabled."""
    body = call.json_body()
    with call.state.world.lock:
        return Reply(200, action_groups.patch(call.state.world, *_where(call), body))


def create_notifications(call: Call) -> Reply:
    """POST createNotifications: LRO, 202 + Location to notificationStatus, done at first poll."""
    body = call.json_body()
    with call.state.lock:
        failures = dict(call.state.notification_failures)
    with call.state.world.lock:
        notification_id = action_groups.create_notification(
            call.state.world, *_where(call), body, failures=failures
        )
    group_path = call.path.rsplit("/", 1)[0]
    location = call.absolute(f"{group_path}/notificationStatus/{notification_id}", call.api_version)
    return Reply(
        202, None, {"Location": location, "Retry-After": str(call.state.settings.lro_retry_after)}
    )


def get_notification_status(call: Call) -> Reply:
    """GET notificationStatus/{id}: the TestNotificationDetailsResponse."""
    with call.state.world.lock:
        return Reply(
            200,
            action_groups.notification_status(
                call.state.world, *_where(call), call.params["notification"]
            ),
        )


def subscribe_receiver(call: Call) -> Reply:
    """POST subscribe (EnableRequest): 200, 409 already enabled, 404 unknown receiver."""
    body = call.json_body()
    with call.state.world.lock:
        action_groups.enable_receiver(call.state.world, *_where(call), body)
    return Reply(200)


# ---- alert processing rules ---------------------------------------------------------------


def put_rule(call: Call) -> Reply:
    """PUT: 201 created / 200 updated (spec APR 2021-08-08)."""
    body = call.json_body()
    with call.state.world.lock:
        status, result = processing_rules.put(
            call.state.world, *_where(call), body, caller=call.caller
        )
    return Reply(status, result)


get_rule = getter(processing_rules.TYPE)
delete_rule = deleter(processing_rules.TYPE)
list_rules = lister(processing_rules.TYPE, paged)


def patch_rule(call: Call) -> Reply:
    """PATCH tags / properties.enabled."""
    body = call.json_body()
    with call.state.world.lock:
        return Reply(
            200, processing_rules.patch(call.state.world, *_where(call), body, caller=call.caller)
        )


# ---- Recovery Services vaults -------------------------------------------------------------


get_vault = getter(vaults.TYPE)
list_vaults = lister(vaults.TYPE, paged)  # the RSV SDK re-parses nextLink


def put_vault(call: Call) -> Reply:
    """PUT (for completeness; alertsync never creates vaults): synchronous 200/201, Succeeded."""
    body = call.json_body()
    with call.state.world.lock:
        status, result = vaults.put(call.state.world, *_where(call), body)
    return Reply(status, result)


def patch_vault(call: Call) -> Reply:
    """PATCH: 202 + Azure-AsyncOperation + Location + Retry-After (spec RSV 2026-11-01), or 200 when switched."""
    body = call.json_body()
    with call.state.world.lock:
        result = vaults.patch(call.state.world, *_where(call), body)
        if not call.state.settings.vault_patch_async:
            return Reply(200, result)
        operation_id = _record_operation(call.state.world)
    return Reply(202, None, _async_headers(call, operation_id))


def _record_operation(world: World) -> str:
    """A finished async operation: the work is done before the 202 leaves (first poll completes)."""
    operation_id = str(uuid.uuid4())
    now = utc_now()
    world.add_operation(
        operation_id,
        {
            "id": operation_id,
            "name": operation_id,
            "status": "Succeeded",
            "startTime": now,
            "endTime": now,
        },
    )
    return operation_id


def _async_headers(call: Call, operation_id: str) -> dict[str, str]:
    """LRO headers as the PATCHVault example shows, absolute on our host, Retry-After ≥ 1."""
    return {
        "Azure-AsyncOperation": call.absolute(
            f"{call.path}/operationStatus/{operation_id}", call.api_version
        ),
        "Location": call.absolute(f"{call.path}/operationResults/{operation_id}", call.api_version),
        "Retry-After": str(call.state.settings.lro_retry_after),
    }


def get_vault_operation_status(call: Call) -> Reply:
    """GET .../operationStatus/{id}: {status: Succeeded} (Azure-AsyncOperation polling)."""
    with call.state.world.lock:
        stored(call.state.world, vaults.TYPE, *_where(call))
        return Reply(200, _operation(call))


def get_vault_operation_result(call: Call) -> Reply:
    """GET .../operationResults/{id}: the vault as it is now (Location polling final state)."""
    with call.state.world.lock:
        _operation(call)
        return Reply(200, stored(call.state.world, vaults.TYPE, *_where(call)).body)


def _operation(call: Call) -> JsonObject:
    found = call.state.world.operations.get(call.params["operation"])
    if found is None:
        raise NotFound(
            f"The operation '{call.params['operation']}' was not found.", code="OperationNotFound"
        )
    return found


# ---- cloud metadata (az cloud register with endpoint discovery, az CLI 2.91) -------------


def metadata_endpoints(call: Call) -> Reply:
    """GET /metadata/endpoints: a custom cloud whose ARM and login endpoints are the emulator."""
    url = call.state.url
    return Reply(
        200,
        {
            "name": "AlertsyncEmulator",
            "resourceManager": f"{url}/",
            "authentication": {
                "loginEndpoint": url,
                "audiences": [f"{url}/", "https://management.azure.com/"],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "suffixes": {},
        },
    )


# ---- Resources - List and provider metadata (azure-mgmt-resource, az resource) ------------------


def list_resources(call: Call) -> Reply:
    """GET .../resources: every modelled resource, filtered; $top is the page size."""
    with call.state.world.lock:
        items, size = resource_list.listed(
            call.state.world,
            call.params["subscription"],
            call.params.get("resource_group"),
            call.request.args,
        )
    return paged(call, items, size)


def get_provider(call: Call) -> Reply:
    """GET /subscriptions/{s}/providers/{namespace}: types, locations, api-versions."""
    with call.state.world.lock:
        return Reply(
            200,
            resource_list.provider(
                call.state.world, call.params["subscription"], call.params["namespace"]
            ),
        )


# ---- fired alerts (azure-mgmt-alertsmanagement 1.0.1) ---------------------------------------


def list_alerts(call: Call) -> Reply:
    """Alerts_GetAll: filtered, sorted, paged by pageCount (25 by default)."""
    with call.state.world.lock:
        items, size = alerts.list_alerts(
            call.state.world, call.params["subscription"], call.request.args, alerts.now()
        )
    return paged(call, items, size)


def get_alert(call: Call) -> Reply:
    """Alerts_GetById (with its context, as a single alert carries it)."""
    with call.state.world.lock:
        record = alerts.record_of(
            call.state.world, call.params["subscription"], call.params["alert"], alerts.now()
        )
        return Reply(200, alerts.shown(record, context=True))


def get_alert_history(call: Call) -> Reply:
    """Alerts_GetHistory."""
    with call.state.world.lock:
        return Reply(
            200,
            alerts.history(
                call.state.world, call.params["subscription"], call.params["alert"], alerts.now()
            ),
        )


def change_alert_state(call: Call) -> Reply:
    """Alerts_ChangeState: POST .../changestate?newState=…, optional {"comments"} body."""
    body = call.json_body()
    new_state = call.request.args.get("newState")
    if new_state is None:
        raise BadRequest("The query parameter 'newState' is required.")
    with call.state.world.lock:
        return Reply(
            200,
            alerts.change_state(
                call.state.world,
                call.params["subscription"],
                call.params["alert"],
                new_state,
                comment=body,
                caller=call.caller,
            ),
        )


# ---- virtual machines and protected items (azure-mgmt-compute, -recoveryservicesbackup) ------


def get_vm(call: Call) -> Reply:
    """GET a VM; $expand=instanceView adds its instance view."""
    with call.state.world.lock:
        return Reply(
            200,
            virtual_machines.get(call.state.world, *_where(call), call.request.args.get("$expand")),
        )


def get_vm_instance_view(call: Call) -> Reply:
    """GET .../instanceView: power state and guest agent."""
    with call.state.world.lock:
        return Reply(200, virtual_machines.view_of(call.state.world, *_where(call)))


def list_vms(call: Call) -> Reply:
    """List VMs by resource group or subscription (nextLink followed as given)."""
    with call.state.world.lock:
        items = virtual_machines.listed(
            call.state.world,
            call.params["subscription"],
            call.params.get("resource_group"),
            call.request.args,
        )
    return paged(call, items)


def list_protected_items(call: Call) -> Reply:
    """BackupProtectedItems_List of a vault, $filter as the official example sends it."""
    with call.state.world.lock:
        items = protected_items.listed(
            call.state.world, *_where(call), call.request.args.get("$filter")
        )
    return paged(call, items)
