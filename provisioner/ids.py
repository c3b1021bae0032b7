"""ResourceId: parse and format ARM resource IDs; identity is case-insensitive, rendering canonical."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from provisioner.kinds import ACTION_GROUP, KINDS, PROCESSING_RULE, VAULT, by_arm_type

ACTION_GROUP_TYPE = ACTION_GROUP.arm_type
PROCESSING_RULE_TYPE = PROCESSING_RULE.arm_type
VAULT_TYPE = VAULT.arm_type

# ARM returns these segments in varying case (`microsoft.insights`, `resourcegroups`); we render
# one spelling so that plans and messages are stable whatever casing Azure chose.
_CANONICAL_CASE = {word.lower(): word for kind in KINDS for word in kind.arm_type.split("/")}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def is_guid(text: str) -> bool:
    """True when text is a GUID such as an Azure subscription ID."""
    return bool(_GUID.match(text))


@dataclass(frozen=True, slots=True, eq=False)
class ResourceId:
    """An ARM ID: a subscription, a resource group, or a (possibly nested) resource.

    Equality and hashing ignore case, as ARM does; `str()` gives the canonical spelling with
    the casing of names preserved.
    """

    subscription: str
    resource_group: str | None = None
    provider: str | None = None
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    # The case-insensitive identity, computed once: diffs and live reads of thousands of
    # resources hash and compare IDs hundreds of thousands of times.
    _key: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key", tuple(part.lower() for part in self._segments()))

    @classmethod
    def parse(cls, text: str) -> ResourceId:
        """Parse an ARM ID; raise ValueError naming what is wrong with it."""
        parts = [p for p in text.strip().split("/") if p]
        if not text.startswith("/") or len(parts) < 2 or parts[0].lower() != "subscriptions":
            raise ValueError(f"{text!r} is not an ARM ID (it must start with /subscriptions/)")
        subscription, rest = parts[1], parts[2:]
        group: str | None = None
        if rest and rest[0].lower() == "resourcegroups":
            if len(rest) < 2:
                raise ValueError(f"{text!r} has no resource group name after /resourceGroups/")
            group, rest = rest[1], rest[2:]
        if not rest:
            return cls(subscription.lower(), group)
        return cls._parse_provider_part(text, subscription.lower(), group, rest)

    @classmethod
    def _parse_provider_part(
        cls, text: str, subscription: str, group: str | None, rest: list[str]
    ) -> ResourceId:
        if rest[0].lower() != "providers" or len(rest) < 4 or len(rest) % 2:
            raise ValueError(
                f"{text!r} is not an ARM ID: expected /providers/<Namespace>/<type>/<name>"
            )
        provider = _canonical(rest[1])
        pairs = rest[2:]
        types = tuple(_canonical(t) for t in pairs[0::2])
        return cls(subscription, group, provider, types, tuple(pairs[1::2]))

    @classmethod
    def for_resource(
        cls, subscription: str, resource_group: str, resource_type: str, name: str
    ) -> ResourceId:
        """The ID of a top-level resource, e.g. type "Microsoft.Insights/actionGroups"."""
        provider, kind = resource_type.split("/")
        return cls(subscription.lower(), resource_group, provider, (kind,), (name,))

    @property
    def key(self) -> tuple[str, ...]:
        """The case-insensitive identity of this ID."""
        return self._key

    @property
    def name(self) -> str:
        """The resource's own name (or the group's, or the subscription's)."""
        if self.names:
            return self.names[-1]
        return self.resource_group if self.resource_group is not None else self.subscription

    @property
    def resource_type(self) -> str | None:
        """The full type, e.g. "Microsoft.Insights/actionGroups"; None for a subscription or group."""
        if self.provider is None:
            return None
        return "/".join((self.provider, *self.types))

    @property
    def is_subscription(self) -> bool:
        return self.resource_group is None and self.provider is None

    @property
    def is_resource_group(self) -> bool:
        return self.resource_group is not None and self.provider is None

    def resource_group_id(self) -> ResourceId:
        """The resource group this resource lives in."""
        if self.resource_group is None:
            raise ValueError(f"{self} is not inside a resource group")
        return ResourceId(self.subscription, self.resource_group)

    def describe(self) -> str:
        """A readable phrase for messages: `action group "ag-x" (rg "rg-y", sub "…")`."""
        if self.is_subscription:
            return f'subscription "{self.subscription}"'
        if self.is_resource_group:
            return f'resource group "{self.resource_group}" (sub "{self.subscription}")'
        kind = by_arm_type(self.resource_type)
        label = kind.label if kind is not None else self.resource_type
        return f'{label} "{self.name}" (rg "{self.resource_group}", sub "{self.subscription}")'

    def _segments(self) -> list[str]:
        segments = ["subscriptions", self.subscription]
        if self.resource_group is not None:
            segments += ["resourceGroups", self.resource_group]
        if self.provider is not None:
            segments += ["providers", self.provider]
            for kind, name in zip(self.types, self.names, strict=True):
                segments += [kind, name]
        return segments

    def __str__(self) -> str:
        return "/" + "/".join(self._segments())

    def __repr__(self) -> str:
        return f"ResourceId({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResourceId):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __lt__(self, other: ResourceId) -> bool:
        return self._key < other._key


def _canonical(word: str) -> str:
    return _CANONICAL_CASE.get(word.lower(), word)
