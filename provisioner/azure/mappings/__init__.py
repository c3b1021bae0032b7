"""Mappings, one module per resource kind: `to_arm(model)` and `from_arm(listed or written resource)`."""

from __future__ import annotations

from enum import Enum
from typing import Any

from provisioner.azure.mappings.arm_json import ArmShapeError
from provisioner.ids import ResourceId


def sdk_text(value: Any) -> str | None:
    """An SDK string-or-enum value as plain text (`str()` of an SDK enum is `Enum.MEMBER`)."""
    if value is None:
        return None
    return str(value.value) if isinstance(value, Enum) else str(value)


def sdk_id(value: Any, what: str) -> ResourceId:
    """The ARM ID of a resource the SDK returned; a response without one is a broken response."""
    text = sdk_text(value)
    if not text:
        raise ArmShapeError(f"Azure returned {what} without an id")
    return ResourceId.parse(text)


def optional_text(value: Any) -> str | None:
    """None for absent and empty strings alike: Azure omits or blanks unset optional strings."""
    return sdk_text(value) or None
