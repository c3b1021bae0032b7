"""VM instance views: `VmInstance` <- SDK `VirtualMachineInstanceView` (power state, guest agent)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from provisioner.evidence import InstanceStatus, VmInstance
from provisioner.ids import ResourceId


def from_arm(view: Any, vm: ResourceId) -> VmInstance:
    """The view's statuses and its vmAgent section (azure-mgmt-compute models are mappings of
    the JSON, so fields are read by JSON name)."""
    body = _mapping(view)
    agent = body.get("vmAgent")
    agent_body = _mapping(agent)
    version = agent_body.get("vmAgentVersion")
    return VmInstance(
        id=vm,
        statuses=_statuses(body.get("statuses")),
        has_agent=agent is not None,
        agent_version=str(version) if version else None,
        agent_statuses=_statuses(agent_body.get("statuses")),
    )


def not_found(vm: ResourceId) -> VmInstance:
    """A VM the vault still names but Azure no longer has."""
    return VmInstance(id=vm, found=False)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _statuses(value: Any) -> tuple[InstanceStatus, ...]:
    items: Iterable[Any] = value if isinstance(value, list) else ()
    return tuple(_status(_mapping(s)) for s in items)


def _status(status: Mapping[str, Any]) -> InstanceStatus:
    return InstanceStatus(
        code=str(status.get("code") or ""),
        level=str(status.get("level") or ""),
        display_status=str(status.get("displayStatus") or ""),
        message=str(status.get("message") or ""),
    )
