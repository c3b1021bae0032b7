"""The export half of the kind registry: how each kind's model becomes its spec entry.

to_spec iterates over this registry instead of naming kinds; each kind's entry lives in its own
module of provisioner.export.behaviour (docs/adding-a-kind.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from provisioner import kinds
from provisioner.export.behaviour import action_groups, processing_rules, vaults
from provisioner.export.behaviour.common import Document, SpecContext
from provisioner.kinds import Kind


@dataclass(frozen=True, slots=True)
class ExportKind:
    """What export needs of one kind beyond provisioner.kinds."""

    kind: Kind
    # A resource of the kind as its entry in the kind's spec section (what desired reads back).
    entry: Callable[[Any, SpecContext], Document]


EXPORT_KINDS: Final[dict[Kind, ExportKind]] = {
    kinds.ACTION_GROUP: ExportKind(kinds.ACTION_GROUP, action_groups.action_group_entry),
    kinds.PROCESSING_RULE: ExportKind(kinds.PROCESSING_RULE, processing_rules.rule_entry),
    kinds.VAULT: ExportKind(kinds.VAULT, vaults.vault_entry),
}
