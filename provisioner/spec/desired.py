"""Spec documents → DesiredState: defaults applied, references resolved, ownership tags added."""

from __future__ import annotations

import difflib
import unicodedata
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from provisioner.errors import SpecError, SpecProblem
from provisioner.ids import ACTION_GROUP_TYPE, PROCESSING_RULE_TYPE, VAULT_TYPE, ResourceId
from provisioner.model import (
    ALL_OPERATORS,
    FIELD_OPERATORS,
    GLOBAL_LOCATION,
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    OWNER_TAG,
    ActionGroup,
    AlertProcessingRule,
    ArmRoleReceiver,
    Condition,
    ConditionField,
    EmailReceiver,
    Operator,
    Recurrence,
    RecurrenceType,
    Resource,
    Schedule,
    Secret,
    SmsReceiver,
    Tags,
    VaultAlertSettings,
    VaultSelector,
    WebhookReceiver,
    canonical_guid,
    canonical_location,
    canonical_recurrences,
    make_tags,
    sort_receivers,
)
from provisioner.spec.document import SpecDocument
from provisioner.spec.files import sorted_problems
from provisioner.spec.semantic import entries, home, is_selector, scope_id, vault_selector
from provisioner.spec.variables import missing_variables
from provisioner.spec.yaml_loader import JsonPath
from provisioner.timezones import canonical_time_zone

Entry = Mapping[str, Any]

# Spec keys are the camelCase of the API's PascalCase condition fields and operators.
_FIELDS: Final[dict[str, ConditionField]] = {f[0].lower() + f[1:]: f for f in FIELD_OPERATORS}
_OPERATORS: Final[dict[str, Operator]] = {o[0].lower() + o[1:]: o for o in ALL_OPERATORS}
_RECURRENCES: Final[dict[str, RecurrenceType]] = {
    "daily": "Daily",
    "weekly": "Weekly",
    "monthly": "Monthly",
}


def webhook_url_flaw(value: str) -> str | None:
    """Why `value` is not a webhook URL Azure can call (an https URL, nothing else), or None.

    Worded without the value itself: it is a secret.
    """
    if not value.strip():
        return "is not set or empty"
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in value):
        return "holds whitespace or a control character (a trailing newline?); set the bare URL"
    try:
        parts = urllib.parse.urlsplit(value)
        https = parts.scheme.lower() == "https" and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        https = False
    if not https:
        return "does not hold an https URL (https://host/path…)"
    return None


def unresolved_secret(variable: str) -> Secret:
    """The placeholder for a webhook URL when validating without the environment (env=None)."""
    return Secret(f"${{{variable}}}")


@dataclass(frozen=True, slots=True)
class VaultSelection:
    """A `vaults:` entry with `select`: these settings for every vault the selector matches."""

    selector: VaultSelector
    job_failure_alerts: bool | None
    classic_alerts: bool | None
    source: str  # "specs/backup.yaml:12"


@dataclass(frozen=True)
class DesiredState:
    """What the specs ask for, keyed by resource identity; the diff compares it with live."""

    resources: Mapping[ResourceId, Resource]  # in sorted id order
    sources: Mapping[ResourceId, str]  # "specs/backup.yaml:12": where each was declared
    owners: frozenset[str]  # owners of all files
    resource_groups: frozenset[ResourceId]  # home groups of declared action groups and rules
    vaults: frozenset[ResourceId]  # every vault named (vaults: entries and vault scopes)
    # Vault selectors of each rule: its scopes above hold only what is named; the vaults the
    # selectors match are added at plan time (sync.selectors), from the live vault lists.
    rule_selectors: Mapping[ResourceId, tuple[VaultSelector, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    vault_selections: tuple[VaultSelection, ...] = ()  # `vaults:` entries with `select`

    @property
    def subscriptions(self) -> frozenset[str]:
        """Every subscription the specs use (lower case): where the owners' footprint is read."""
        return frozenset(
            {rid.subscription.lower() for rid in (*self.resources, *self.vaults)}
            | {s.subscription.lower() for s in self.selectors}
        )

    @property
    def selectors(self) -> frozenset[VaultSelector]:
        """Every vault selector of the specs: the vault lists a plan must read to resolve them."""
        return frozenset(
            {s for found in self.rule_selectors.values() for s in found}
            | {v.selector for v in self.vault_selections}
        )

    # (rule, scope or action group) → where the rule names it: a problem about one scope entry
    # points at that entry's line, not the rule's.
    reference_sources: Mapping[tuple[ResourceId, ResourceId], str] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @property
    def referenced_groups(self) -> frozenset[ResourceId]:
        """Action groups the rules add: declared in the specs, or managed elsewhere (full IDs).
        (What the resources use: KindModel.uses; only rules use anything, action groups.)"""
        return frozenset(group for resource in self.resources.values() for group in resource.uses())


def build(documents: Sequence[SpecDocument], env: Mapping[str, str] | None = None) -> DesiredState:
    """The desired state of valid documents; SpecError lists every problem across files.

    env=None validates only: webhook URLs become placeholders. Given env, every variable a
    webhook names must be set.
    """
    state, problems = check_across(documents, env)
    if problems:
        raise SpecError(problems)
    return state


def check_across(
    documents: Sequence[SpecDocument], env: Mapping[str, str] | None = None
) -> tuple[DesiredState, list[SpecProblem]]:
    """The checks across files (duplicates, references) over every entry without a problem of
    its own, so that one bad file does not hide another's mistakes; never raises SpecError.
    """
    builder = _Builder(env)
    for document in documents:
        builder.declare(document)
    for document in documents:
        builder.add_rules(document)
    owners = frozenset(d.owner for d in documents if d.is_sound(()))
    if env is not None:
        builder.problems += missing_variables(documents, env)
    problems = sorted_problems(builder.problems)  # each said once, a bounded number per file
    return builder.state(owners), problems


class _Builder:
    """Accumulates resources and problems; two passes so rules can name groups in any file."""

    def __init__(self, env: Mapping[str, str] | None) -> None:
        self.env = env
        self.resources: dict[ResourceId, Resource] = {}
        self.sources: dict[ResourceId, str] = {}
        self.declared_by: dict[ResourceId, str] = {}  # the owner of the file declaring each
        self.vaults: set[ResourceId] = set()
        self.rule_selectors: dict[ResourceId, tuple[VaultSelector, ...]] = {}
        self.vault_selections: list[VaultSelection] = []
        self.groups_by_name: dict[str, list[ResourceId]] = {}
        # Names of action groups left out for problems of their own: a rule naming one is not
        # told it is undeclared on top of the group's own message.
        self.flawed_group_names: set[str] = set()
        self.problems: list[SpecProblem] = []
        self.reference_sources: dict[tuple[ResourceId, ResourceId], str] = {}

    def state(self, owners: frozenset[str]) -> DesiredState:
        order = sorted(self.resources)
        return DesiredState(
            resources=MappingProxyType({rid: self.resources[rid] for rid in order}),
            sources=MappingProxyType({rid: self.sources[rid] for rid in order}),
            owners=owners,
            resource_groups=frozenset(
                rid.resource_group_id()
                for rid, resource in self.resources.items()
                if resource.KIND.owned
            ),
            vaults=frozenset(self.vaults),
            rule_selectors=MappingProxyType(
                {rid: self.rule_selectors[rid] for rid in order if rid in self.rule_selectors}
            ),
            vault_selections=tuple(self.vault_selections),
            reference_sources=MappingProxyType(dict(self.reference_sources)),
        )

    def declare(self, doc: SpecDocument) -> None:
        """First pass: action groups and vaults, so that rules can refer to any of them."""
        for section, index, entry in entries(doc):
            path: JsonPath = (section, index)
            if not doc.is_sound(path):
                self._remember_flawed(section, entry)
            elif section == "actionGroups":
                group = self._action_group(doc, path, entry)
                if self._add(doc, path, group):
                    self.groups_by_name.setdefault(group.id.name.casefold(), []).append(group.id)
            elif section == "vaults" and "select" in entry:
                self.vault_selections.append(_vault_selection(doc, path, entry))
            elif section == "vaults":
                vault = _vault(doc, entry)
                self._add(doc, path, vault)
                self.vaults.add(vault.id)

    def add_rules(self, doc: SpecDocument) -> None:
        """Second pass: alert processing rules, resolving action group names."""
        for section, index, entry in entries(doc):
            if section == "alertProcessingRules" and doc.is_sound((section, index)):
                rule = self._rule(doc, (section, index), entry)
                if self._add(doc, (section, index), rule):
                    self._add_selectors(rule.id, entry)

    def _remember_flawed(self, section: str, entry: Entry) -> None:
        name = entry.get("name")
        if section == "actionGroups" and isinstance(name, str):
            self.flawed_group_names.add(name.casefold())

    def _add(self, doc: SpecDocument, path: JsonPath, resource: Resource) -> bool:
        first = self.sources.get(resource.id)
        if first is not None:
            message = f"{resource.id.describe()} is declared twice: here and at {first}"
            other_owner = self.declared_by[resource.id]
            if not resource.KIND.owned and other_owner != doc.owner:
                label = resource.KIND.label
                message += (
                    f' (owners "{other_owner}" and "{doc.owner}"): a {label}\'s settings carry '
                    f"no owner tag, so two owners declaring one {label} would flip them back and "
                    f"forth; declare each {label} in one owner's specs only"
                )
            self.problems.append(doc.problem(path, message))
            return False
        self.resources[resource.id] = resource
        self.sources[resource.id] = doc.describe(path)
        self.declared_by[resource.id] = doc.owner
        return True

    # --- action groups -----------------------------------------------------------------------

    def _action_group(self, doc: SpecDocument, path: JsonPath, entry: Entry) -> ActionGroup:
        return ActionGroup(
            id=_resource_id(doc, entry, ACTION_GROUP_TYPE),
            short_name=entry["shortName"],
            enabled=entry.get("enabled", True),
            location=canonical_location(entry.get("location", GLOBAL_LOCATION)),
            tags=_tags(doc, entry),
            email_receivers=sort_receivers(_email(r) for r in entry.get("emailReceivers", [])),
            sms_receivers=sort_receivers(_sms(r) for r in entry.get("smsReceivers", [])),
            webhook_receivers=sort_receivers(self._webhooks(doc, path, entry)),
            arm_role_receivers=sort_receivers(
                _arm_role(r) for r in entry.get("armRoleReceivers", [])
            ),
        )

    def _webhooks(
        self, doc: SpecDocument, path: JsonPath, entry: Entry
    ) -> Iterator[WebhookReceiver]:
        for index, receiver in enumerate(entry.get("webhookReceivers", [])):
            where = (*path, "webhookReceivers", index, "serviceUriFromEnv")
            yield WebhookReceiver(
                name=receiver["name"],
                service_uri=self._secret(doc, where, receiver),
                use_common_alert_schema=receiver.get("useCommonAlertSchema", False),
                use_aad_auth=receiver.get("useAadAuth", False),
                object_id=canonical_guid(receiver.get("objectId")),
                identifier_uri=receiver.get("identifierUri"),
                tenant_id=canonical_guid(receiver.get("tenantId")),
            )

    def _secret(self, doc: SpecDocument, where: JsonPath, receiver: Entry) -> Secret:
        variable: str = receiver["serviceUriFromEnv"]
        if self.env is None:
            return unresolved_secret(variable)
        value = self.env.get(variable, "")
        flaw = webhook_url_flaw(value)
        # Unset or empty: missing_variables says it once, for every receiver that needs it.
        if flaw and value.strip():
            # Never the value: it is the secret, and this message ends up in CI logs.
            message = (
                f"environment variable {variable} {flaw}: webhook receiver "
                f"'{receiver['name']}' takes its URL from it"
            )
            self.problems.append(doc.problem(where, message))
        return Secret(value)

    # --- alert processing rules --------------------------------------------------------------

    def _rule(self, doc: SpecDocument, path: JsonPath, entry: Entry) -> AlertProcessingRule:
        rule_id = _resource_id(doc, entry, PROCESSING_RULE_TYPE)
        named = [
            (index, scope_id(s, rule_id.subscription, str(rule_id.resource_group)))
            for index, s in enumerate(entry["scopes"])
            if not is_selector(s)
        ]
        scopes = [scope for _, scope in named]
        self.vaults.update(
            s for s in scopes if (s.resource_type or "").lower() == VAULT_TYPE.lower()
        )
        for index, scope in named:
            self._referenced_at(rule_id, scope, doc.describe((*path, "scopes", index)))
        groups = self._group_ids(
            doc, (*path, "actionGroups"), entry.get("actionGroups", []), rule_id
        )
        return AlertProcessingRule(
            id=rule_id,
            scopes=tuple(sorted(set(scopes))),
            action_type="RemoveAllActionGroups"
            if entry.get("suppressNotifications")
            else "AddActionGroups",
            action_group_ids=tuple(sorted(set(groups))),
            conditions=_conditions(entry.get("conditions", {})),
            schedule=_schedule(entry["schedule"]) if "schedule" in entry else None,
            description=entry.get("description", ""),
            enabled=entry.get("enabled", True),
            location=GLOBAL_LOCATION,  # the only location alert processing rules take
            tags=_tags(doc, entry),
        )

    def _add_selectors(self, rule_id: ResourceId, entry: Entry) -> None:
        found = tuple(
            vault_selector(s["vaults"], rule_id.subscription)
            for s in entry["scopes"]
            if is_selector(s)
        )
        if found:
            self.rule_selectors[rule_id] = found

    def _group_ids(
        self, doc: SpecDocument, path: JsonPath, references: Sequence[str], rule_id: ResourceId
    ) -> list[ResourceId]:
        found = []
        for index, reference in enumerate(references):
            resolved = self._resolve_group(doc, (*path, index), reference)
            if resolved is not None:
                found.append(resolved)
                self._referenced_at(rule_id, resolved, doc.describe((*path, index)))
        return found

    def _referenced_at(self, rule_id: ResourceId, target: ResourceId, where: str) -> None:
        self.reference_sources.setdefault((rule_id, target), where)

    def _resolve_group(
        self, doc: SpecDocument, where: JsonPath, reference: str
    ) -> ResourceId | None:
        if reference.startswith("/"):
            return ResourceId.parse(reference)  # a group managed elsewhere (checked per file)
        candidates = self.groups_by_name.get(reference.casefold(), [])
        if len(candidates) == 1:
            return candidates[0]
        if not candidates and reference.casefold() in self.flawed_group_names:
            return None  # the group's own problems are reported where it is declared
        self.problems.append(doc.problem(where, self._reference_problem(reference, candidates)))
        return None

    def _reference_problem(self, reference: str, candidates: list[ResourceId]) -> str:
        if candidates:
            places = "; ".join(f"{c.describe()} at {self.sources[c]}" for c in candidates)
            return (
                f"action group name '{reference}' is ambiguous: {places}; give the full ID instead"
            )
        message = f"action group '{reference}' is not declared in these specs; declare it or give its full ID"
        names = sorted({rid.name for ids in self.groups_by_name.values() for rid in ids})
        close = difflib.get_close_matches(reference, names, n=1, cutoff=0.6)
        return f"{message} (did you mean '{close[0]}'?)" if close else message


# --- pure helpers ----------------------------------------------------------------------------


def _resource_id(doc: SpecDocument, entry: Entry, resource_type: str) -> ResourceId:
    subscription, group = home(doc, entry)
    assert subscription is not None and group is not None  # guaranteed by the per-file checks
    return ResourceId.for_resource(subscription, group, resource_type, entry["name"])


def _vault(doc: SpecDocument, entry: Entry) -> VaultAlertSettings:
    return VaultAlertSettings(
        id=_resource_id(doc, entry, VAULT_TYPE),
        job_failure_alerts=entry.get("jobFailureAlerts"),
        classic_alerts=entry.get("classicAlerts"),
    )


def _vault_selection(doc: SpecDocument, path: JsonPath, entry: Entry) -> VaultSelection:
    subscription, _ = home(doc, entry)
    assert subscription is not None  # guaranteed by the per-file checks
    return VaultSelection(
        selector=vault_selector(entry["select"], subscription),
        job_failure_alerts=entry.get("jobFailureAlerts"),
        classic_alerts=entry.get("classicAlerts"),
        source=doc.describe(path),
    )


def _tags(doc: SpecDocument, entry: Entry) -> Tags:
    """File tags, overridden by the resource's own (names ignore case), then ownership tags."""
    merged: dict[str, tuple[str, str]] = {}
    ownership = {MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: doc.owner}
    for tags in (doc.data.get("tags") or {}, entry.get("tags") or {}, ownership):
        merged.update({name.casefold(): (name, value) for name, value in tags.items()})
    return make_tags(dict(merged.values()))


def _email(receiver: Entry) -> EmailReceiver:
    return EmailReceiver(
        receiver["name"], receiver["address"].strip(), receiver.get("useCommonAlertSchema", False)
    )


def _sms(receiver: Entry) -> SmsReceiver:
    return SmsReceiver(receiver["name"], receiver["countryCode"], receiver["phoneNumber"])


def _arm_role(receiver: Entry) -> ArmRoleReceiver:
    role = canonical_guid(receiver["roleId"]) or ""
    return ArmRoleReceiver(receiver["name"], role, receiver.get("useCommonAlertSchema", False))


def _conditions(conditions: Mapping[str, Any]) -> tuple[Condition, ...]:
    built = []
    for key, condition in conditions.items():
        operator, values = (
            ("equals", condition) if isinstance(condition, list) else next(iter(condition.items()))
        )
        built.append(Condition.build(_FIELDS[key], _OPERATORS[operator], values))
    return tuple(sorted(built, key=lambda c: c.field))


def _schedule(schedule: Entry) -> Schedule:
    zone = schedule.get("timeZone")
    recurrences = (_recurrence(r) for r in schedule.get("recurrences", []))
    return Schedule(
        effective_from=schedule.get("effectiveFrom"),
        effective_until=schedule.get("effectiveUntil"),
        time_zone=canonical_time_zone(zone) if zone is not None else None,
        recurrences=canonical_recurrences(recurrences),
    )


def _recurrence(recurrence: Entry) -> Recurrence:
    """As written; canonical_recurrences orders and de-duplicates the days, as for live rules."""
    kind, window = next(iter(recurrence.items()))
    return Recurrence(
        type=_RECURRENCES[kind],
        start_time=window.get("startTime"),
        end_time=window.get("endTime"),
        days_of_week=tuple(window.get("daysOfWeek", [])),
        days_of_month=tuple(window.get("daysOfMonth", [])),
    )
