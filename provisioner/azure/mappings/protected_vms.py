"""Protected Azure VMs: `ProtectedVm` <- SDK `ProtectedItemResource` (read by JSON name).

azure-mgmt-recoveryservicesbackup 11.2.0 deserializes an Azure VM item's properties as the base
`ProtectedItem` (docs/azure-behaviour.md#protected-items-virtual-machines-and-guest-agents), so
the VM's fields are read from the JSON mapping, never as attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from provisioner.evidence import ProtectedVm
from provisioner.ids import ResourceId

# The filter Microsoft's example uses to list a vault's Azure VMs.
AZURE_VM_FILTER: Final = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"


def from_arm(item: Any, vault: ResourceId) -> ProtectedVm:
    """One protected item of the vault; absent fields are None."""
    props = _mapping(getattr(item, "properties", None))
    return ProtectedVm(
        vault=vault,
        item_id=str(getattr(item, "id", "") or ""),
        name=_text(props, "friendlyName") or str(getattr(item, "name", "") or ""),
        vm=_vm_id(props),
        protection_state=_text(props, "protectionState"),
        last_backup_status=_text(props, "lastBackupStatus"),
        last_backup_time=_text(props, "lastBackupTime"),
        last_backup_error=_last_error(props),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    return str(value) if value not in (None, "") else None


def _vm_id(props: Mapping[str, Any]) -> ResourceId | None:
    for key in ("virtualMachineId", "sourceResourceId"):
        text = _text(props, key)
        if text:
            try:
                return ResourceId.parse(text)
            except ValueError:
                continue
    return None


def _last_error(props: Mapping[str, Any]) -> str | None:
    """The last backup's error: workload items' lastBackupErrorDetail, else the health details
    (title and message each), which is where a VM item tells why it needs action."""
    detail = _mapping(props.get("lastBackupErrorDetail"))
    parts = [str(detail[k]) for k in ("code", "message") if detail.get(k)]
    for item in props.get("healthDetails") or ():
        health = _mapping(item)
        parts += [str(health[k]) for k in ("title", "message") if health.get(k)]
    return ": ".join(dict.fromkeys(parts)) or None
