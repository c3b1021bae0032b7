"""What every modelled resource type does alike: its key and id, find, store, delete, list.

The backends (action_groups, processing_rules, vaults) differ in validation and response
shapes; these operations are the same for all of them, so they live here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provisioner.emulator.exceptions import BadRequest, Conflict, resource_not_found
from provisioner.emulator.models import (
    JsonObject,
    StoredResource,
    World,
    optional_tags,
    require_bool,
    require_object,
    resource_key,
)


@dataclass(frozen=True)
class ResourceType:
    """A modelled resource type. `name` is how ARM's 404 names it; `id_provider` how the
    service spells provider/type inside ids (its casing differs per service)."""

    name: str
    id_provider: str

    @property
    def kind(self) -> str:
        """The lower-case provider/type the world stores resources under."""
        return self.name.lower()

    def key(self, subscription: str, resource_group: str, name: str) -> str:
        """Storage key of one resource of this type."""
        return resource_key(subscription, resource_group, self.kind, name)

    def resource_id(self, subscription: str, resource_group: str, name: str) -> str:
        """The `id` a response carries, in the casing the service writes."""
        return f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/{self.id_provider}/{name}"


def stored(
    world: World, rtype: ResourceType, subscription: str, resource_group: str, name: str
) -> StoredResource:
    """The stored resource, or ARM's 404s (subscription, then resource group, then resource)."""
    world.resource_group(subscription, resource_group)
    found = world.get(rtype.key(subscription, resource_group, name))
    if found is None:
        raise resource_not_found(rtype.name, name, resource_group)
    return found


def store(
    world: World,
    rtype: ResourceType,
    subscription: str,
    resource_group: str,
    name: str,
    *,
    body: JsonObject,
) -> int:
    """Store a validated response body: 201 when created, 200 when replaced (every spec's PUT)."""
    created = world.put(
        rtype.key(subscription, resource_group, name),
        StoredResource(rtype.kind, subscription.lower(), resource_group.lower(), body),
    )
    return 201 if created else 200


def delete(
    world: World, rtype: ResourceType, subscription: str, resource_group: str, name: str
) -> int:
    """200 when deleted, 204 when there was nothing to delete (specs AG and APR)."""
    world.resource_group(subscription, resource_group)
    return 200 if world.delete(rtype.key(subscription, resource_group, name)) else 204


def list_of_type(
    world: World, rtype: ResourceType, subscription: str, resource_group: str | None
) -> list[JsonObject]:
    """Bodies in a subscription or one of its resource groups, oldest first; 404s as ARM's."""
    world.subscription(subscription)
    if resource_group is not None:
        world.resource_group(subscription, resource_group)
    return world.list(rtype.kind, subscription, resource_group)


def patch_tags_and_enabled(found: StoredResource, body: Any, what: str) -> None:
    """The PATCH action groups and rules share (spec AG ActionGroupPatchBody, spec APR
    PatchObject): tags replaced as a whole (ARM PATCH) and properties.enabled, nothing else.

    Everything is checked before anything changes, so a refused PATCH leaves the resource as
    it was.
    """
    request = require_object(body, "the request body")
    unknown = set(request) - {"tags", "properties"}
    if unknown:
        raise BadRequest(
            f"Only 'tags' and 'properties.enabled' can be patched on {what}; got {sorted(unknown)}."
            " Use PUT to change other fields."
        )
    properties = require_object(request.get("properties") or {}, "'properties'")
    if set(properties) - {"enabled"}:
        raise BadRequest(
            f"Only 'properties.enabled' can be patched on {what}; use PUT for other fields."
        )
    tags = optional_tags(request) if "tags" in request else None
    enabled = (
        require_bool(properties, "enabled", "the patch body") if "enabled" in properties else None
    )
    if tags is not None:
        found.body["tags"] = tags
    if enabled is not None:
        found.body["properties"]["enabled"] = enabled


def canonical_location(location: str) -> str:
    """ARM compares regions ignoring case and spaces: "Sweden Central" is "swedencentral"."""
    return location.replace(" ", "").lower()


def check_location_unchanged(
    previous: StoredResource | None, location: str, name: str, resource_group: str
) -> None:
    """A PUT may not move an existing resource (ARM RPC resource-api-reference: location is immutable).

    ARM answers 409 InvalidResourceLocation with this message; the code, status and wording are
    taken from public CLI transcripts (UNCONFIRMED per RP).
    """
    if previous is None:
        return
    old = str(previous.body.get("location", ""))
    if canonical_location(old) == canonical_location(location):
        return
    raise Conflict(
        f"The resource '{name}' already exists in location '{old}' in resource group"
        f" '{resource_group}'. A resource with the same name cannot be created in location"
        f" '{location}'. Please select a new resource name.",
        code="InvalidResourceLocation",
    )
