"""Execute a Plan against Azure: phase by phase, bounded concurrency, one outcome per change."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from itertools import chain, groupby, zip_longest
from typing import Literal, Protocol, TypeVar

from provisioner.errors import AlertsyncError, AzureError, NotSent
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import Resource
from provisioner.sync.diff import Change
from provisioner.sync.plan import Plan, phase_of

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Resource)

# "not started": the apply was interrupted before this change was sent.
Status = Literal["done", "failed", "skipped", "not started"]


class Writer(Protocol):
    """The writes apply needs (provisioner.azure.client.Azure; tests use an in-memory fake)."""

    def put(self, resource: R) -> R: ...  # create, replace or patch, as its kind is written
    def delete(self, kind: Kind, resource_id: ResourceId) -> None: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    change: Change
    status: Status
    seconds: float
    error: str | None = None
    # Its request was already sent when the apply was interrupted, so it ran to its end.
    in_flight_at_interrupt: bool = False


@dataclass(frozen=True, slots=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    seconds: float
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return all(o.status == "done" for o in self.outcomes)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


Progress = Callable[[Outcome], None]


def apply(
    plan: Plan,
    azure: Writer,
    *,
    max_workers: int = 16,
    on_progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> ApplyResult:
    """Run every change; a failure is recorded and independent changes still run.

    `on_progress` hears of each change the moment its outcome is known (so a progress bar moves
    while a phase runs); the result lists the outcomes in plan order, whatever order they came in.
    Once `stop` is set (the CLI sets it on SIGINT/SIGTERM) no further change starts: each is
    reported "not started", while requests already sent run to their end (a write half-sent
    cannot be recalled), so every change still gets exactly one outcome.
    """
    started, stop = time.monotonic(), stop or threading.Event()
    outcomes: list[Outcome] = []
    failed: dict[ResourceId, Change] = {}
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="apply") as pool:
        try:
            for _, phase in groupby(plan.changes, key=phase_of):
                for outcome in _phase_outcomes(list(phase), azure, pool, failed, stop):
                    if outcome.status in ("failed", "skipped"):  # not started: not a failure
                        failed[outcome.change.id] = outcome.change
                    if on_progress is not None:
                        on_progress(outcome)
                    outcomes.append(outcome)
        except KeyboardInterrupt:
            # A caller without signal handling: leaving the pool waits for every queued change,
            # so make them stop before they start.
            stop.set()
            raise
    ordered = _in_plan_order(outcomes, plan)
    return ApplyResult(ordered, time.monotonic() - started, interrupted=stop.is_set())


def _phase_outcomes(
    batch: list[Change],
    azure: Writer,
    pool: ThreadPoolExecutor,
    failed: dict[ResourceId, Change],
    stop: threading.Event,
) -> Iterable[Outcome]:
    """A phase's skips at once, then each started change as it completes.

    Blockers are judged here, before anything of this phase has run: a change depends only on
    earlier phases (groups before rules, rule deletes before group deletes).
    """
    blockers = {c.id: _dependencies(c, failed) for c in batch}
    skipped = [_skip(c, blockers[c.id]) for c in batch if blockers[c.id]]
    running: list[Future[Outcome]] = [
        pool.submit(_run, c, azure, stop) for c in _by_turns(batch) if not blockers[c.id]
    ]
    return chain(skipped, (future.result() for future in as_completed(running)))


def _by_turns(batch: list[Change]) -> list[Change]:
    """The changes taking turns between subscriptions (round robin), each in plan order.

    ARM paces writes per subscription (docs/azure-behaviour.md#arm-token-buckets): in plan
    order, every worker would take the first subscription's changes and wait on its empty
    bucket while the other subscriptions' buckets stayed full.
    """
    by_subscription: dict[str, list[Change]] = {}
    for change in batch:
        by_subscription.setdefault(change.id.subscription, []).append(change)
    turns = zip_longest(*by_subscription.values())
    return [change for turn in turns for change in turn if change is not None]


def _in_plan_order(outcomes: list[Outcome], plan: Plan) -> tuple[Outcome, ...]:
    position = {change.id: index for index, change in enumerate(plan.changes)}
    return tuple(sorted(outcomes, key=lambda o: position[o.change.id]))


NOT_STARTED_REASON = "not started: the apply was interrupted"


def _run(change: Change, azure: Writer, stop: threading.Event) -> Outcome:
    """Write one change, unless the apply was interrupted while it waited in the queue.

    Checked as each change leaves the queue rather than by cancelling queued futures: a worker
    may take a change at any moment, and this check leaves no gap between the two.
    """
    if stop.is_set():
        return _not_started(change)
    started = time.monotonic()
    outcome = _attempt(change, azure)
    if outcome.status == "not started":
        return outcome
    seconds = time.monotonic() - started
    return replace(outcome, seconds=seconds, in_flight_at_interrupt=stop.is_set())


def _not_started(change: Change) -> Outcome:
    return Outcome(change, "not started", 0.0, NOT_STARTED_REASON)


def _attempt(change: Change, azure: Writer) -> Outcome:
    try:
        _write(change, azure)
    except NotSent:  # interrupted while it waited out throttling: nothing was written
        return _not_started(change)
    except AlertsyncError as error:
        return Outcome(change, "failed", 0.0, _reason(error))
    except Exception as error:  # a bug must not stop independent changes; it is still reported
        log.exception("unexpected error applying %s", change.id)
        return Outcome(change, "failed", 0.0, f"unexpected error: {error!r}")
    return Outcome(change, "done", 0.0)


def _reason(error: AlertsyncError) -> str:
    """What went wrong, without the action and resource an Azure error starts with.

    An outcome is always shown after its change, which already names the resource; repeating
    it only buries what Azure said.
    """
    return error.detail if isinstance(error, AzureError) else str(error)


def _write(change: Change, azure: Writer) -> None:
    """The one request a change needs."""
    if change.action == "delete":
        assert change.live is not None and change.live.KIND.owned, f"cannot delete {change.id}"
        azure.delete(change.live.KIND, change.id)
        return
    if change.desired is None:
        raise AssertionError(f"{change.action} of {change.id} without a desired resource")
    azure.put(change.desired)


def _dependencies(change: Change, failed: dict[ResourceId, Change]) -> list[ResourceId]:
    """Failed changes this one needs: a rule needs its groups; a group's delete, its rules'."""
    if change.desired is not None:
        return [g for g in change.desired.uses() if g in failed]
    if change.action == "delete":
        # A rule whose update or delete failed may still point at the group: keep the group.
        return [rid for rid, c in failed.items() if change.id in _used_by(c)]
    return []


def _used_by(change: Change) -> set[ResourceId]:
    """What the resource of a change uses, before or after it."""
    sides = [r for r in (change.live, change.desired) if r is not None]
    return {used for resource in sides for used in resource.uses()}


def _skip(change: Change, blockers: list[ResourceId]) -> Outcome:
    reason = ", ".join(b.describe() for b in sorted(blockers)[:3])
    return Outcome(change, "skipped", 0.0, f"skipped: depends on {reason}, which failed")
