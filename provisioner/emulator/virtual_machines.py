"""Backend for Microsoft.Compute/virtualMachines (api 2026-04-01): seeded VMs, read only.

What alertsync reads of a VM is its instance view: the power state and the guest agent's
status (docs/azure-behaviour.md#protected-items-virtual-machines-and-guest-agents). VMs come
from the seed; `PUT /_emulator/agents` stops or starts an agent as a drill would.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from typing import Any

from provisioner.emulator import odata
from provisioner.emulator.exceptions import BadRequest, NotFound
from provisioner.emulator.models import JsonObject, StoredResource, World, optional_tags, utc_now
from provisioner.emulator.resource_types import ResourceType, canonical_location, stored

RESPONSE_TYPE = "Microsoft.Compute/virtualMachines"
TYPE = ResourceType(RESPONSE_TYPE, id_provider=RESPONSE_TYPE)
KIND = TYPE.kind
POWER_STATES = ("running", "deallocated", "stopped")
AGENT_STATUSES = ("Ready", "Not Ready")
# The version the official instance-view example (VirtualMachine_Get_InstanceView.json) shows.
DEFAULT_AGENT_VERSION = "2.7.41491.949"
EXPANDS = ("instanceView", "userData", "resiliencyView")


def seed(
    world: World, subscription: str, resource_group: str, entry: Mapping[str, Any]
) -> StoredResource:
    """Store a VM from a seed entry {name, location, powerState?, agent?, tags?} (checked)."""
    name = str(entry["name"])
    agent = entry.get("agent") or {}
    found = StoredResource(
        KIND,
        subscription.lower(),
        resource_group.lower(),
        {
            "id": TYPE.resource_id(subscription, resource_group, name),
            "name": name,
            "type": RESPONSE_TYPE,
            "location": canonical_location(str(entry["location"])),
            "tags": optional_tags(dict(entry)),
            "properties": {
                "vmId": str(uuid.uuid4()),
                "provisioningState": "Succeeded",
                "timeCreated": utc_now(),
            },
        },
        {
            "powerState": power_state(entry.get("powerState", "running")),
            "agent": {
                "status": agent_status(agent.get("status", "Ready")),
                "version": str(agent.get("version") or DEFAULT_AGENT_VERSION),
                "since": utc_now(),
            },
        },
    )
    world.put(TYPE.key(subscription, resource_group, name), found)
    return found


def power_state(value: Any) -> str:
    """running, deallocated or stopped (any case)."""
    for state in POWER_STATES:
        if isinstance(value, str) and value.lower() == state:
            return state
    raise BadRequest(f"powerState must be one of {', '.join(POWER_STATES)}; got {value!r}.")


def agent_status(value: Any) -> str:
    """Ready or Not Ready (any case)."""
    for status in AGENT_STATUSES:
        if isinstance(value, str) and value.lower() == status.lower():
            return status
    raise BadRequest(f"the agent status must be 'Ready' or 'Not Ready'; got {value!r}.")


def instance_view(found: StoredResource) -> JsonObject:
    """VirtualMachineInstanceView: provisioning and power statuses, and the guest agent.

    A deallocated VM runs no agent, so its view has no vmAgent (assumed).
    """
    state = found.extra
    view: JsonObject = {
        "computerName": found.body["name"],
        "statuses": [
            {
                "code": "ProvisioningState/succeeded",
                "level": "Info",
                "displayStatus": "Provisioning succeeded",
                "time": found.body["properties"]["timeCreated"],
            },
            {
                "code": f"PowerState/{state['powerState']}",
                "level": "Info",
                "displayStatus": f"VM {state['powerState']}",
            },
        ],
    }
    if state["powerState"] != "deallocated":
        view["vmAgent"] = agent_view(state["agent"])
    return view


def agent_view(agent: Mapping[str, Any]) -> JsonObject:
    """VirtualMachineAgentInstanceView. A ready agent as the official example shows it; an
    unresponsive one as public instance views show it (version Unknown, Unavailable)."""
    if agent["status"] == "Ready":
        return {
            "vmAgentVersion": agent["version"],
            "statuses": [
                {
                    "code": "ProvisioningState/succeeded",
                    "level": "Info",
                    "displayStatus": "Ready",
                    "message": "GuestAgent is running and processing the extensions.",
                    "time": agent["since"],
                }
            ],
        }
    return {
        "vmAgentVersion": "Unknown",
        "statuses": [
            {
                "code": "ProvisioningState/Unavailable",
                "level": "Warning",
                "displayStatus": "Not Ready",
                "message": "VM Agent is unresponsive.",
                "time": agent["since"],
            }
        ],
    }


def with_view(found: StoredResource, expand: bool) -> JsonObject:
    """The VM body, with properties.instanceView when expanded."""
    body = copy.deepcopy(found.body)
    if expand:
        body["properties"]["instanceView"] = instance_view(found)
    return body


def get(
    world: World, subscription: str, resource_group: str, name: str, expand: str | None
) -> JsonObject:
    """GET a VM; `$expand=instanceView` adds its instance view (other documented expands are
    accepted and add nothing the emulator models)."""
    wanted = expand_values(expand)
    return with_view(
        stored(world, TYPE, subscription, resource_group, name), "instanceview" in wanted
    )


def expand_values(expand: str | None) -> set[str]:
    """The $expand values (comma separated), each one the spec's InstanceViewTypes allow."""
    values = {v.strip().lower() for v in (expand or "").split(",") if v.strip()}
    unknown = values - {e.lower() for e in EXPANDS}
    if unknown:
        raise BadRequest(
            f"The value '{expand}' of $expand is invalid; allowed values: {', '.join(EXPANDS)}.",
            code="InvalidParameter",
        )
    return values


def view_of(world: World, subscription: str, resource_group: str, name: str) -> JsonObject:
    """GET .../instanceView: the bare instance view."""
    return instance_view(stored(world, TYPE, subscription, resource_group, name))


def listed(
    world: World, subscription: str, resource_group: str | None, query: Mapping[str, str]
) -> list[JsonObject]:
    """List by resource group or subscription. `$filter` takes only a scale set id, and no
    modelled VM belongs to a scale set; `$expand=instanceView` needs a `$filter` (as the SDK
    documents it); `statusOnly=true` adds the instance view."""
    world.subscription(subscription)
    if resource_group is not None:
        world.resource_group(subscription, resource_group)
    if query.get("$filter"):
        scale_set_filter(query["$filter"])
        return []
    expand = "instanceview" in expand_values(query.get("$expand"))
    if expand:
        raise BadRequest(
            "$expand=instanceView can only be specified together with a valid $filter.",
            code="InvalidParameter",
        )
    status_only = query.get("statusOnly", "false").lower() == "true"
    return [
        with_view(found, status_only)
        for found in world.resources.values()
        if found.kind == KIND
        and found.subscription == subscription.lower()
        and (resource_group is None or found.resource_group == resource_group.lower())
    ]


def scale_set_filter(text: str) -> None:
    """The one filter the VM lists document: `'virtualMachineScaleSet/id' eq '<id>'`."""
    try:
        clauses = odata.parse(text).clauses()
    except odata.FilterError as error:
        raise BadRequest(f"Invalid $filter '{text}': {error}.", code="InvalidParameter") from error
    if [(c.name.strip("'").lower(), c.op) for c in clauses] != [
        ("virtualmachinescaleset/id", "eq")
    ]:
        raise BadRequest(
            f"Invalid $filter '{text}': only 'virtualMachineScaleSet/id' eq '<id>' is supported.",
            code="InvalidParameter",
        )


def set_agent(world: World, vm_id: str, status: str) -> JsonObject:
    """Control API: the guest agent stops answering (Not Ready) or answers again (Ready)."""
    wanted = agent_status(status)
    found = world.find_by_id(vm_id)
    if found is None or found.kind != KIND:
        raise NotFound(f"No virtual machine with id '{vm_id}'.")
    agent = found.extra["agent"]
    if agent["status"] != wanted:
        agent.update(status=wanted, since=utc_now())
    return agent_view(agent)
