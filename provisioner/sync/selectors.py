"""Vault selectors resolved at plan time: desired rules and vault settings over the vaults listed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from provisioner.ids import ResourceId
from provisioner.model import (
    AlertProcessingRule,
    Resource,
    VaultAlertSettings,
    VaultSelector,
    plural,
)
from provisioner.spec.desired import DesiredState, VaultSelection
from provisioner.sync.diff import Problem

# The two settings a `vaults:` entry manages, as (model attribute, spec key).
_SETTINGS = (("job_failure_alerts", "jobFailureAlerts"), ("classic_alerts", "classicAlerts"))


@dataclass(frozen=True, slots=True)
class Match:
    """The vaults one selector matched, for the plan to show (`user` is the rule's ID, or None
    for a `vaults:` entry)."""

    selector: VaultSelector
    vaults: tuple[ResourceId, ...]
    source: str | None
    user: ResourceId | None = None

    def describe(self) -> str:
        """`vaults {resourceGroup: rg-backup} of alert processing rule "r" (…) matches 2 vaults: a, b`."""
        who = f"of {self.user.describe()}" if self.user else f"(vaults: select at {self.source})"
        found = ", ".join(v.name for v in self.vaults)
        return f"{self.selector.describe()} {who} matches {plural(len(self.vaults), 'vault')}" + (
            f": {found}" if found else ""
        )


@dataclass(frozen=True)
class Resolved:
    """The desired state with every selector replaced by the vaults it matches now."""

    desired: DesiredState
    matches: tuple[Match, ...] = ()
    problems: tuple[Problem, ...] = ()  # a rule left without scopes, conflicting settings
    warnings: tuple[str, ...] = ()  # a selector that matches nothing


def resolve(desired: DesiredState, vaults: Sequence[VaultAlertSettings]) -> Resolved:
    """Rules' scopes and vault settings for the vaults each selector matches among `vaults`
    (every vault the live read listed, with its tags)."""
    if not desired.selectors:
        return Resolved(desired)
    resources, sources = dict(desired.resources), dict(desired.sources)
    rule_matches, problems = _resolve_rules(desired, vaults, resources)
    vault_matches, conflicts = _resolve_settings(desired, vaults, resources, sources)
    matches = (*rule_matches, *vault_matches)
    order = sorted(resources)
    resolved = dataclasses.replace(
        desired,
        resources=MappingProxyType({rid: resources[rid] for rid in order}),
        sources=MappingProxyType({rid: sources[rid] for rid in order if rid in sources}),
    )
    warnings = tuple(m.describe() for m in matches if not m.vaults)
    return Resolved(resolved, matches, (*problems, *conflicts), warnings)


def _matching(
    selector: VaultSelector, vaults: Iterable[VaultAlertSettings]
) -> tuple[ResourceId, ...]:
    return tuple(sorted(v.id for v in vaults if selector.matches(v)))


def _resolve_rules(
    desired: DesiredState,
    vaults: Sequence[VaultAlertSettings],
    resources: dict[ResourceId, Resource],
) -> tuple[list[Match], list[Problem]]:
    matches, problems = [], []
    for rid, selectors in desired.rule_selectors.items():
        rule = resources[rid]
        assert isinstance(rule, AlertProcessingRule)
        source = desired.sources.get(rid)
        found = [Match(s, _matching(s, vaults), source, rid) for s in selectors]
        matches += found
        scopes = set(rule.scopes).union(*(m.vaults for m in found))
        if not scopes:
            problems.append(_without_scopes(rid, found, source))
        resources[rid] = dataclasses.replace(rule, scopes=tuple(sorted(scopes)))
    return matches, problems


def _without_scopes(rid: ResourceId, found: list[Match], source: str | None) -> Problem:
    # Azure takes no rule without a scope; planning one that covers nothing would also hide
    # that the selector is wrong (a typo in a tag) or that the vaults are not there yet.
    selectors = "; ".join(m.selector.describe() for m in found)
    return Problem(
        rid,
        f"{rid.describe()} would cover no vault: {selectors} matches none, and a rule needs at "
        "least one scope; fix the selector, add another scope, or create the vaults first",
        source,
    )


def _resolve_settings(
    desired: DesiredState,
    vaults: Sequence[VaultAlertSettings],
    resources: dict[ResourceId, Resource],
    sources: dict[ResourceId, str],
) -> tuple[list[Match], list[Problem]]:
    """Each selected vault takes its selections' settings; a vault the specs name by its own
    entry keeps that entry's (the more specific one wins)."""
    matches: list[Match] = []
    chosen: dict[ResourceId, list[VaultSelection]] = {}
    for selection in desired.vault_selections:
        found = _matching(selection.selector, vaults)
        matches.append(Match(selection.selector, found, selection.source))
        for vault in found:
            if vault not in desired.resources:
                chosen.setdefault(vault, []).append(selection)
    problems = []
    for vault, selections in sorted(chosen.items()):
        settings, conflict = _merged(vault, selections)
        if conflict is not None:
            problems.append(conflict)
            continue
        resources[vault] = settings
        sources[vault] = selections[0].source
    return matches, problems


def _merged(
    vault: ResourceId, selections: list[VaultSelection]
) -> tuple[VaultAlertSettings, Problem | None]:
    """One vault's settings from every selection that matched it; two that disagree on a
    setting are a problem (which to apply is the user's call, not the order of the files)."""
    values: dict[str, tuple[bool, str]] = {}
    for selection in selections:
        for attribute, key in _SETTINGS:
            value = getattr(selection, attribute)
            if value is None:
                continue
            first = values.setdefault(attribute, (value, selection.source))
            if first[0] != value:
                message = (
                    f"{vault.describe()} is selected with {key}: {str(first[0]).lower()} at "
                    f"{first[1]} and {key}: {str(value).lower()} at {selection.source}; narrow "
                    "one selector, or give the vault an entry of its own (by name), which wins"
                )
                return VaultAlertSettings(vault), Problem(vault, message, selection.source)
    job_failure, classic = (values.get(attribute, (None, ""))[0] for attribute, _ in _SETTINGS)
    return VaultAlertSettings(vault, job_failure, classic), None


def matches_data(matches: Iterable[Match]) -> list[dict[str, object]]:
    """Matches as JSON-ready data (the plan file's `selections`)."""
    return [
        {
            "selector": m.selector.describe(),
            "rule": str(m.user) if m.user else None,
            "source": m.source,
            "vaults": [str(v) for v in m.vaults],
        }
        for m in matches
    ]
