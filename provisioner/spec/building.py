"""What the kinds' builders share while spec entries become the desired state: the resources
so far, where each was declared, the names other entries may refer to, and the problems found."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from provisioner.errors import SpecProblem
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import (
    MANAGED_BY_TAG,
    MANAGED_BY_VALUE,
    OWNER_TAG,
    Resource,
    Tags,
    VaultSelector,
    make_tags,
)
from provisioner.spec.document import SpecDocument
from provisioner.spec.entries import Entry, home
from provisioner.spec.yaml_loader import JsonPath


@dataclass(frozen=True, slots=True)
class VaultSelection:
    """A `vaults:` entry with `select`: these settings for every vault the selector matches."""

    selector: VaultSelector
    job_failure_alerts: bool | None
    classic_alerts: bool | None
    source: str  # "specs/backup.yaml:12"


class Builder:
    """Accumulates resources and problems over the build passes (provisioner.spec.kinds), so an
    entry can name a resource of an earlier pass declared in any file."""

    def __init__(self, env: Mapping[str, str] | None) -> None:
        self.env = env  # None: validating only, webhook URLs stay placeholders
        self.resources: dict[ResourceId, Resource] = {}
        self.sources: dict[ResourceId, str] = {}
        self.declared_by: dict[ResourceId, str] = {}  # the owner of the file declaring each
        self.vaults: set[ResourceId] = set()
        self.rule_selectors: dict[ResourceId, tuple[VaultSelector, ...]] = {}
        self.vault_selections: list[VaultSelection] = []
        self.names: dict[Kind, dict[str, list[ResourceId]]] = {}  # casefolded name → ids
        # Names of entries left out for problems of their own: an entry naming one is not told
        # it is undeclared on top of the entry's own message.
        self.flawed_names: dict[Kind, set[str]] = {}
        self.problems: list[SpecProblem] = []
        self.reference_sources: dict[tuple[ResourceId, ResourceId], str] = {}

    def remember_flawed(self, kind: Kind, entry: Entry) -> None:
        name = entry.get("name")
        if isinstance(name, str):
            self.flawed_names.setdefault(kind, set()).add(name.casefold())

    def add(self, doc: SpecDocument, path: JsonPath, resource: Resource) -> bool:
        """Adds a resource unless its ID is declared already (then a problem); True if added."""
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
        by_name = self.names.setdefault(resource.KIND, {})
        by_name.setdefault(resource.id.name.casefold(), []).append(resource.id)
        return True

    def referenced_at(self, user: ResourceId, target: ResourceId, where: str) -> None:
        """Where `user` names `target`: a problem about one reference points at its line."""
        self.reference_sources.setdefault((user, target), where)

    def resolve_all(
        self,
        kind: Kind,
        doc: SpecDocument,
        path: JsonPath,
        references: Sequence[str],
        user: ResourceId,
    ) -> list[ResourceId]:
        """The IDs of the `kind` resources a list names (by name or full ID); a name that is not
        declared exactly once is a problem at its line."""
        found = []
        for index, reference in enumerate(references):
            resolved = self.resolve(kind, doc, (*path, index), reference)
            if resolved is not None:
                found.append(resolved)
                self.referenced_at(user, resolved, doc.describe((*path, index)))
        return found

    def resolve(
        self, kind: Kind, doc: SpecDocument, where: JsonPath, reference: str
    ) -> ResourceId | None:
        if reference.startswith("/"):
            return ResourceId.parse(reference)  # managed elsewhere (checked per file)
        candidates = self.names.get(kind, {}).get(reference.casefold(), [])
        if len(candidates) == 1:
            return candidates[0]
        if not candidates and reference.casefold() in self.flawed_names.get(kind, set()):
            return None  # its own problems are reported where it is declared
        message = self._reference_problem(kind, reference, candidates)
        self.problems.append(doc.problem(where, message))
        return None

    def _reference_problem(self, kind: Kind, reference: str, candidates: list[ResourceId]) -> str:
        if candidates:
            places = "; ".join(f"{c.describe()} at {self.sources[c]}" for c in candidates)
            return (
                f"{kind.label} name '{reference}' is ambiguous: {places}; give the full ID instead"
            )
        message = f"{kind.label} '{reference}' is not declared in these specs; declare it or give its full ID"
        names = sorted({rid.name for ids in self.names.get(kind, {}).values() for rid in ids})
        close = difflib.get_close_matches(reference, names, n=1, cutoff=0.6)
        return f"{message} (did you mean '{close[0]}'?)" if close else message


def resource_id(doc: SpecDocument, entry: Entry, resource_type: str) -> ResourceId:
    """The ID of an entry in its home (the per-file checks made sure it has one)."""
    subscription, group = home(doc, entry)
    assert subscription is not None and group is not None  # guaranteed by the per-file checks
    return ResourceId.for_resource(subscription, group, resource_type, entry["name"])


def tags(doc: SpecDocument, entry: Entry) -> Tags:
    """File tags, overridden by the resource's own (names ignore case), then ownership tags."""
    merged: dict[str, tuple[str, str]] = {}
    ownership = {MANAGED_BY_TAG: MANAGED_BY_VALUE, OWNER_TAG: doc.owner}
    for found in (doc.data.get("tags") or {}, entry.get("tags") or {}, ownership):
        merged.update({name.casefold(): (name, value) for name, value in found.items()})
    return make_tags(dict(merged.values()))
