"""The in-memory world: subscriptions, resource groups and stored resources (no HTTP here)."""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from provisioner.emulator.exceptions import (
    BadRequest,
    InvalidRequestContent,
    resource_group_not_found,
    subscription_not_found,
)

JsonObject = dict[str, Any]

DEFAULT_TENANT_ID = "11111111-1111-1111-1111-111111111111"
# Test notifications and vault async operations kept, each (the most recent win). Both are
# saved in the state file with the rest of the world, so a long-running emulator must not keep
# them all; a client polls an operation within seconds, and an older id gets the usual 404.
HISTORY_LIMIT = 1000

# JSON types as the specs name them (see `type_name`), for `check_field_types` tables.
STRING, BOOLEAN, OBJECT = "string", "boolean", "object"

# A well-formed ARM id: subscription, optional resource group, optional provider/type/name
# pairs (nested types allowed). Used to validate rule scopes and action-group references.
ARM_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)"
    r"(?:/resourceGroups/(?P<rg>[^/]+)"
    r"(?:/providers/(?P<ns>[^/]+)/(?P<type>[^/]+)/(?P<name>[^/]+)(?:/[^/]+/[^/]+)*)?)?/?$",
    re.IGNORECASE,
)


def utc_now() -> str:
    """Current time as ARM writes systemData timestamps (ISO 8601, UTC, `Z`)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class ResourceGroup:
    """A resource group as the seed declares it; its name keeps the declared casing."""

    name: str
    location: str


@dataclass
class Subscription:
    """A subscription and its resource groups (keyed by lower-case name: ARM ignores case)."""

    subscription_id: str
    display_name: str
    tenant_id: str = DEFAULT_TENANT_ID
    resource_groups: dict[str, ResourceGroup] = field(default_factory=dict)

    def as_arm(self) -> JsonObject:
        """The body `GET /subscriptions` returns for this subscription."""
        return {
            "id": f"/subscriptions/{self.subscription_id}",
            "authorizationSource": "RoleBased",
            "subscriptionId": self.subscription_id,
            "tenantId": self.tenant_id,
            "displayName": self.display_name,
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
        }


@dataclass
class StoredResource:
    """One resource: its kind (provider/type, lower case), where it lives, its response body,
    and state the service keeps outside the body (`extra`, e.g. a VM's guest agent)."""

    kind: str
    subscription: str
    resource_group: str
    body: JsonObject
    extra: JsonObject = field(default_factory=dict)


def resource_key(subscription: str, resource_group: str, kind: str, name: str) -> str:
    """The case-insensitive identity of a resource (ARM matches names ignoring case)."""
    return f"/subscriptions/{subscription}/resourcegroups/{resource_group}/providers/{kind}/{name}".lower()


class World:
    """Everything the emulated Azure knows; callers hold `lock` around each operation."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.subscriptions: dict[str, Subscription] = {}
        self.resources: dict[str, StoredResource] = {}
        self.notifications: dict[str, JsonObject] = {}
        self.operations: dict[str, JsonObject] = {}
        # Fired alerts by lower-case alert id: {"subscription", "alert", "context", "history"}.
        self.alerts: dict[str, JsonObject] = {}
        # Emails the emulator "sent" for fired alerts, oldest first (GET /_emulator/notifications).
        self.sent: list[JsonObject] = []

    def clear(self) -> None:
        """Forget everything (control API reset)."""
        self.subscriptions.clear()
        self.resources.clear()
        self.notifications.clear()
        self.operations.clear()
        self.alerts.clear()
        self.sent.clear()

    def copied(self) -> World:
        """An independent deep copy (a scratch world to apply a seed to before committing it)."""
        twin = World()
        twin.load_json(copy.deepcopy(self.to_json()))
        return twin

    def adopt(self, other: World) -> None:
        """Take over another world's contents in one step (the lock stays this world's)."""
        self.subscriptions = other.subscriptions
        self.resources = other.resources
        self.notifications = other.notifications
        self.operations = other.operations
        self.alerts = other.alerts
        self.sent = other.sent

    def add_notification(self, notification_id: str, details: JsonObject) -> None:
        """Remember a test notification's details, forgetting the oldest beyond the limit."""
        self.notifications[notification_id] = details
        keep_most_recent(self.notifications)

    def add_operation(self, operation_id: str, status: JsonObject) -> None:
        """Remember an async operation's status, forgetting the oldest beyond the limit."""
        self.operations[operation_id] = status
        keep_most_recent(self.operations)

    def add_alert(self, alert_id: str, record: JsonObject) -> None:
        """Remember a fired alert, forgetting the oldest beyond the limit."""
        self.alerts[alert_id.lower()] = record
        keep_most_recent(self.alerts)

    def add_sent(self, emails: list[JsonObject]) -> None:
        """Log emails sent for a fired alert, keeping the most recent HISTORY_LIMIT."""
        self.sent.extend(emails)
        del self.sent[: max(0, len(self.sent) - HISTORY_LIMIT)]

    def subscription(self, subscription_id: str) -> Subscription:
        """The subscription, or ARM's 404 SubscriptionNotFound."""
        found = self.subscriptions.get(subscription_id.lower())
        if found is None:
            raise subscription_not_found(subscription_id)
        return found

    def resource_group(self, subscription_id: str, name: str) -> ResourceGroup:
        """The resource group, or ARM's 404 (SubscriptionNotFound / ResourceGroupNotFound)."""
        found = self.subscription(subscription_id).resource_groups.get(name.lower())
        if found is None:
            raise resource_group_not_found(name)
        return found

    def add_subscription(self, subscription_id: str, display_name: str) -> Subscription:
        """Add a subscription, or return the existing one (seeding adds to the world)."""
        key = subscription_id.lower()
        if key not in self.subscriptions:
            self.subscriptions[key] = Subscription(subscription_id, display_name)
        return self.subscriptions[key]

    def get(self, key: str) -> StoredResource | None:
        """The stored resource under a key made by `resource_key`, if any."""
        return self.resources.get(key)

    def put(self, key: str, stored: StoredResource) -> bool:
        """Store a resource; True when it was created (kept in place on update for stable lists)."""
        created = key not in self.resources
        self.resources[key] = stored
        return created

    def delete(self, key: str) -> bool:
        """Remove a resource; True when something was deleted."""
        return self.resources.pop(key, None) is not None

    def list(self, kind: str, subscription: str, resource_group: str | None) -> list[JsonObject]:
        """Bodies of resources of one kind in a subscription (and resource group), oldest first."""
        kind, subscription = kind.lower(), subscription.lower()
        group = resource_group.lower() if resource_group is not None else None
        return [
            stored.body
            for stored in self.resources.values()
            if stored.kind == kind
            and stored.subscription == subscription
            and (group is None or stored.resource_group == group)
        ]

    def find_by_id(self, resource_id: str) -> StoredResource | None:
        """The resource an ARM id names, matched ignoring case (e.g. a rule's actionGroupIds)."""
        return self.resources.get(resource_id.rstrip("/").lower())

    def to_json(self) -> JsonObject:
        """A JSON-ready snapshot for the state file."""
        return {
            "subscriptions": [
                {
                    "id": sub.subscription_id,
                    "displayName": sub.display_name,
                    "tenantId": sub.tenant_id,
                    "resourceGroups": [
                        {"name": rg.name, "location": rg.location}
                        for rg in sub.resource_groups.values()
                    ],
                }
                for sub in self.subscriptions.values()
            ],
            "resources": [
                {
                    "key": key,
                    "kind": stored.kind,
                    "subscription": stored.subscription,
                    "resourceGroup": stored.resource_group,
                    "body": stored.body,
                    "extra": stored.extra,
                }
                for key, stored in self.resources.items()
            ],
            "notifications": self.notifications,
            "operations": self.operations,
            "alerts": self.alerts,
            "sent": self.sent,
        }

    def load_json(self, snapshot: JsonObject) -> None:
        """Replace the world with a snapshot written by `to_json` (KeyError/TypeError if malformed)."""
        self.clear()
        for sub in snapshot["subscriptions"]:
            added = self.add_subscription(sub["id"], sub["displayName"])
            added.tenant_id = sub.get("tenantId", DEFAULT_TENANT_ID)
            for rg in sub["resourceGroups"]:
                added.resource_groups[rg["name"].lower()] = ResourceGroup(
                    rg["name"], rg["location"]
                )
        for item in snapshot["resources"]:
            self.resources[item["key"]] = StoredResource(
                item["kind"],
                item["subscription"],
                item["resourceGroup"],
                dict(item["body"]),
                dict(item.get("extra", {})),
            )
        self.notifications.update(snapshot.get("notifications", {}))
        self.operations.update(snapshot.get("operations", {}))
        self.alerts.update(snapshot.get("alerts", {}))  # absent from older state files
        self.add_sent(list(snapshot.get("sent", [])))
        for records in (self.notifications, self.operations, self.alerts):
            keep_most_recent(records)  # a state file may predate the limit


def keep_most_recent(records: dict[str, JsonObject]) -> None:
    """Drop the oldest records (dicts keep insertion order) until at most HISTORY_LIMIT remain."""
    while len(records) > HISTORY_LIMIT:
        del records[next(iter(records))]


# ---- small validation helpers shared by the resource backends ----------------------------


def require_object(value: Any, what: str) -> JsonObject:
    """`value` as a JSON object, or a 400 naming what was expected."""
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object, got {type_name(value)}.")
    return value


def require_string(container: JsonObject, key: str, what: str) -> str:
    """A required non-empty string property, or a 400 naming it."""
    value = container.get(key)
    if value is None:
        raise BadRequest(f"The property '{key}' is required on {what}.")
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"The property '{key}' on {what} must be a non-empty string.")
    return value


def optional_list(container: JsonObject, key: str, what: str) -> list[Any]:
    """An optional array property ([] when absent or null), or a 400 when it is not an array."""
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(
            f"The property '{key}' on {what} must be an array, got {type_name(value)}."
        )
    return value


def require_bool(container: JsonObject, key: str, what: str) -> bool:
    """A required boolean property, or a 400."""
    value = container.get(key)
    if not isinstance(value, bool):
        raise BadRequest(f"The property '{key}' on {what} is required and must be a boolean.")
    return value


def optional_tags(body: JsonObject) -> dict[str, str]:
    """The `tags` object of a body ({} when absent); values must be strings (ARM tag rules)."""
    tags = body.get("tags")
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise BadRequest("The property 'tags' must be an object of string values.")
    return dict(tags)


def check_field_types(container: JsonObject, fields: Mapping[str, str], where: str) -> None:
    """Each modelled field sent with the JSON type its spec declares (null counts as absent).

    A wrongly typed member cannot be deserialized by the service, so it is rejected as ARM's
    deserializer rejects it: 400 InvalidRequestContent (public CLI transcripts; the per-RP
    code is UNCONFIRMED). Storing it would be a fake success that the SDK could
    not read back.
    """
    for field_name, expected in fields.items():
        value = container.get(field_name)
        if value is not None and type_name(value) != expected:
            path = f"{where}.{field_name}" if where else field_name
            raise InvalidRequestContent(
                f"'{path}' must be a {expected}, got {type_name(value)} ({json.dumps(value)})."
            )


def type_name(value: Any) -> str:
    """JSON's name for a Python value's type, for error messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")
