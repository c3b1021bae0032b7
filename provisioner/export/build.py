"""Export: choose what and whose to export, one spec file per resource group, and what to tell the user."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from provisioner.errors import AlertsyncError
from provisioner.export.self_check import refused_entries
from provisioner.export.spec_yaml import SCHEMA_URL, to_yaml
from provisioner.export.to_spec import SpecContext, file_document
from provisioner.ids import ResourceId
from provisioner.kinds import KINDS
from provisioner.model import (
    ActionGroup,
    AlertProcessingRule,
    Resource,
    Secret,
    VaultAlertSettings,
    owner_of,
    plural,
)

__all__ = [
    "SCHEMA_URL",
    "Dangling",
    "Export",
    "ExportError",
    "Skipped",
    "Snapshot",
    "SpecFile",
    "VariableNaming",
    "WebhookVariable",
    "choose_owner",
    "dangling_references",
    "export",
    "summary_lines",
    "variable_namings",
    "webhook_variables",
]

WEBHOOK_VARIABLE_PREFIX: Final = "ALERTSYNC_WEBHOOK_"
_OWNER_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")

Owned = ActionGroup | AlertProcessingRule


class ExportError(AlertsyncError):
    """The export cannot be written as asked (owner unknown, files exist, folder not writable)."""


# --- input and output ------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What was read from Azure for an export: every resource of the listed scope."""

    subscription: str
    action_groups: tuple[ActionGroup, ...] = ()
    rules: tuple[AlertProcessingRule, ...] = ()
    vaults: tuple[VaultAlertSettings, ...] = ()
    # Groups with receivers the model cannot carry (live.LiveState.unsupported_receivers).
    unsupported: Mapping[ResourceId, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # The resource groups listed; empty: the whole subscription was.
    resource_groups: tuple[str, ...] = ()

    def listed(self, resource_id: ResourceId) -> bool:
        """Whether the snapshot would hold `resource_id` if it existed (it lies in a listed scope)."""
        if str(resource_id.subscription).lower() != self.subscription.lower():
            return False
        homes = {rg.lower() for rg in self.resource_groups}
        return not homes or str(resource_id.resource_group).lower() in homes


@dataclass(frozen=True, slots=True)
class Dangling:
    """An exported rule that adds an action group Azure no longer has (deleted while in use)."""

    rule: ResourceId
    group: ResourceId


@dataclass(frozen=True, slots=True)
class WebhookVariable:
    """An environment variable the exported specs read a webhook URL from."""

    name: str
    group: ResourceId
    receiver: str
    value: Secret  # never written; tests (and a careful caller) can set the variable from it


@dataclass(frozen=True, slots=True)
class Skipped:
    """A live resource left out of the export, and why."""

    id: ResourceId
    reason: str


@dataclass(frozen=True, slots=True)
class SpecFile:
    """One exported spec file: its name (relative to the output folder), data and text."""

    name: str
    document: Mapping[str, Any]
    text: str
    # The resource each entry declares, by section: `ids["actionGroups"][0]` is the first group.
    ids: Mapping[str, tuple[ResourceId, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Export:
    """The outcome of an export; the CLI writes `files` and prints the rest as hints."""

    owner: str
    files: tuple[SpecFile, ...] = ()
    variables: tuple[WebhookVariable, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    unmanaged: tuple[ResourceId, ...] = ()  # exported without ownership tags: apply needs --adopt
    dangling: tuple[Dangling, ...] = ()  # written as Azure holds them; plan refuses them


# --- the export ------------------------------------------------------------------------------


def export(
    snapshot: Snapshot,
    owner: str | None = None,
    schema_ref: str = SCHEMA_URL,
    naming: VariableNaming | None = None,
) -> Export:
    """Spec files (one per resource group) that `desired.build` turns back into `snapshot`.

    `naming` (from variable_namings) keeps webhook variables unique across the subscriptions
    exported together.

    The files are validated as `validate` would: a resource whose spec would be refused
    (Azure holds values the spec language forbids) is left out and reported, never written
    into a file that then fails validation as a whole.
    """
    refused: dict[ResourceId, str] = {}
    while True:
        result = _export(snapshot, owner, schema_ref, refused, naming)
        found = refused_entries(result.files)
        if not found or found.keys() <= refused.keys():
            return result
        refused |= found


def _export(
    snapshot: Snapshot,
    owner: str | None,
    schema_ref: str,
    refused: Mapping[ResourceId, str],
    naming: VariableNaming | None,
) -> Export:
    owned: list[Owned] = [*snapshot.action_groups, *snapshot.rules]
    if not owned and not snapshot.vaults:
        return Export(owner or "")
    chosen = choose_owner(owned, owner)
    skipped = _skipped(snapshot, chosen, refused)
    left_out = {s.id for s in skipped}
    groups = [g for g in snapshot.action_groups if g.id not in left_out]
    rules = [r for r in snapshot.rules if r.id not in left_out]
    kept: list[Owned] = [*groups, *rules]
    variables = webhook_variables(groups, naming)
    names = {key: v.name for key, v in variables.items()}
    context = SpecContext(chosen, snapshot.subscription, "", _group_names(groups), names)
    vaults = [v for v in snapshot.vaults if v.id not in left_out]
    files = _files(context, [*groups, *rules, *vaults], schema_ref)
    return Export(
        owner=chosen,
        files=files,
        variables=tuple(variables.values()),
        skipped=skipped,
        unmanaged=tuple(sorted(r.id for r in kept if owner_of(r.tags) is None)),
        dangling=dangling_references(snapshot, rules),
    )


def dangling_references(
    snapshot: Snapshot, rules: Iterable[AlertProcessingRule]
) -> tuple[Dangling, ...]:
    """Rules naming a group that the snapshot's scope was listed for but does not hold.

    Azure lets an action group be deleted while rules still add it
    (docs/azure-behaviour.md#dangling-action-group-references); a group outside the listed
    scope is not judged, since the export did not read it.
    """
    present = {g.id for g in snapshot.action_groups}
    return tuple(
        Dangling(rule.id, gid)
        for rule in sorted(rules, key=lambda r: r.id)
        for gid in rule.action_group_ids
        if gid not in present and snapshot.listed(gid)
    )


def choose_owner(resources: Iterable[Owned], requested: str | None) -> str:
    """`requested` when given; else the one owner all managed resources share."""
    if requested is not None:
        if not _OWNER_PATTERN.match(requested):
            raise ExportError(
                f"owner {requested!r} is not valid: use 1-63 letters, digits, '-' or '_', "
                "starting with a letter or digit"
            )
        return requested
    owners = sorted({o for r in resources if (o := owner_of(r.tags))})  # exact, as Azure's tags
    if len(owners) == 1:
        return owners[0]
    if not owners:
        raise ExportError(
            "none of the exported resources carries alertsync's ownership tags, so the spec "
            "files' owner is unknown: give --owner NAME"
        )
    raise ExportError(
        f"the exported resources belong to several owners ({', '.join(owners)}): give --owner "
        "NAME to export that owner's resources and the unmanaged ones"
    )


def _skipped(
    snapshot: Snapshot, owner: str, refused: Mapping[ResourceId, str]
) -> tuple[Skipped, ...]:
    """Resources whose specs could not be planned as they are: another owner's, inexpressible,
    or refused by the spec checks."""
    found = [
        Skipped(rid, f"its spec would not pass validation ({why}); fix it in Azure first")
        for rid, why in refused.items()
    ]
    owned: list[Owned] = [*snapshot.action_groups, *snapshot.rules]
    for resource in owned:
        other = owner_of(resource.tags)
        if other is not None and other != owner:
            found.append(Skipped(resource.id, f'managed by owner "{other}"'))
    for gid, receivers in snapshot.unsupported.items():
        found.append(
            Skipped(gid, f"has receivers alertsync cannot manage yet ({', '.join(receivers)})")
        )
    for rule in snapshot.rules:
        if rule.action_type == "AddActionGroups" and not rule.action_group_ids:
            found.append(Skipped(rule.id, "adds no action group (the spec language needs one)"))
    return tuple(sorted({s.id: s for s in found}.values(), key=lambda s: s.id))


def _group_names(groups: Sequence[ActionGroup]) -> Mapping[ResourceId, str]:
    """Groups rules may name: those whose name is unique in the export (else: full IDs)."""
    counts: dict[str, int] = {}
    for g in groups:
        counts[g.id.name.casefold()] = counts.get(g.id.name.casefold(), 0) + 1
    return {g.id: g.id.name for g in groups if counts[g.id.name.casefold()] == 1}


@dataclass(frozen=True)
class VariableNaming:
    """How one subscription's webhook variables are named when several are exported together.

    A name that two subscriptions would both use (the same group and receiver names) gets the
    subscription's tag: one variable for two webhooks would give both the same URL.
    """

    shared: frozenset[str] = frozenset()  # names another exported subscription would use too
    tag: str = ""  # _SUB_<first 8 hex digits of the subscription ID> (all 32 when not unique)


def variable_namings(snapshots: Sequence[Snapshot]) -> dict[str, VariableNaming]:
    """Each snapshot's VariableNaming, by subscription; the same whatever their order."""
    names = {s.subscription: set(_base_names(s.action_groups)) for s in snapshots}
    shared = frozenset(
        name for name in set().union(*names.values()) if sum(name in n for n in names.values()) > 1
    )
    hex_ids = {sub: re.sub(r"[^0-9A-F]", "", sub.upper()) for sub in names}
    short = {sub: hex_id[:8] for sub, hex_id in hex_ids.items()}
    unique_short = len(set(short.values())) == len(short)
    return {
        sub: VariableNaming(
            frozenset(n for n in shared if n in names[sub]),
            "_SUB_" + (short[sub] if unique_short else hex_ids[sub]),
        )
        for sub in names
    }


def _base_names(groups: Iterable[ActionGroup]) -> Iterable[str]:
    return (_variable_name(g.id.name, r.name) for g in groups for r in g.webhook_receivers)


def webhook_variables(
    groups: Iterable[ActionGroup], naming: VariableNaming | None = None
) -> dict[tuple[ResourceId, str], WebhookVariable]:
    """One environment variable per webhook receiver, ALERTSYNC_WEBHOOK_<GROUP>_<RECEIVER>
    (then _SUB_<subscription> where another exported subscription has the same name)."""
    naming = naming or VariableNaming()
    found: dict[tuple[ResourceId, str], WebhookVariable] = {}
    used: set[str] = set()
    for group in sorted(groups, key=lambda g: g.id):
        for receiver in group.webhook_receivers:
            name = _variable_name(group.id.name, receiver.name)
            name = _unique(name + naming.tag if name in naming.shared else name, used)
            found[(group.id, receiver.name)] = WebhookVariable(
                name, group.id, receiver.name, receiver.service_uri
            )
    return found


def _variable_name(group: str, receiver: str) -> str:
    words = re.sub(r"[^A-Z0-9]+", "_", f"{group}_{receiver}".upper()).strip("_")
    return WEBHOOK_VARIABLE_PREFIX + (words or "URL")


def _unique(name: str, used: set[str]) -> str:
    candidate, number = name, 2
    while candidate in used:
        candidate, number = f"{name}_{number}", number + 1
    used.add(candidate)
    return candidate


def _files(
    context: SpecContext, resources: Sequence[Resource], schema_ref: str
) -> tuple[SpecFile, ...]:
    """One file per resource group (compared ignoring case, as ARM does), in name order."""
    homes: dict[str, str] = {}  # lower-cased name -> its first spelling in ID order
    for resource_id in sorted(r.id for r in resources):
        rg = str(resource_id.resource_group)
        homes.setdefault(rg.lower(), rg)
    by_home = _by_home(resources)
    files = []
    for key, rg in sorted(homes.items()):
        here = by_home.get(key, [])
        document = file_document(dataclasses.replace(context, resource_group=rg), here)
        ids = {kind.section: _ids(r for r in here if r.KIND is kind) for kind in KINDS}
        files.append(SpecFile(f"{rg}.yaml", document, to_yaml(document, schema_ref), ids))
    return tuple(files)


def _ids(resources: Iterable[Resource]) -> tuple[ResourceId, ...]:
    """In the order file_document writes the entries: by ID."""
    return tuple(sorted(r.id for r in resources))


def _by_home(resources: Sequence[Resource]) -> dict[str, list[Resource]]:
    """The resources by lower-cased resource group, in their given order."""
    found: dict[str, list[Resource]] = {}
    for resource in resources:
        found.setdefault(str(resource.id.resource_group).lower(), []).append(resource)
    return found


# --- what to tell the user -------------------------------------------------------------------


def summary_lines(result: Export, destination: str) -> list[str]:
    """What was exported where, what was left out, and what the user must do before plan/apply."""
    if not result.files:
        return [f"Nothing to export{_skipped_note(result)}.", *_skipped_lines(result)]
    counts = {
        kind: sum(len(file.document.get(kind.section, ())) for file in result.files)
        for kind in KINDS
    }
    what = ", ".join(plural(n, kind.label) for kind, n in counts.items())
    names = ", ".join(f.name for f in result.files)
    lines = [f'Exported {what} (owner "{result.owner}") to {destination}: {names}.']
    adopt = _adopt_lines(result, "DIR" if destination == "stdout" else destination)
    dangling = _dangling_lines(result)
    return lines + _skipped_lines(result) + dangling + _variable_lines(result) + adopt


def _skipped_note(result: Export) -> str:
    return f" ({plural(len(result.skipped), 'resource')} skipped)" if result.skipped else ""


def _skipped_lines(result: Export) -> list[str]:
    return [f"Skipped {s.id.describe()}: {s.reason}." for s in result.skipped]


def _dangling_lines(result: Export) -> list[str]:
    return [
        f"{d.rule.describe()} adds {d.group.describe()}, which no longer exists in Azure (deleted "
        "while the rule still used it): it was exported as Azure holds it, and plan will refuse "
        "it until the rule names an existing group or the specs declare this one."
        for d in result.dangling
    ]


def _variable_lines(result: Export) -> list[str]:
    if not result.variables:
        return []
    lines = ["Webhook URLs are secrets and were not written: set these variables for plan/apply:"]
    return lines + [
        f'  {v.name}  (webhook receiver "{v.receiver}" of {v.group.describe()})'
        for v in result.variables
    ]


def _adopt_lines(result: Export, folder: str) -> list[str]:
    if not result.unmanaged:
        return []
    return [
        f"{plural(len(result.unmanaged), 'exported resource')} without alertsync's ownership "
        f"tags: the first plan/apply needs --adopt (`alertsync apply {folder} --adopt`) to tag them."
    ]
