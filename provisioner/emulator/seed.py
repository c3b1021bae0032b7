"""Applies a seed document (the emulator README) to the world: subscriptions, groups, vaults, resources."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from provisioner.emulator import (
    action_groups,
    processing_rules,
    protected_items,
    vaults,
    virtual_machines,
)
from provisioner.emulator.exceptions import ArmError
from provisioner.emulator.models import ARM_ID, JsonObject, ResourceGroup, World


class SeedError(ValueError):
    """The seed document is malformed; the message says where."""


# The keys each level of a seed document may have (the emulator README); anything else is a typo that
# would otherwise be ignored silently (e.g. actionGroups under a resource group).
DOCUMENT_KEYS = ("subscriptions",)
SUBSCRIPTION_KEYS = ("id", "displayName", "resourceGroups")
GROUP_KEYS = ("name", "location", "vaults", "virtualMachines", "resources")
VAULT_KEYS = ("name", "location", "properties", "sku", "tags", "identity", "protectedItems")
VM_KEYS = ("name", "location", "powerState", "agent", "tags")
AGENT_KEYS = ("status", "version")
ITEM_KEYS = ("vm", "lastBackupStatus", "lastBackupError", "lastBackupTime")
RESOURCE_KEYS = ("id", "body")
# Azure subscription ids are GUIDs; ARM ids built from anything else are not real ones.
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def seeded_copy(world: World, document: Any) -> World:
    """A copy of `world` with the seed applied; `world` itself is untouched, even on error.

    Callers commit the copy with `World.adopt`, so a seed is all or nothing.
    """
    scratch = world.copied()
    apply_seed(scratch, document)
    return scratch


def apply_seed(world: World, document: Any) -> None:
    """Add the seed's contents to the world (existing entries with the same names are replaced).

    Stops at the first problem, with what came before already applied: apply to a scratch world
    (`seeded_copy`) when the world must stay unchanged on error.
    """
    if document is None:
        return
    if not isinstance(document, dict):
        raise SeedError("the seed document must be a mapping with a 'subscriptions' list")
    known_keys(document, DOCUMENT_KEYS, "the seed document")
    subscriptions = document.get("subscriptions") or []
    for index, entry in enumerate(sequence(subscriptions, "subscriptions")):
        seed_subscription(world, entry, f"subscriptions[{index}]")


def seed_subscription(world: World, entry: Any, where: str) -> None:
    """One subscription entry and everything under it."""
    entry = mapping(entry, where)
    known_keys(entry, SUBSCRIPTION_KEYS, where)
    subscription_id = text(entry, "id", where)
    if not GUID.match(subscription_id):
        raise SeedError(f"{where}.id '{subscription_id}' is not a subscription id (a GUID)")
    display_name = entry.get("displayName")
    if display_name is not None and not isinstance(display_name, str):
        raise SeedError(f"{where}.displayName must be a string")
    subscription = world.add_subscription(
        subscription_id, display_name or f"Emulated {subscription_id}"
    )
    groups = entry.get("resourceGroups") or []
    pending: list[tuple[str, Any, str]] = []  # protected items, once every VM is known
    for index, item in enumerate(sequence(groups, f"{where}.resourceGroups")):
        group_where = f"{where}.resourceGroups[{index}]"
        group = mapping(item, group_where)
        known_keys(group, GROUP_KEYS, group_where)
        name = text(group, "name", group_where)
        location = text(group, "location", group_where)
        subscription.resource_groups[name.lower()] = ResourceGroup(name, location)
        pending += seed_vaults(world, subscription_id, name, group.get("vaults") or [], group_where)
        seed_vms(
            world, subscription_id, (name, location), group.get("virtualMachines"), group_where
        )
        seed_resources(world, group.get("resources") or [], group_where)
    for vault_key, items, items_where in pending:
        seed_protected_items(world, vault_key, items, items_where)


def seed_vaults(
    world: World, subscription_id: str, group: str, entries: Any, where: str
) -> list[tuple[str, Any, str]]:
    """Vaults of a resource group: {name, location, properties?, sku?, tags?, protectedItems?};
    returns each vault's protected items, to be seeded once every VM exists."""
    pending = []
    for index, entry in enumerate(sequence(entries, f"{where}.vaults")):
        vault_where = f"{where}.vaults[{index}]"
        vault = mapping(entry, vault_where)
        known_keys(vault, VAULT_KEYS, vault_where)
        name = text(vault, "name", vault_where)
        body = {k: v for k, v in vault.items() if k not in ("name", "protectedItems")}
        with reported_as(vault_where):
            vaults.put(world, subscription_id, group, name, body, seeded=True)
        items = vault.get("protectedItems") or []
        pending.append((vaults.TYPE.key(subscription_id, group, name), items, vault_where))
    return pending


def seed_vms(
    world: World, subscription_id: str, group: tuple[str, str], entries: Any, where: str
) -> None:
    """VMs of a resource group: {name, location?, powerState?, agent: {status, version?}?, tags?}
    (the location defaults to the resource group's)."""
    name, location = group
    for index, entry in enumerate(sequence(entries or [], f"{where}.virtualMachines")):
        vm_where = f"{where}.virtualMachines[{index}]"
        vm = mapping(entry, vm_where)
        known_keys(vm, VM_KEYS, vm_where)
        text(vm, "name", vm_where)
        agent = mapping(vm.get("agent") or {}, f"{vm_where}.agent")
        known_keys(agent, AGENT_KEYS, f"{vm_where}.agent")
        with reported_as(vm_where):
            virtual_machines.seed(world, subscription_id, name, {"location": location, **vm})


def seed_protected_items(world: World, vault_key: str, entries: Any, where: str) -> None:
    """A vault's protected VMs: {vm: <name or id>, lastBackupStatus?, lastBackupError?,
    lastBackupTime?}."""
    vault = world.get(vault_key)
    assert vault is not None  # seeded just before
    for index, entry in enumerate(sequence(entries, f"{where}.protectedItems")):
        item_where = f"{where}.protectedItems[{index}]"
        item = mapping(entry, item_where)
        known_keys(item, ITEM_KEYS, item_where)
        text(item, "vm", item_where)
        for key in ITEM_KEYS[1:]:
            if item.get(key) is not None and not isinstance(item[key], str):
                raise SeedError(f"{item_where}.{key} must be a string")
        with reported_as(item_where):
            protected_items.seed(world, vault, item)


def seed_resources(world: World, entries: Any, where: str) -> None:
    """Pre-existing resources as {id, body}: each goes through its backend's own PUT validation."""
    for index, entry in enumerate(sequence(entries, f"{where}.resources")):
        resource_where = f"{where}.resources[{index}]"
        resource = mapping(entry, resource_where)
        known_keys(resource, RESOURCE_KEYS, resource_where)
        resource_id = text(resource, "id", resource_where)
        match = ARM_ID.match(resource_id)
        if match is None or match["name"] is None:
            raise SeedError(f"{resource_where}: '{resource_id}' is not a resource id")
        with reported_as(resource_where):
            put_resource(world, resource_id, resource.get("body"))


def put_resource(world: World, resource_id: str, body: Any) -> None:
    """Dispatch a seeded resource to the backend for its type."""
    match = ARM_ID.match(resource_id)
    assert match is not None  # checked by the caller
    subscription, group, name = match["sub"], match["rg"], match["name"]
    kind = f"{match['ns']}/{match['type']}".lower()
    if kind == action_groups.KIND:
        action_groups.put(world, subscription, group, name, body)
    elif kind == processing_rules.KIND:
        # Azure lets a group be deleted while a rule still names it, so a seeded world may
        # hold such a rule (docs/azure-behaviour.md#alert-routing-what-check-evaluates).
        processing_rules.put(
            world, subscription, group, name, body, caller="seed", check_references=False
        )
    elif kind == vaults.KIND:
        vaults.put(world, subscription, group, name, body, seeded=True)
    else:
        raise SeedError(f"resource type '{kind}' is not modelled by the emulator")


@contextlib.contextmanager
def reported_as(where: str) -> Iterator[None]:
    """Turn a backend's ARM validation error into a SeedError naming the seed entry."""
    try:
        yield
    except ArmError as error:
        raise SeedError(f"{where}: {error.code}: {error.message}") from error


def mapping(value: Any, where: str) -> JsonObject:
    """`value` as a mapping, or a SeedError."""
    if not isinstance(value, dict):
        raise SeedError(f"{where} must be a mapping")
    return value


def known_keys(entry: JsonObject, allowed: tuple[str, ...], where: str) -> None:
    """A SeedError naming the first key this level of the document does not have."""
    for key in entry:
        if key not in allowed:
            raise SeedError(f"{where}: unknown key '{key}' (allowed: {', '.join(allowed)})")


def sequence(value: Any, where: str) -> list[Any]:
    """`value` as a list, or a SeedError."""
    if not isinstance(value, list):
        raise SeedError(f"{where} must be a list")
    return value


def text(container: JsonObject, key: str, where: str) -> str:
    """A required string entry, or a SeedError."""
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise SeedError(f"{where}.{key} is required and must be a string")
    return value


def load_seed_file(path: Path) -> JsonObject:
    """Read and check a YAML (or JSON) seed file; SeedError naming the file (and the line,
    where there is one) on any problem."""
    text = _seed_text(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        detail = " ".join(part for part in (error.context, error.problem) if part)
        raise SeedError(f"{where}: not valid YAML: {detail}") from None
    except (yaml.YAMLError, RecursionError) as error:
        reason = "nested too deep" if isinstance(error, RecursionError) else str(error)
        raise SeedError(f"{path}: not valid YAML: {reason}") from None
    try:
        apply_seed(World(), document)  # dry run: report problems before the server starts
    except SeedError as error:
        raise SeedError(f"{path}:{_line_of(root, str(error))}: {error}") from error
    return mapping(document, str(path)) if document is not None else {}


def _seed_text(path: Path) -> str:
    """The seed file's text; never opens a FIFO or device (it would block or never end)."""
    try:
        if not path.is_file():
            raise SeedError(f"{path}: cannot read the seed file: it is not a regular file")
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise SeedError(f"{path}: cannot read the seed file: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise SeedError(f"{path}: the seed file is not UTF-8 (byte {error.start})") from None


_PATH_STEP = re.compile(r"\.?([A-Za-z_]+)|\[(\d+)\]")


def _line_of(root: yaml.Node | None, message: str) -> int:
    """The line of the deepest node the message's leading path (`subscriptions[0].id`) reaches."""
    node, line = root, 1
    for match in _PATH_STEP.finditer(message.split(" ", 1)[0].split(":", 1)[0]):
        key, index = match.groups()
        node = _child(node, key, index)
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, key: str | None, index: str | None) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and key is not None:
        return next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    if isinstance(node, yaml.SequenceNode) and index is not None and int(index) < len(node.value):
        child: yaml.Node = node.value[int(index)]
        return child
    return None
