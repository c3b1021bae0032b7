"""After apply: read Azure again as plan does and name each resource someone else changed meanwhile."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from provisioner.ids import ResourceId
from provisioner.sync import diff, live
from provisioner.sync.apply import ApplyResult, Outcome
from provisioner.sync.diff import Desired


class DesiredState(Desired, live.DesiredScope, Protocol):
    """What verification needs of the desired state (provisioner.spec.desired.DesiredState)."""


@dataclass(frozen=True, slots=True)
class Interference:
    """A resource this apply wrote that Azure no longer holds as written."""

    id: ResourceId
    what: str

    def line(self) -> str:
        return (
            f"{self.id.describe()} was changed by someone else during the apply: {self.what}; "
            "run `alertsync plan` to see Azure now, and agree with whoever else writes it"
        )


def verify(
    result: ApplyResult,
    desired: DesiredState,
    reader: live.Reader,
    *,
    adopt: bool = False,
    adopt_from: str | None = None,
    earlier: live.LiveState | None = None,
) -> tuple[Interference, ...]:
    """Each done change whose resource differs now from what it wrote (or exists again after
    its delete), found with the LIST reads plan uses: a few requests, whatever the size.

    Two applies racing on one resource both see "created"; only the last writer's version
    stays. The earlier one learns of it here, instead of exiting 0 over a lost write.

    With the plan's live state (`earlier`) only the lists holding a resource this apply
    wrote or deleted are read again, and the plan's footprint is reused (it names every
    resource group outside the homes that a prune deleted in). The writes were
    computed from the plan's reads, and a list holding nothing this apply wrote cannot show
    someone changing a write of ours. Reusing the plan's vaults also keeps the scopes
    selectors widened compared against what was written: a vault created meanwhile is not
    "someone changed your rule".
    """
    done = [o for o in result.outcomes if o.status == "done"]
    if not done:
        return ()
    now = (
        live.read_live(desired, reader)
        if earlier is None
        else live.read_again(earlier, desired, reader, (o.change.id for o in done))
    )
    found = diff.compute(desired, now, adopt=adopt, adopt_from=adopt_from)
    changed = {c.id: c for c in found.changes}
    refused = {p.id: p for p in found.problems}
    return tuple(
        _interference(o, now, changed, refused) for o in done if _differs(o, now, changed, refused)
    )


def _differs(
    outcome: Outcome,
    now: live.LiveState,
    changed: dict[ResourceId, diff.Change],
    refused: dict[ResourceId, diff.Problem],
) -> bool:
    rid = outcome.change.id
    if outcome.change.action == "delete":
        return rid in now.resources
    return rid in changed or rid in refused


def _interference(
    outcome: Outcome,
    now: live.LiveState,
    changed: dict[ResourceId, diff.Change],
    refused: dict[ResourceId, diff.Problem],
) -> Interference:
    rid = outcome.change.id
    if outcome.change.action == "delete":
        return Interference(rid, "it exists again after this apply deleted it")
    if rid in refused:
        return Interference(rid, refused[rid].message)
    change = changed[rid]
    if change.action == "create":
        return Interference(rid, "it is gone again after this apply wrote it")
    return Interference(rid, f"{_paths(f.path for f in change.fields)} differ from what it wrote")


def _paths(paths: Iterable[str]) -> str:
    listed = list(paths)
    shown = ", ".join(listed[:5])
    return shown + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
