"""The check report: each vault's verdict at one instant and its gaps over a window, as data.

Built to grow: `--since` (fired alerts) and `--agents` (guest agents) add their findings as
further sections: `VaultReport.sections` (a key of each vault's JSON object each) and
`VaultReport.extra_problems` (problems of their own codes), `CheckReport.sections` at the top.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

from provisioner.check.coverage import Evaluator, Gap, Outcome, Problem
from provisioner.check.read import Snapshot
from provisioner.ids import ResourceId
from provisioner.model import VaultAlertSettings

FORMAT_VERSION: Final = 1
_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def iso(moment: datetime) -> str:
    """UTC, to the second, with a Z: `2026-12-05T02:00:00Z`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class VaultReport:
    vault: VaultAlertSettings
    outcome: Outcome
    gaps: tuple[Gap, ...] = ()
    extra_problems: tuple[Problem, ...] = ()
    sections: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def id(self) -> ResourceId:
        return self.vault.id

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.outcome.problems + self.extra_problems

    @property
    def ok(self) -> bool:
        """Covered at the instant and throughout the window, and no further section's problem."""
        return self.outcome.covered and not self.gaps and not self.extra_problems

    def to_data(self) -> dict[str, Any]:
        vault = self.vault.id
        return {
            "id": str(vault),
            "name": vault.name,
            "resourceGroup": vault.resource_group,
            "subscription": vault.subscription,
            "covered": self.outcome.covered,
            "emails": list(self.outcome.emails),
            "routes": [
                {"rule": str(r.rule), "actionGroup": str(r.action_group)}
                for r in self.outcome.routes
            ],
            "problems": [_problem_data(p) for p in self.problems],
            "gaps": [_gap_data(g) for g in self.gaps],
            **self.sections,
        }


def _problem_data(problem: Problem) -> dict[str, Any]:
    return {"code": problem.code, "message": problem.message, "unconfirmed": problem.unconfirmed}


def _gap_data(gap: Gap) -> dict[str, Any]:
    return {
        "from": iso(gap.start),
        "until": iso(gap.until),
        "code": gap.code,
        "message": gap.message,
    }


@dataclass(frozen=True, slots=True)
class CheckReport:
    at: datetime
    window: timedelta | None
    subscriptions: tuple[str, ...]
    vaults: tuple[VaultReport, ...]
    warnings: tuple[str, ...] = ()
    sections: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    # Further sections' own lines (fired alerts, guest agents), shown below the vaults.
    details: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.vaults)

    @property
    def until(self) -> datetime | None:
        return self.at + self.window if self.window is not None else None

    def summary(self) -> dict[str, int]:
        covered = sum(v.outcome.covered for v in self.vaults)
        return {
            "vaults": len(self.vaults),
            "covered": covered,
            "notCovered": len(self.vaults) - covered,
            "withGaps": sum(bool(v.gaps) for v in self.vaults),
        }

    def to_data(self) -> dict[str, Any]:
        """Versioned, JSON-ready; the renderer writes keys sorted."""
        until = self.until
        return {
            "formatVersion": FORMAT_VERSION,
            "at": iso(self.at),
            "window": None
            if self.window is None or until is None
            else {"from": iso(self.at), "until": iso(until)},
            "subscriptions": list(self.subscriptions),
            "summary": self.summary(),
            "vaults": [v.to_data() for v in self.vaults],
            "warnings": list(self.warnings),
            **self.sections,
        }


def build_report(
    snapshot: Snapshot,
    at: datetime,
    window: timedelta | None = None,
    vaults: Iterable[VaultAlertSettings] | None = None,
) -> CheckReport:
    """Evaluate every vault of the snapshot (or `vaults`) at `at` and over [at, at + window)."""
    evaluator = Evaluator(snapshot.estate)
    chosen = sorted(snapshot.estate.vaults if vaults is None else vaults, key=lambda v: v.id)
    until = at + window if window is not None else None
    reports = tuple(VaultReport(v, *evaluator.assess(v, at, until)) for v in chosen)
    return CheckReport(at, window, snapshot.subscriptions, reports, snapshot.warnings)
