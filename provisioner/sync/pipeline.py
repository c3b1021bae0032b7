"""The plan pipeline: spec files → desired → live → diff → Plan; and binding apply to a reviewed plan."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provisioner.azure.client import Azure
from provisioner.errors import AlertsyncError, StalePlan
from provisioner.spec import desired as desired_state
from provisioner.spec import files as spec_files
from provisioner.sync import diff, live
from provisioner.sync.plan import FORMAT_VERSION, Plan, without_sources

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Options:
    prune: bool = False
    adopt: bool = False
    force: bool = False  # accept an unsafe plan: recorded in the plan and its checksum


@dataclass(frozen=True, slots=True)
class Planned:
    plan: Plan
    desired: desired_state.DesiredState
    live: live.LiveState


def make_plan(
    paths: Sequence[Path], azure: Azure, options: Options, env: Mapping[str, str]
) -> Planned:
    """Load and validate the specs, read live Azure, and plan the difference."""
    documents = spec_files.load(paths)
    wanted = desired_state.build(documents, env=env)
    current = live.read_live(wanted, azure)
    found = diff.compute(wanted, current, prune=options.prune, adopt=options.adopt)
    plan = Plan.build(
        found,
        current.resources,
        wanted.owners,
        prune=options.prune,
        adopt=options.adopt,
        force=options.force,
    )
    log.info(
        "plan: desired=%d live=%d changes=%d",
        len(wanted.resources),
        len(current.resources),
        len(plan.changes),
    )
    return Planned(plan, wanted, current)


@dataclass(frozen=True, slots=True)
class SavedPlan:
    """What a reviewed plan file binds apply to."""

    checksum: str
    summary: dict[str, int]
    options: Options
    changes: list[Any]  # as the file shows them to reviewers


def read_plan_file(path: Path) -> SavedPlan:
    """Read a plan written by `alertsync plan --out`; any other content is a clear error."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise AlertsyncError(f"cannot read plan file {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise AlertsyncError(
            f"{path}:{error.lineno}:{error.colno}: not a plan file (invalid JSON: {error.msg}); "
            "write one with `alertsync plan --format json --out FILE`"
        ) from error
    return _saved_plan(path, data)


def _saved_plan(path: Path, data: Any) -> SavedPlan:
    if not isinstance(data, dict) or "checksum" not in data or "formatVersion" not in data:
        raise AlertsyncError(
            f"{path}: not an alertsync plan file (no formatVersion/checksum); "
            "write one with `alertsync plan --format json --out FILE`"
        )
    if data["formatVersion"] != FORMAT_VERSION:
        raise AlertsyncError(
            f"{path}: plan format version {data['formatVersion']!r} is not supported "
            f"(this alertsync writes version {FORMAT_VERSION}); plan again with this version"
        )
    checksum, summary, options = data["checksum"], data.get("summary"), data.get("options")
    changes = data.get("changes")
    if not (
        isinstance(checksum, str)
        and isinstance(summary, dict)
        and isinstance(options, dict)
        and isinstance(changes, list)
        and all(isinstance(c, dict) for c in changes)
    ):
        raise AlertsyncError(
            f"{path}: malformed plan file (checksum, summary, options or changes has the wrong "
            "type); write one with `alertsync plan --format json --out FILE`"
        )
    saved_options = Options(
        bool(options.get("prune")), bool(options.get("adopt")), bool(options.get("force"))
    )
    counts = {str(k): int(v) for k, v in summary.items()}
    return SavedPlan(checksum, counts, saved_options, changes)


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
            raise StalePlan(
                "the plan file was edited after it was written: the changes it shows are not "
                "the ones its checksum stands for; run `alertsync plan --out FILE` again"
            )
        return
    detail = ""
    if reviewed is not None:
        detail = f" (reviewed: {_counts(reviewed)}; now: {_counts(plan.summary())})"
    raise StalePlan(
        "the reviewed plan is stale: live Azure or the specs changed since it was made"
        f"{detail}; run `alertsync plan` again and review the new plan"
    )


def _shown(changes: list[Any]) -> list[Any]:
    """Changes as shown to reviewers, without where the specs declare them (cf. Plan.checksum)."""
    stripped: list[Any] = without_sources({"changes": changes})["changes"]
    return stripped


def _counts(summary: Mapping[str, int]) -> str:
    return ", ".join(f"{summary.get(k, 0)} to {k}" for k in ("create", "update", "adopt", "delete"))
