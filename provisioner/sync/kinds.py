"""The sync half of the kind registry: each kind's field tree, safety rules, notes and references.

The stages (diff, plan, apply) ask here, or the model's KindModel methods, instead of branching
on the model's classes; each kind's behaviour lives in its own module of provisioner.sync.behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from provisioner import kinds
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import Resource
from provisioner.sync.behaviour import action_groups, processing_rules, vaults
from provisioner.sync.changes import Change, Reference
from provisioner.sync.fields import Tree


def _no_notes(rid: ResourceId, have: Any) -> Iterable[str]:
    return ()


def _no_references(resource: Any) -> Iterable[Reference]:
    return ()


@dataclass(frozen=True, slots=True)
class SyncKind:
    """What diff, plan and apply need of one kind beyond the pure facts of provisioner.kinds."""

    kind: Kind
    # The resource as a field tree named like its spec keys: what diffs compare and plans show.
    fields: Callable[[Any], Tree]
    # Why a change of it makes a plan unsafe ("turns off the job failure alerts of ...").
    risks: Callable[[Change], Iterable[str]]
    # Warnings about the live twin of a declared resource that no apply can fix.
    notes: Callable[[ResourceId, Any], Iterable[str]] = _no_notes
    # What a declared resource names that must exist (a rule's vaults and action groups).
    references: Callable[[Any], Iterable[Reference]] = _no_references


SYNC_KINDS: Final[dict[Kind, SyncKind]] = {
    kinds.ACTION_GROUP: SyncKind(
        kinds.ACTION_GROUP,
        fields=action_groups.action_group_fields,
        risks=action_groups.risks,
        notes=action_groups.notes,
    ),
    kinds.PROCESSING_RULE: SyncKind(
        kinds.PROCESSING_RULE,
        fields=processing_rules.processing_rule_fields,
        risks=processing_rules.risks,
        references=processing_rules.references,
    ),
    kinds.VAULT: SyncKind(kinds.VAULT, fields=vaults.vault_fields, risks=vaults.risks),
}


def of(resource: Resource) -> SyncKind:
    """The sync half of the resource's kind."""
    return SYNC_KINDS[resource.KIND]


def resource_fields(resource: Resource) -> Tree:
    """The field tree of a resource of any kind."""
    return of(resource).fields(resource)
