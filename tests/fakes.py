"""An in-memory Azure for fast unit tests of live/plan/apply logic: a Reader and a Writer.

It holds resources by ID (case-insensitive, as ResourceId is) and resource groups; a list of a
missing resource group raises ResourceGroupNotFound, as provisioner.azure.client.Azure does.
Failures are injected per request (`fail`), slow writes are held on an Event (`hold`), tag lists
too (`hold_tags`), and a test can wait for lists to be made (`wait_for_lists`), so tests decide
the order of events without sleeping. Contract and end-to-end tests keep the emulator.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from provisioner.errors import AzureError, ResourceGroupNotFound
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import Listed, Resource, tag_value

R = TypeVar("R", bound=Resource)


@dataclass
class Failure:
    """Requests matching (method, kind, resource or resource group) fail with this error."""

    method: str  # "list", "put" or "delete"
    target: ResourceId  # the resource, or the resource group of a list
    error: AzureError
    count: int = 1  # how many requests fail; then they succeed again


@dataclass
class FakeAzure:
    """A Reader and Writer over dicts; thread-safe (apply and read_live use thread pools)."""

    resources: dict[ResourceId, Resource] = field(default_factory=dict)
    resource_groups: set[ResourceId] = field(default_factory=set)
    # Per resource: the parts a list reports the model cannot carry ("voiceReceivers[ops]").
    unsupported: dict[ResourceId, tuple[str, ...]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, ID or group), in order
    lists: list[tuple[Kind, ResourceId]] = field(default_factory=list)  # (kind, scope) listed
    _failures: list[Failure] = field(default_factory=list)
    _holds: dict[ResourceId, threading.Event] = field(default_factory=dict)
    _tags_held: threading.Event | None = None
    # A lock that wait_for_lists can also wait on (notified on each list).
    _lock: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def holding(cls, *resources: Resource, groups: Iterable[ResourceId] = ()) -> FakeAzure:
        """An Azure holding `resources`, with their resource groups and `groups` existing."""
        fake = cls({r.id: r for r in resources})
        fake.resource_groups |= {r.id.resource_group_id() for r in resources} | set(groups)
        return fake

    def fail(self, method: str, target: ResourceId, error: AzureError, count: int = 1) -> None:
        with self._lock:
            self._failures.append(Failure(method, target, error, count))

    def hold(self, target: ResourceId) -> threading.Event:
        """Writes of `target` wait until the returned Event is set."""
        event = threading.Event()
        self._holds[target] = event
        return event

    def hold_tags(self) -> threading.Event:
        """Tag lists (the owners' footprint) answer only once the returned Event is set."""
        self._tags_held = threading.Event()
        return self._tags_held

    def wait_for_lists(self, count: int, timeout: float = 10) -> bool:
        """Wait until `count` lists (list_resources) were made; False after `timeout` seconds."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.lists) >= count, timeout)

    # --- Reader ---

    def list_resources(self, kind: Kind, scope: ResourceId) -> list[Listed]:
        with self._lock:
            self.lists.append((kind, scope))
            self._lock.notify_all()
        self._request("list", scope)
        if scope.resource_group is not None and scope not in self.resource_groups:
            raise ResourceGroupNotFound(
                f"listing {kind.plural} in {scope.describe()}: {scope.describe()} does not exist",
                scope,
            )
        with self._lock:
            found = [r for r in self.resources.values() if r.KIND is kind and _in(r.id, scope)]
            return [(r, self.unsupported.get(r.id, ())) for r in sorted(found, key=_by_id)]

    def list_tagged(self, scope: ResourceId, name: str, value: str) -> list[ResourceId]:
        """IDs of the resources tagged name: value (name ignoring case), as Resources - List."""
        if self._tags_held is not None:
            self._tags_held.wait(timeout=10)
        self._request("tagged", scope)
        with self._lock:
            return sorted(
                rid
                for rid, r in self.resources.items()
                if _in(rid, scope) and tag_value(r.tags, name) == value
            )

    # --- Writer ---

    def put(self, resource: R) -> R:
        hold = self._holds.get(resource.id)
        if hold is not None:
            hold.wait(timeout=10)
        self._request("put", resource.id)
        with self._lock:
            self.resources[resource.id] = resource
        return resource

    def delete(self, kind: Kind, resource_id: ResourceId) -> None:
        self._request("delete", resource_id)
        with self._lock:
            self.resources.pop(resource_id, None)

    def _request(self, method: str, target: ResourceId) -> None:
        with self._lock:
            self.calls.append((method, str(target)))
            for failure in self._failures:
                if failure.method == method and failure.target == target and failure.count > 0:
                    failure.count -= 1
                    raise failure.error


def _in(resource_id: ResourceId, scope: ResourceId) -> bool:
    if resource_id.subscription.lower() != scope.subscription.lower():
        return False
    return scope.resource_group is None or resource_id.resource_group_id() == scope


def _by_id(resource: Resource) -> ResourceId:
    return resource.id


def access_denied(what: str = "listing") -> AzureError:
    """The error Azure's 403 becomes (provisioner.azure.errors translates it so)."""
    detail = "access denied: (AuthorizationFailed) no read permission; it needs the Reader role"
    return AzureError(f"{what}: {detail}", detail=detail, status=403, code="AuthorizationFailed")


def server_error(what: str = "listing") -> AzureError:
    detail = "(InternalServerError) something went wrong"
    return AzureError(f"{what}: {detail}", detail=detail, status=500, code="InternalServerError")
