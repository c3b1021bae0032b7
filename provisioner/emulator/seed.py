"""Applies a seed document (DESIGN §6) to the world: subscriptions, groups, vaults, resources."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from provisioner.emulator import action_groups, processing_rules, vaults
from provisioner.emulator.exceptions import ArmError
from provisioner.emulator.models import ARM_ID, JsonObject, ResourceGroup, World


class SeedError(ValueError):
    """The seed document is malformed; the message says where."""


def apply_seed(world: World, document: Any) -> None:
    """Add the seed's contents to the world (existing entries with the same names are replaced)."""
    if document is None:
        return
    if not isinstance(document, dict):
        raise SeedError("the seed document must be a mapping with a 'subscriptions' list")
    subscriptions = document.get("subscriptions") or []
    if not isinstance(subscriptions, list):
        raise SeedError("'subscriptions' must be a list")
    for index, entry in enumerate(subscriptions):
        seed_subscription(world, entry, f"subscriptions[{index}]")


def seed_subscription(world: World, entry: Any, where: str) -> None:
    """One subscription entry and everything under it."""
    entry = mapping(entry, where)
    subscription_id = text(entry, "id", where)
    subscription = world.add_subscription(
        subscription_id, str(entry.get("displayName") or f"Emulated {subscription_id}")
    )
    for index, item in enumerate(entry.get("resourceGroups") or []):
        group_where = f"{where}.resourceGroups[{index}]"
        group = mapping(item, group_where)
        name = text(group, "name", group_where)
        subscription.resource_groups[name.lower()] = ResourceGroup(
            name, text(group, "location", group_where)
        )
        seed_vaults(world, subscription_id, name, group.get("vaults") or [], group_where)
        seed_resources(world, group.get("resources") or [], group_where)


def seed_vaults(world: World, subscription_id: str, group: str, entries: Any, where: str) -> None:
    """Vaults of a resource group: {name, location, properties?, sku?, tags?}."""
    for index, entry in enumerate(sequence(entries, f"{where}.vaults")):
        vault_where = f"{where}.vaults[{index}]"
        vault = mapping(entry, vault_where)
        body = {key: value for key, value in vault.items() if key != "name"}
        with reported_as(vault_where):
            vaults.put(
                world, subscription_id, group, text(vault, "name", vault_where), body, seeded=True
            )


def seed_resources(world: World, entries: Any, where: str) -> None:
    """Pre-existing resources as {id, body}: each goes through its backend's own PUT validation."""
    for index, entry in enumerate(sequence(entries, f"{where}.resources")):
        resource_where = f"{where}.resources[{index}]"
        resource = mapping(entry, resource_where)
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
        processing_rules.put(world, subscription, group, name, body, caller="seed")
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
    """Read and check a YAML (or JSON) seed file; SeedError naming the file on any problem."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        apply_seed(World(), document)  # dry run: report problems before the server starts
    except OSError as error:
        raise SeedError(f"{path}: cannot read the seed file: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise SeedError(f"{path}: not valid YAML: {error}") from error
    except SeedError as error:
        raise SeedError(f"{path}: {error}") from error
    return mapping(document, str(path)) if document is not None else {}
