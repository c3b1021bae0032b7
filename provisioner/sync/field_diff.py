"""Two field trees → the leaves that differ, keyed collections entry by entry and sets item by item."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from provisioner.sync.fields import ItemSet, Keyed, Tree

_ABSENT: Any = None


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs, addressed like the spec: `emailReceivers[oncall].address`.

    For one item of a set (a scope, an action group, a condition value, a day), `path` names the
    item (`scopes[/subscriptions/…]`), `item_of` the set (`scopes`), and one of old/new is None:
    the item is added or removed.
    """

    path: str
    old: Any
    new: Any
    item_of: str | None = None


def field_changes(old: Tree, new: Tree, prefix: str = "") -> Iterator[FieldChange]:
    """Every leaf that differs between two field trees, in a stable order."""
    keyed = isinstance(old, Keyed) or isinstance(new, Keyed)
    item_of = prefix if isinstance(old, ItemSet) or isinstance(new, ItemSet) else None
    for key in sorted(old.keys() | new.keys(), key=_natural):
        path = f"{prefix}[{key}]" if keyed else f"{prefix}.{key}" if prefix else key
        before, after = old.get(key, _ABSENT), new.get(key, _ABSENT)
        if _both_trees(before, after):
            yield from field_changes(_tree(before, after), _tree(after, before), path)
        elif before != after and not (_empty(before) and _empty(after)):
            yield FieldChange(path, before, after, item_of)


def _both_trees(before: Any, after: Any) -> bool:
    """Both sides are trees; or one is absent and the other a keyed collection, whose entries
    are then listed one by one (a new receiver list shows each receiver)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return True
    one_absent = before is _ABSENT or after is _ABSENT
    return one_absent and isinstance(before if after is _ABSENT else after, Keyed)


def _tree(value: Any, other: Any) -> Tree:
    """`value`, or an empty tree of the other side's kind (so a set stays a set)."""
    if isinstance(value, dict):
        return value
    empty: Tree = type(other)()
    return empty


_NUMBERS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=65536)
def _natural(key: str) -> tuple[Any, ...]:
    """Keys in a stable order that reads well: case-insensitive, numbers by value (day 2 < 15).

    Cached: a plan of thousands of resources sorts the same field names thousands of times.
    """
    parts = _NUMBERS.split(key)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts), key


def _empty(value: Any) -> bool:
    return value is None or value in ({}, (), "")


def named_as_declared(live: Tree, declared: Tree) -> Tree:
    """The live field tree with collection keys spelt as the spec spells them, at every level.

    ARM compares tag names, receiver names and resource IDs ignoring case and may return either
    spelling (docs/azure-behaviour.md#arm-names-ignore-case): `Team` live and `team` declared are the same tag, an ID
    with `RG-Backup` the same scope as one with `rg-backup`, not a removal and an addition. A key
    the spec spells exactly as Azure does stays as it is (case-sensitive values keep both).
    """
    aligned: Tree = type(live)()
    spelling = {name.casefold(): name for name in declared} if isinstance(declared, Keyed) else {}
    for name, value in live.items():
        target = name if name in declared else spelling.get(name.casefold(), name)
        if target in aligned or (target != name and target in live):
            target = name  # never merge two live entries into one
        aligned[target] = _aligned_value(value, declared.get(target))
    return aligned


def _aligned_value(value: Any, declared: Any) -> Any:
    if isinstance(value, dict) and isinstance(declared, dict):
        return named_as_declared(value, declared)
    return value
