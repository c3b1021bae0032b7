"""The spec half of the kind registry: how each kind's entries become the model, and their checks.

desired and semantic iterate over this registry instead of naming kinds; each kind's behaviour
lives in its own module of provisioner.spec.behaviour (docs/adding-a-kind.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from provisioner import kinds
from provisioner.errors import SpecProblem
from provisioner.kinds import Kind
from provisioner.spec.behaviour import action_groups, processing_rules, vaults
from provisioner.spec.behaviour.common import Flagged
from provisioner.spec.building import Builder
from provisioner.spec.document import SpecDocument
from provisioner.spec.entries import Entry
from provisioner.spec.yaml_loader import JsonPath

# Passes over every file, in order: what another kind's entries name by name is built first.
DECLARED_FIRST: Final = 1  # named by others (action groups), or naming nothing (vaults)
NAMES_RESOLVED: Final = 2  # names what the first pass declared (a rule's action groups)


def _full_home(entry: Entry) -> tuple[str, ...]:
    return ("subscription", "resourceGroup")


@dataclass(frozen=True, slots=True)
class SpecKind:
    """What validation and the desired state need of one kind beyond provisioner.kinds."""

    kind: Kind
    # The pass (over every file) in which its entries are built: after the kinds whose
    # resources it names, so a name declared in any file resolves.
    build_pass: int
    # A sound entry of its section into the builder: its resource(s), references and problems.
    build: Callable[[Builder, SpecDocument, JsonPath, Entry], None]
    # Its problems beyond the schema (of one file; values may have any type).
    check: Callable[[SpecDocument, JsonPath, Entry, Flagged], list[SpecProblem]]
    # The home keys an entry needs (its own or the file's): subscription and resource group.
    home_keys: Callable[[Entry], tuple[str, ...]] = _full_home


SPEC_KINDS: Final[dict[Kind, SpecKind]] = {
    kinds.ACTION_GROUP: SpecKind(
        kinds.ACTION_GROUP, DECLARED_FIRST, build=action_groups.build, check=action_groups.check
    ),
    kinds.PROCESSING_RULE: SpecKind(
        kinds.PROCESSING_RULE,
        NAMES_RESOLVED,
        build=processing_rules.build,
        check=processing_rules.check,
    ),
    kinds.VAULT: SpecKind(
        kinds.VAULT,
        DECLARED_FIRST,
        build=vaults.build,
        check=vaults.check,
        home_keys=vaults.home_keys,
    ),
}


def of_section(section: str) -> SpecKind:
    """The spec half of the kind a section declares."""
    return SPEC_KINDS[kinds.by_section(section)]


def build_passes() -> list[int]:
    """The build passes in order."""
    return sorted({spec_kind.build_pass for spec_kind in SPEC_KINDS.values()})
