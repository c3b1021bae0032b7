"""Reading spec entries tolerantly: each kind's entries, their home, scopes and vault selectors.

The schema may have flagged any value, so these readers accept values of any type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from provisioner import kinds
from provisioner.ids import ResourceId, is_guid
from provisioner.model import VaultSelector, make_tags
from provisioner.spec.document import SpecDocument
from provisioner.spec.yaml_loader import JsonPath

Entry = Mapping[str, Any]


def entries(doc: SpecDocument) -> Iterator[tuple[str, int, Entry]]:
    """(section, index, entry) for every declared resource that is at least a mapping."""
    for section in (kind.section for kind in kinds.KINDS):
        items = doc.data.get(section)
        for index, entry in enumerate(items if isinstance(items, list) else []):
            if isinstance(entry, dict):
                yield section, index, entry


def file_default(doc: SpecDocument, key: str) -> str | None:
    """A usable file-level subscription/resourceGroup default, or None."""
    value = doc.data.get(key)
    if not isinstance(value, str) or (key == "subscription" and not is_guid(value)):
        return None
    return value


def home(doc: SpecDocument, entry: Entry) -> tuple[str | None, str | None]:
    """The (subscription, resource group) an entry lives in: its own, else the file's."""
    subscription = text(entry.get("subscription")) or file_default(doc, "subscription")
    group = text(entry.get("resourceGroup")) or file_default(doc, "resourceGroup")
    return subscription, group


def home_paths(path: JsonPath) -> tuple[JsonPath, ...]:
    """Where an entry's home comes from: its own keys and the file's defaults."""
    keys = ("subscription", "resourceGroup")
    return (*((*path, key) for key in keys), *((key,) for key in keys))


def text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def mappings(value: object) -> Iterator[tuple[int, Entry]]:
    """(index, item) for the items of a list that are mappings."""
    for index, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, Mapping):
            yield index, item


def strings(value: object) -> Iterator[tuple[int, str]]:
    """(index, item) for the items of a list that are strings."""
    for index, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, str):
            yield index, item


def called(kind: str, entry: Entry) -> str:
    """`action group 'ag-x'`, or just the kind when the name is missing or not text."""
    name = text(entry.get("name"))
    return f"{kind} '{name}'" if name else kind


def scope_id(scope: str | Mapping[str, str], subscription: str, group: str) -> ResourceId:
    """A scope as an ARM ID; a mapping's missing parts come from the rule (subscription, group)."""
    if isinstance(scope, str):
        return ResourceId.parse(scope)
    sub = scope.get("subscription", subscription)
    if "vault" in scope:
        rg = scope.get("resourceGroup", group)
        return ResourceId.for_resource(sub, rg, "Microsoft.RecoveryServices/vaults", scope["vault"])
    if "resourceGroup" in scope:
        return ResourceId(sub.lower(), scope["resourceGroup"])
    return ResourceId(sub.lower())


def is_selector(scope: object) -> bool:
    """A scope written as `{vaults: {...}}`: the vaults a selector matches."""
    return isinstance(scope, Mapping) and "vaults" in scope


def vault_selector(written: Mapping[str, Any], subscription: str) -> VaultSelector:
    """A selector as written (`{resourceGroup?, tags?, subscription?}`), in `subscription` unless
    it names its own."""
    return VaultSelector(
        subscription=str(written.get("subscription", subscription)).lower(),
        resource_group=written.get("resourceGroup"),
        tags=make_tags(written.get("tags")),
    )
