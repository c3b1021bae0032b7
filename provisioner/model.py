"""The canonical model: frozen dataclasses that both desired (YAML) and live (Azure) state become.

Everything is normalised on the way in (IDs, enum casing, order, defaults), so that two resources
that Azure would treat as the same compare equal with plain `==`. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, Protocol, TypeVar

from provisioner import kinds, masking
from provisioner.ids import ResourceId
from provisioner.kinds import Kind

MANAGED_BY_TAG: Final = "managed-by"
MANAGED_BY_VALUE: Final = "alertsync"
OWNER_TAG: Final = "alertsync-owner"
OWNERSHIP_TAGS: Final = (MANAGED_BY_TAG, OWNER_TAG)  # lower case: compare casefolded names

# Receiver arrays of actionGroups api 2023-01-01 that ActionGroup has no field for yet.
UNSUPPORTED_RECEIVER_KINDS: Final = (
    "itsmReceivers",
    "azureAppPushReceivers",
    "automationRunbookReceivers",
    "voiceReceivers",
    "logicAppReceivers",
    "azureFunctionReceivers",
    "eventHubReceivers",
)

GLOBAL_LOCATION: Final = "Global"

Tags = tuple[tuple[str, str], ...]


def make_tags(tags: Mapping[str, str] | None) -> Tags:
    """Tags in canonical order (by name, case-insensitively: ARM tag names ignore case)."""
    return tuple(sorted((tags or {}).items(), key=lambda kv: (kv[0].lower(), kv[0])))


def tag_value(tags: Tags, name: str) -> str | None:
    """The value of a tag, matching its name case-insensitively as ARM does."""
    return next((v for k, v in tags if k.lower() == name.lower()), None)


def owner_of(tags: Tags) -> str | None:
    """The owner of what alertsync manages: both ownership tags set; else None (unmanaged).

    The one definition of ownership that plan, prune, the safety rules and export share.
    """
    managed = tag_value(tags, MANAGED_BY_TAG)
    if managed is None or managed.lower() != MANAGED_BY_VALUE:
        return None
    return tag_value(tags, OWNER_TAG)


def canonical_location(location: str) -> str:
    """`Global` for the global location (any case); a region as ARM's short name (`westus`)."""
    if location.strip().lower() == "global":
        return GLOBAL_LOCATION
    return location.replace(" ", "").lower()


def canonical_guid(value: str | None) -> str | None:
    """GUIDs (role, object and tenant IDs) in lower case: Azure compares them ignoring case."""
    return value.lower() if value else None


@dataclass(frozen=True, slots=True, eq=False)
class Secret:
    """A value that must never be printed or written to a plan (a webhook URL with a key in it).

    Every secret alertsync holds is masked in its output from the moment it is made (a value
    Azure echoes back in an error message included); plan checksums carry only fingerprints
    (provisioner.fingerprint).
    """

    value: str

    def __post_init__(self) -> None:
        masking.remember(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    __str__ = __repr__


# --- Action groups ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmailReceiver:
    name: str
    address: str
    use_common_alert_schema: bool = False
    # Read-only in Azure (Enabled/Disabled when the recipient unsubscribed): shown, never diffed.
    status: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class SmsReceiver:
    name: str
    country_code: str
    phone_number: str
    status: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class WebhookReceiver:
    name: str
    service_uri: Secret
    use_common_alert_schema: bool = False
    use_aad_auth: bool = False
    object_id: str | None = None
    identifier_uri: str | None = None
    tenant_id: str | None = None


@dataclass(frozen=True, slots=True)
class ArmRoleReceiver:
    name: str
    role_id: str
    use_common_alert_schema: bool = False


Receiver = EmailReceiver | SmsReceiver | WebhookReceiver | ArmRoleReceiver
_R = TypeVar("_R", EmailReceiver, SmsReceiver, WebhookReceiver, ArmRoleReceiver)


def sort_receivers(receivers: Iterable[_R]) -> tuple[_R, ...]:
    """Receivers as a set keyed by name: Azure may return them in any order."""
    return tuple(sorted(receivers, key=lambda r: r.name.lower()))


@dataclass(frozen=True, slots=True)
class ActionGroup:
    KIND: ClassVar[Kind] = kinds.ACTION_GROUP

    id: ResourceId
    short_name: str
    enabled: bool = True
    location: str = GLOBAL_LOCATION
    tags: Tags = ()
    email_receivers: tuple[EmailReceiver, ...] = ()
    sms_receivers: tuple[SmsReceiver, ...] = ()
    webhook_receivers: tuple[WebhookReceiver, ...] = ()
    arm_role_receivers: tuple[ArmRoleReceiver, ...] = ()

    def uses(self) -> tuple[ResourceId, ...]:
        return ()


# --- Alert processing rules ------------------------------------------------------------------

ConditionField = Literal[
    "Severity",
    "MonitorService",
    "MonitorCondition",
    "SignalType",
    "TargetResourceType",
    "TargetResource",
    "TargetResourceGroup",
    "AlertRuleId",
    "AlertRuleName",
    "Description",
    "AlertContext",
]
Operator = Literal["Equals", "NotEquals", "Contains", "DoesNotContain"]

ALL_OPERATORS: Final[tuple[Operator, ...]] = ("Equals", "NotEquals", "Contains", "DoesNotContain")
_EQUALITY_ONLY: Final[tuple[Operator, ...]] = ("Equals", "NotEquals")

# Which operators each field takes (Terraform's azurerm provider enforces the same split for
# api 2021-08-08: docs/azure-behaviour.md#processing-rule-condition-operators).
FIELD_OPERATORS: Final[dict[ConditionField, tuple[Operator, ...]]] = {
    "Severity": _EQUALITY_ONLY,
    "MonitorService": _EQUALITY_ONLY,
    "MonitorCondition": _EQUALITY_ONLY,
    "SignalType": _EQUALITY_ONLY,
    "TargetResourceType": _EQUALITY_ONLY,
    "TargetResource": ALL_OPERATORS,
    "TargetResourceGroup": ALL_OPERATORS,
    "AlertRuleId": ALL_OPERATORS,
    "AlertRuleName": ALL_OPERATORS,
    "Description": ALL_OPERATORS,
    "AlertContext": ALL_OPERATORS,
}

# Enumerated condition values, in the spelling the SDK enums use; matched case-insensitively.
FIELD_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "Severity": ("Sev0", "Sev1", "Sev2", "Sev3", "Sev4"),
    "MonitorCondition": ("Fired", "Resolved"),
    "SignalType": ("Metric", "Log", "Unknown", "Health"),
}

# Fields whose values are ARM IDs or types: Azure compares them ignoring case, so do we.
CASE_INSENSITIVE_FIELDS: Final = frozenset(
    {"TargetResourceType", "TargetResource", "TargetResourceGroup", "AlertRuleId"}
)


def canonical_condition_value(condition_field: str, value: str) -> str:
    """One spelling per value: enum casing for enums, lower case for IDs and types."""
    known = FIELD_VALUES.get(condition_field, ())
    match = next((k for k in known if k.lower() == value.lower()), None)
    if match is not None:
        return match
    return value.lower() if condition_field in CASE_INSENSITIVE_FIELDS else value


@dataclass(frozen=True, slots=True)
class Condition:
    field: ConditionField
    operator: Operator
    values: tuple[str, ...]

    @classmethod
    def build(cls, field: ConditionField, operator: Operator, values: Iterable[str]) -> Condition:
        """A condition with its values canonical and in canonical (set) order."""
        canonical = {canonical_condition_value(field, v) for v in values}
        return cls(field, operator, tuple(sorted(canonical)))


DAYS_OF_WEEK: Final = (
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
)

RecurrenceType = Literal["Daily", "Weekly", "Monthly"]


@dataclass(frozen=True, slots=True)
class Recurrence:
    type: RecurrenceType
    start_time: str | None = None  # "HH:mm:ss", as the API takes it
    end_time: str | None = None
    days_of_week: tuple[str, ...] = ()  # Weekly: in DAYS_OF_WEEK order
    days_of_month: tuple[int, ...] = ()  # Monthly: ascending


_RECURRENCE_ORDER: Final = {"Daily": 0, "Weekly": 1, "Monthly": 2}
_DAY_SPELLING: Final = {d.lower(): d for d in DAYS_OF_WEEK}


def canonical_recurrence(recurrence: Recurrence) -> Recurrence:
    """Days of the week spelt and ordered as DAYS_OF_WEEK, days of the month ascending."""
    days = {_DAY_SPELLING.get(d.lower(), d) for d in recurrence.days_of_week}
    return Recurrence(
        type=recurrence.type,
        start_time=recurrence.start_time,
        end_time=recurrence.end_time,
        days_of_week=tuple(sorted(days, key=_day_position)),
        days_of_month=tuple(sorted(set(recurrence.days_of_month))),
    )


def canonical_recurrences(recurrences: Iterable[Recurrence]) -> tuple[Recurrence, ...]:
    """A schedule's recurrences as a set in one order, whichever side (spec or Azure) built them:
    Daily, Weekly, Monthly, then by times and days (weekdays by position, not by name)."""
    return tuple(sorted(set(map(canonical_recurrence, recurrences)), key=_recurrence_position))


def _day_position(day: str) -> tuple[int, str]:
    return (DAYS_OF_WEEK.index(day) if day in DAYS_OF_WEEK else len(DAYS_OF_WEEK), day)


def _recurrence_position(recurrence: Recurrence) -> tuple[Any, ...]:
    return (
        _RECURRENCE_ORDER.get(recurrence.type, len(_RECURRENCE_ORDER)),
        recurrence.start_time or "",
        recurrence.end_time or "",
        [_day_position(d) for d in recurrence.days_of_week],
        recurrence.days_of_month,
    )


@dataclass(frozen=True, slots=True)
class Schedule:
    effective_from: str | None = None  # "yyyy-MM-ddTHH:mm:ss", no offset: timeZone says which
    effective_until: str | None = None
    time_zone: str | None = None  # a Windows time zone name, e.g. "Tokyo Standard Time"
    recurrences: tuple[Recurrence, ...] = ()


ActionType = Literal["AddActionGroups", "RemoveAllActionGroups"]


@dataclass(frozen=True, slots=True)
class AlertProcessingRule:
    KIND: ClassVar[Kind] = kinds.PROCESSING_RULE

    id: ResourceId
    scopes: tuple[ResourceId, ...]  # sorted; all in the rule's subscription
    action_type: ActionType = "AddActionGroups"
    action_group_ids: tuple[ResourceId, ...] = ()  # sorted; empty for RemoveAllActionGroups
    conditions: tuple[Condition, ...] = ()  # sorted by field; at most one per field
    schedule: Schedule | None = None
    description: str = ""
    enabled: bool = True
    location: str = GLOBAL_LOCATION
    tags: Tags = ()

    def uses(self) -> tuple[ResourceId, ...]:
        """Its action groups: created before it, deleted after it."""
        return self.action_group_ids


# --- Recovery Services vaults ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VaultAlertSettings:
    """The vault's monitoringSettings that alertsync manages; None means "not managed".

    Vaults are never created or deleted by alertsync; only these settings are patched.
    """

    KIND: ClassVar[Kind] = kinds.VAULT

    id: ResourceId
    job_failure_alerts: bool | None = None  # azureMonitorAlertSettings.alertsForAllJobFailures
    classic_alerts: bool | None = None  # classicAlertSettings.alertsForCriticalOperations
    # The vault's own tags as Azure has them (live side only): what vault selectors match.
    # Never compared nor written: alertsync manages the settings, not the vault.
    tags: Tags = field(default=(), compare=False)

    def uses(self) -> tuple[ResourceId, ...]:
        return ()


@dataclass(frozen=True, slots=True, eq=False)
class VaultSelector:
    """Every Recovery Services vault of a subscription in `resource_group` (None: any) whose
    tags include all of `tags`; tag names match ignoring case, values exactly, as ARM does.
    Two selectors are equal when they select the same vaults (the same case-insensitivity)."""

    subscription: str
    resource_group: str | None = None
    tags: Tags = ()

    @property
    def key(self) -> tuple[str, str | None, Tags]:
        group = self.resource_group.lower() if self.resource_group is not None else None
        return (self.subscription.lower(), group, make_tags({k.lower(): v for k, v in self.tags}))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VaultSelector) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def matches(self, vault: VaultAlertSettings) -> bool:
        rid = vault.id
        if rid.subscription.lower() != self.subscription.lower():
            return False
        group = self.resource_group
        if group is not None and (rid.resource_group or "").lower() != group.lower():
            return False
        return all(tag_value(vault.tags, name) == value for name, value in self.tags)

    def describe(self) -> str:
        """`vaults {resourceGroup: rg-backup, tags: {env: prod}}` as the spec writes it."""
        parts = []
        if self.resource_group is not None:
            parts.append(f"resourceGroup: {self.resource_group}")
        if self.tags:
            parts.append("tags: {" + ", ".join(f"{k}: {v}" for k, v in self.tags) + "}")
        return "vaults {" + ", ".join(parts) + "}"


Resource = ActionGroup | AlertProcessingRule | VaultAlertSettings


class KindModel(Protocol):
    """What the stages ask of a resource of any kind, so that they need not know its class
    (tests/test_kinds.py holds every class of `Resource` to it)."""

    KIND: ClassVar[Kind]

    @property
    def id(self) -> ResourceId: ...

    @property
    def tags(self) -> Tags: ...

    def uses(self) -> tuple[ResourceId, ...]:
        """The resources it needs while it exists (created before it, deleted after it)."""
        ...


class OwnedModel(KindModel, Protocol):
    """A resource of an owned kind (`KIND.owned`): created, adopted and pruned by alertsync."""

    @property
    def location(self) -> str: ...


if TYPE_CHECKING:  # mypy --strict holds every kind's class to its Protocol here

    def _kind_models(resource: Resource) -> KindModel:
        return resource

    def _owned_models(resource: ActionGroup | AlertProcessingRule) -> OwnedModel:
        return resource


# A resource as a list returned it, with the parts of it the model cannot carry: e.g.
# ("voiceReceivers[ops]",) for an action group with a voice receiver (a PUT would drop them).
Listed = tuple[Resource, tuple[str, ...]]


def resource_owner(resource: Resource) -> str | None:
    """The owner of a resource of an owned kind; None when unmanaged, and for the kinds
    alertsync only tunes (a vault belongs to whoever created it: its settings carry no tags)."""
    if not resource.KIND.owned:
        return None
    return owner_of(resource.tags)


def plural(count: int, noun: str) -> str:
    """`1 vault`, `2 vaults`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
