"""Reading ARM's JSON with its shape checked: a page of a list, or an SDK model of the same wire names.

The SDK's newer models (alert processing rules, vaults) are mappings keyed by the wire names
(docs/azure-behaviour.md#sdk-models-are-mappings), so one reader serves both a raw list page and
a model the SDK returned from a write. A value of the wrong type is Azure (or something between)
answering outside the documented shape: it raises ArmShapeError naming the field, which the
caller turns into one error naming the resource, never a traceback or a wrong plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


class ArmShapeError(ValueError):
    """A resource's JSON is not the shape its API version documents."""


def _kind_of(value: Any) -> str:
    """The JSON word for a value's type, for messages."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _wrong(key: str, value: Any, expected: str) -> ArmShapeError:
    return ArmShapeError(f"{key} is {_kind_of(value)}, not {expected}")


def member(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The object under `key`; absent or null reads as an empty object."""
    value = parent.get(key)
    if value is None:
        return _EMPTY
    if not isinstance(value, Mapping):
        raise _wrong(key, value, "an object")
    return value


def optional_member(parent: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The object under `key`, or None when it is absent or null."""
    return member(parent, key) if parent.get(key) is not None else None


def entries(parent: Mapping[str, Any], key: str) -> list[Any]:
    """The list under `key`; absent or null reads as an empty list."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong(key, value, "a list")
    return value


def _all(parent: Mapping[str, Any], key: str, fits: Callable[[Any], bool], what: str) -> list[Any]:
    """The list under `key`, each item checked by `fits` (`what` names the expected type)."""
    found = entries(parent, key)
    for item in found:
        if not fits(item):
            raise _wrong(f"an item of {key}", item, what)
    return found


def objects(parent: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The list of objects under `key`."""
    return _all(parent, key, lambda item: isinstance(item, Mapping), "an object")


def texts(parent: Mapping[str, Any], key: str) -> list[str]:
    """The list of strings under `key`."""
    return _all(parent, key, lambda item: isinstance(item, str), "text")


def integers(parent: Mapping[str, Any], key: str) -> list[int]:
    """The list of whole numbers under `key` (true and false are not numbers here)."""
    return _all(
        parent,
        key,
        lambda item: isinstance(item, int) and not isinstance(item, bool),
        "a whole number",
    )


def text(parent: Mapping[str, Any], key: str) -> str | None:
    """The string under `key`; None when it is absent or null."""
    value = parent.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _wrong(key, value, "text")


def flag(parent: Mapping[str, Any], key: str) -> bool | None:
    """The boolean under `key`; None when it is absent or null."""
    value = parent.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise _wrong(key, value, "true or false")


def tags(parent: Mapping[str, Any]) -> Mapping[str, str]:
    """The resource's tags: names to text values."""
    found = member(parent, "tags")
    for name, value in found.items():
        if not isinstance(value, str):
            raise _wrong(f"tag {name!r}", value, "text")
    return found
