"""Environment variables the specs name (webhook URLs): the missing ones, each said once."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from provisioner.errors import SpecProblem
from provisioner.spec.document import SpecDocument
from provisioner.spec.entries import entries
from provisioner.spec.yaml_loader import JsonPath


@dataclass(frozen=True, slots=True)
class _Use:
    """A webhook receiver taking its URL from a variable, and where the spec says so."""

    doc: SpecDocument
    where: JsonPath
    receiver: str
    group: str

    def phrase(self) -> str:
        return f"webhook receiver '{self.receiver}' of action group '{self.group}'"


def missing_variables(
    documents: Sequence[SpecDocument], env: Mapping[str, str]
) -> list[SpecProblem]:
    """One problem per unset or empty variable, at its first use, naming every receiver using it.

    A pipeline maps each secret into the job's environment by hand: a variable forgotten there
    is reported once, with everything that needs it, rather than once per receiver.
    """
    uses: dict[str, list[_Use]] = {}
    for doc in documents:
        for variable, use in _webhook_uses(doc):
            uses.setdefault(variable, []).append(use)
    return [
        _problem(variable, found)
        for variable, found in uses.items()
        if not env.get(variable, "").strip()
    ]


def _webhook_uses(doc: SpecDocument) -> Iterator[tuple[str, _Use]]:
    for section, index, entry in entries(doc):
        if section != "actionGroups" or not doc.is_sound((section, index)):
            continue
        for number, receiver in enumerate(entry.get("webhookReceivers", [])):
            where: JsonPath = (section, index, "webhookReceivers", number, "serviceUriFromEnv")
            use = _Use(doc, where, receiver["name"], entry["name"])
            yield receiver["serviceUriFromEnv"], use


def _problem(variable: str, uses: list[_Use]) -> SpecProblem:
    first, *others = uses
    also = "".join(f"; also {u.phrase()} ({u.doc.describe(u.where)})" for u in others)
    message = (
        f"environment variable {variable} is not set or empty: {first.phrase()} takes its URL "
        f"from it{also}"
    )
    return first.doc.problem(first.where, message)
