"""Field trees: resources as nested fields named like the spec keys, the basis of diffs and display.

Each kind builds its own tree (provisioner.sync.behaviour); these are the shapes they share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from provisioner.ids import ResourceId
from provisioner.model import Secret

# A leaf is a str, bool, int, None, ResourceId or Secret. Leaves keep their model types so that
# comparison stays the model's own (IDs ignore case, secrets compare by value).
Tree = dict[str, Any]


class Keyed(dict[str, Any]):
    """A collection shown entry by entry as `name[key]`: receivers by name, tags, conditions by
    field. An entry added or removed is one line, even when the whole collection is new or gone."""


class ItemSet(Keyed):
    """A list whose order Azure ignores, as a set: each item is its own key and value.

    Adding one vault to a rule of a thousand scopes is then one `+ scopes` line (JSON path
    `scopes[<id>]`), not a rewrite of the list.
    """


def item_set(items: Iterable[Any]) -> ItemSet:
    """The items keyed by their text (IDs as written; the diff aligns their case)."""
    return ItemSet({str(item): item for item in items})


def to_json(value: Any) -> Any:
    """A field value as plain JSON; secrets are never written out."""
    if isinstance(value, Secret):
        return "(sensitive value)"
    if isinstance(value, ResourceId):
        return str(value)
    if isinstance(value, ItemSet):
        return [to_json(v) for v in value.values()]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value
