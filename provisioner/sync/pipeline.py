"""The plan pipeline: spec files → desired → live → diff → Plan; and binding apply to a reviewed plan."""

from __future__ import annotations

import codecs
import dataclasses
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from provisioner.errors import AlertsyncError, StalePlan
from provisioner.fingerprint import KEY_VARIABLE, key_from_env
from provisioner.local_files import UnreadableFile, read_regular_file
from provisioner.spec import desired as desired_state
from provisioner.spec import files as spec_files
from provisioner.sync import diff, live, selectors
from provisioner.sync.plan import (
    FORMAT_VERSION,
    Plan,
    RuleUsers,
    checksum_of,
    deleted_groups,
    has_secrets,
    without_sources,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Options:
    prune: bool = False
    adopt: bool = False
    force: bool = False  # accept an unsafe plan: recorded in the plan and its checksum
    adopt_from: str | None = None  # hand this (old) owner's resources over to the specs' owner
    # Subscriptions to find the owners' footprint in beside those the specs use (lower case).
    subscriptions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Planned:
    plan: Plan
    desired: desired_state.DesiredState
    live: live.LiveState


class PlanReader(live.Reader, Protocol):
    """What a plan needs of Azure (provisioner.azure.client.Azure): the reads, and a sign-in
    that may start before them."""

    def sign_in_early(self) -> None: ...  # in the background; a failure is the first read's


def make_plan(
    paths: Sequence[Path], azure: PlanReader, options: Options, env: Mapping[str, str]
) -> Planned:
    """Load and validate the specs, read live Azure, and plan the difference."""
    key = key_from_env(env)  # a bad key is refused before anything is read
    # Signing in (a token and the authority's discovery: round trips) overlaps the spec load
    # (CPU); an invalid spec still fails at once, and a failed sign-in at the first read.
    azure.sign_in_early()
    documents = spec_files.load(paths)
    wanted = desired_state.build(documents, env=env)
    current = live.read_live(wanted, azure, subscriptions=options.subscriptions)
    _check_hand_over(options.adopt_from, wanted.owners)
    resolved = selectors.resolve(wanted, current.vaults)
    found = diff.compute(
        resolved.desired,
        current,
        prune=options.prune,
        adopt=options.adopt,
        adopt_from=options.adopt_from,
    )
    found = dataclasses.replace(
        found,
        problems=(*found.problems, *resolved.problems),
        warnings=(*found.warnings, *resolved.warnings),
    )
    plan = Plan.build(
        found,
        current.resources,
        wanted.owners,
        prune=options.prune,
        adopt=options.adopt,
        force=options.force,
        subscriptions=options.subscriptions,
        fingerprint_key=key,
        selections=resolved.matches,
        users=_rule_users(found, azure),
        adopt_from=options.adopt_from,
    )
    log.info(
        "plan: desired=%d live=%d changes=%d",
        len(wanted.resources),
        len(current.resources),
        len(plan.changes),
    )
    return Planned(plan, resolved.desired, current)


def _rule_users(found: diff.Diff, azure: live.Reader) -> RuleUsers | None:
    """Only a plan that deletes action groups reads the rules of their subscriptions."""
    deleted = deleted_groups(found.changes)
    if not deleted:
        return None
    return live.read_rule_users(azure, {g.subscription for g in deleted})


def _check_hand_over(old_owner: str | None, owners: frozenset[str]) -> None:
    """--adopt-from hands one owner's resources to the one owner the specs declare."""
    if old_owner is None:
        return
    if old_owner in owners:
        raise AlertsyncError(
            f'--adopt-from {old_owner}: the specs themselves declare owner "{old_owner}"; '
            "name the owner the resources were tagged with before the rename"
        )
    if len(owners) != 1:
        raise AlertsyncError(
            f"--adopt-from {old_owner}: the specs declare {len(owners)} owners "
            f"({', '.join(sorted(owners))}); hand over to one owner: plan its specs alone"
        )


@dataclass(frozen=True, slots=True)
class SavedPlan:
    """What a reviewed plan file binds apply to."""

    checksum: str
    summary: dict[str, int]
    options: Options
    changes: list[Any]  # as the file shows them to reviewers
    content: dict[str, Any]  # the whole document, to check it against its own checksum

    @property
    def intact(self) -> bool:
        """The file holds what its checksum stands for (not edited since it was written)."""
        return checksum_of(self.content) == self.checksum


# A plan of thousands of changes is a few MiB; past this it is not a plan file, and reading on
# (/dev/zero, a log appended forever) would only fill memory.
MAX_PLAN_BYTES = 64 * 2**20
_WRITE_ONE = "write one with `alertsync plan --format json --out FILE`"


def read_plan_file(path: Path) -> SavedPlan:
    """Read a plan written by `alertsync plan --out`; any other content is a clear error."""
    try:
        raw = read_regular_file(path, MAX_PLAN_BYTES)
    except UnreadableFile as error:
        raise AlertsyncError(f"cannot read plan file {path}: it {error}") from error
    return _saved_plan(path, _parse_json(path, _decode(path, raw)))


def _decode(path: Path, raw: bytes) -> str:
    # UTF-16 (PowerShell's `>` writes it) is valid UTF-8 where it is ASCII, NUL bytes between.
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:4096]:
        raise AlertsyncError(
            f"{path}: not a plan file (it is UTF-16; plan files are UTF-8); {_WRITE_ONE}"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise AlertsyncError(
            f"{path}:{line}: not a plan file (byte 0x{raw[error.start]:02x} is not UTF-8); "
            f"{_WRITE_ONE}"
        ) from None


def _parse_json(path: Path, text: str) -> Any:
    """Strict JSON: no NaN or Infinity, numbers that fit, nesting Python can follow."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        where, why = f"{path}:{error.lineno}:{error.colno}", f"invalid JSON: {error.msg}"
    except RecursionError:
        where, why = f"{path}", "its JSON is nested too deep"
    except ValueError as error:  # NaN/Infinity, or an integer of more than 4,300 digits
        where, why = f"{path}", f"invalid JSON: {error}"
    raise AlertsyncError(f"{where}: not a plan file ({why}); {_WRITE_ONE}")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _saved_plan(path: Path, data: Any) -> SavedPlan:
    if not isinstance(data, dict) or "checksum" not in data or "formatVersion" not in data:
        raise AlertsyncError(
            f"{path}: not an alertsync plan file (no formatVersion/checksum); {_WRITE_ONE}"
        )
    if data["formatVersion"] != FORMAT_VERSION or isinstance(data["formatVersion"], bool):
        raise AlertsyncError(
            f"{path}: plan format version {_brief(data['formatVersion'])} is not supported "
            f"(this alertsync writes version {FORMAT_VERSION}); plan again with this version"
        )
    checksum, summary, options = data["checksum"], data.get("summary"), data.get("options")
    changes = data.get("changes")
    if not isinstance(checksum, str):
        raise _malformed(path, "checksum is not a string")
    if not isinstance(summary, dict) or not all(_is_count(v) for v in summary.values()):
        raise _malformed(path, "summary is not a mapping of action to a count of changes")
    if not isinstance(options, dict) or not all(
        isinstance(options.get(k, False), bool) for k in ("prune", "adopt", "force")
    ):
        raise _malformed(
            path, "options is not a mapping of prune, adopt and force to true or false"
        )
    if not isinstance(options.get("adoptFrom"), str | None):
        raise _malformed(path, "options.adoptFrom is not an owner name")
    subscriptions = options.get("subscriptions", [])
    if not isinstance(subscriptions, list) or not all(isinstance(s, str) for s in subscriptions):
        raise _malformed(path, "options.subscriptions is not a list of subscription IDs")
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise _malformed(path, "changes is not a list of changes")
    saved_options = Options(
        options.get("prune", False),
        options.get("adopt", False),
        options.get("force", False),
        options.get("adoptFrom"),
        subscriptions_option(subscriptions),
    )
    return SavedPlan(checksum, dict(summary), saved_options, changes, data)


def subscriptions_option(given: Iterable[str]) -> tuple[str, ...]:
    """`--subscription` values as a plan records them: lower case, sorted, each once."""
    return tuple(sorted({s.strip().lower() for s in given}))


def _malformed(path: Path, what: str) -> AlertsyncError:
    return AlertsyncError(f"{path}: malformed plan file ({what}); {_WRITE_ONE}")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _brief(value: Any) -> str:
    """A value from the file for a message: short, whatever its size."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_not_stale(
    plan: Plan,
    expected_checksum: str,
    reviewed: dict[str, int] | None,
    reviewed_changes: list[Any] | None = None,
) -> None:
    """Refuse when the plan computed now is not the plan that was reviewed.

    With a plan file, its changes must also be the ones computed now: reviewers read those,
    so a file edited after it was written (its checksum kept) is refused too.
    """
    if plan.checksum() == expected_checksum.strip():
        if reviewed_changes is not None and _shown(reviewed_changes) != _shown(
            plan.to_data()["changes"]
        ):
            raise StalePlan(_EDITED)
        return
    detail = ""
    if reviewed is not None:
        detail = f" (reviewed: {_counts(reviewed)}; now: {_counts(plan.summary())})"
    raise StalePlan(
        "the reviewed plan is stale: live Azure or the specs changed since it was made"
        f"{detail}{_key_hint(plan)}; run `alertsync plan` again and review the new plan"
    )


def _key_hint(plan: Plan) -> str:
    # A webhook URL's fingerprint depends on the key: a key set for plan but not for apply
    # (or another one) looks exactly like a changed URL.
    if not has_secrets(plan):
        return ""
    return (
        f" (the checksum covers webhook URLs: {KEY_VARIABLE} must be the same for plan and apply)"
    )


# How a plan computed now relates to a reviewed plan file: the very plan; what remains of it after
# an earlier run applied part of it; or nothing left, every change of it applied.
Binding = Literal["reviewed", "remaining", "done"]


def bind_to_plan_file(plan: Plan, saved: SavedPlan) -> Binding:
    """The reviewed plan, or what remains of it; refuse (StalePlan) anything else.

    A re-run of `apply --plan FILE` (a CI job re-run after a change failed, or after the whole
    apply succeeded) computes a smaller plan than the file's. It is still the reviewed plan as
    long as every change in it is one the file holds (by digest, secrets included) and nothing
    else differs: no problem, no new orphan. Anything outside the review is refused, exit 3.
    """
    if plan.checksum() == saved.checksum:
        check_not_stale(plan, saved.checksum, saved.summary, saved.changes)
        return "reviewed"
    if not saved.intact:
        raise StalePlan(_EDITED)
    outside = _outside_review(plan, saved)
    if outside:
        raise StalePlan(
            f"the reviewed plan is stale: live Azure or the specs changed since it was made "
            f"({'; '.join(outside)}){_key_hint(plan)}; run `alertsync plan` again and review "
            "the new plan"
        )
    return "remaining" if plan.changes else "done"


def _outside_review(plan: Plan, saved: SavedPlan) -> list[str]:
    """What the plan computed now holds that the reviewed file does not, as phrases."""
    reviewed = {c.get("digest") for c in saved.changes}
    kept = saved.content.get("orphans")
    orphans = {o.lower() for o in kept if isinstance(o, str)} if isinstance(kept, list) else set()
    now = plan.to_data()
    outside = [
        f"not in the reviewed plan: {c['action']} {change.id.describe()}"
        for c, change in zip(now["changes"], plan.changes, strict=True)
        if c["digest"] not in reviewed
    ]
    outside += [f"problem: {p.message}" for p in plan.problems]
    if saved.content.get("problems"):  # a blocked plan was never applicable, so never partly
        outside.append("the reviewed plan had problems")
    outside += [
        f"newly kept: {o.describe()}" for o in plan.orphans if str(o).lower() not in orphans
    ]
    return outside


_EDITED = (
    "the plan file was edited after it was written: the changes it shows are not "
    "the ones its checksum stands for; run `alertsync plan --out FILE` again"
)


def _shown(changes: list[Any]) -> list[Any]:
    """Changes as shown to reviewers, without where the specs declare them (cf. Plan.checksum)."""
    stripped: list[Any] = without_sources({"changes": changes})["changes"]
    return stripped


def _counts(summary: Mapping[str, int]) -> str:
    return ", ".join(f"{summary.get(k, 0)} to {k}" for k in ("create", "update", "adopt", "delete"))
