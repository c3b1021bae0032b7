"""Spec documents → DesiredState: defaults applied, references resolved, ownership tags added.

Each kind's entries are built by its spec half (provisioner.spec.kinds), pass by pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from provisioner.errors import SpecError, SpecProblem
from provisioner.ids import ResourceId
from provisioner.model import Resource, VaultSelector
from provisioner.spec import kinds as spec_kinds
from provisioner.spec.building import Builder, VaultSelection
from provisioner.spec.document import SpecDocument
from provisioner.spec.entries import entries
from provisioner.spec.files import sorted_problems
from provisioner.spec.variables import missing_variables
from provisioner.spec.yaml_loader import JsonPath

__all__ = ["DesiredState", "VaultSelection", "build", "check_across"]


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
    builder = Builder(env)
    for build_pass in spec_kinds.build_passes():  # what others name is declared first
        for document in documents:
            _build_pass(builder, document, build_pass)
    owners = frozenset(d.owner for d in documents if d.is_sound(()))
    if env is not None:
        builder.problems += missing_variables(documents, env)
    problems = sorted_problems(builder.problems)  # each said once, a bounded number per file
    return _state(builder, owners), problems


def _build_pass(builder: Builder, doc: SpecDocument, build_pass: int) -> None:
    """The entries of one file whose kind builds in this pass; a flawed entry's name is kept so
    that naming it is not reported on top of its own problems."""
    for section, index, entry in entries(doc):
        spec_kind = spec_kinds.of_section(section)
        path: JsonPath = (section, index)
        if spec_kind.build_pass != build_pass:
            continue
        if doc.is_sound(path):
            spec_kind.build(builder, doc, path, entry)
        else:
            builder.remember_flawed(spec_kind.kind, entry)


def _state(builder: Builder, owners: frozenset[str]) -> DesiredState:
    order = sorted(builder.resources)
    return DesiredState(
        resources=MappingProxyType({rid: builder.resources[rid] for rid in order}),
        sources=MappingProxyType({rid: builder.sources[rid] for rid in order}),
        owners=owners,
        resource_groups=frozenset(
            rid.resource_group_id()
            for rid, resource in builder.resources.items()
            if resource.KIND.owned
        ),
        vaults=frozenset(builder.vaults),
        rule_selectors=MappingProxyType(
            {rid: builder.rule_selectors[rid] for rid in order if rid in builder.rule_selectors}
        ),
        vault_selections=tuple(builder.vault_selections),
        reference_sources=MappingProxyType(dict(builder.reference_sources)),
    )
