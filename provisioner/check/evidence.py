"""Read the evidence `check --since` and `--agents` weigh, at a bounded cost, and report it.

Fired alerts: one paged list per subscription, then one history GET per alert of a checked
vault. Agents: one protected-item list per vault, then one instance-view GET per VM. GETs run
with bounded concurrency; `progress` hears each step (the CLI draws it on a terminal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, Protocol, TypeVar

from provisioner.check import agents as agent_checks
from provisioner.check import history
from provisioner.check.agents import AgentEvidence
from provisioner.check.coverage import Problem
from provisioner.check.durations import parse_duration
from provisioner.check.history import AlertEvidence
from provisioner.check.report import CheckReport
from provisioner.evidence import (
    ALERT_RETENTION,
    AlertTimeRange,
    FiredAlert,
    ProtectedVm,
    VmInstance,
)
from provisioner.ids import ResourceId

MAX_WORKERS: Final = 8  # concurrent GETs: well inside ARM's per-subscription read limits

T = TypeVar("T")
R = TypeVar("R")
# (what, done, total): "alert history" 3 of 40.
Progress = Callable[[str, int, int], None]


def _quiet(what: str, done: int, total: int) -> None:
    """No progress shown."""


class EvidenceReads(Protocol):
    """The reads the evidence needs (provisioner.azure.evidence.EvidenceReader has them)."""

    def list_fired_alerts(self, subscription: str, window: AlertTimeRange) -> list[FiredAlert]: ...

    def with_history(self, alert: FiredAlert) -> FiredAlert | None: ...

    def list_protected_vms(self, vault: ResourceId) -> list[ProtectedVm]: ...

    def vm_instance(self, vm: ResourceId) -> VmInstance: ...


def parse_since(text: str) -> timedelta:
    """`7d`, `12h`, `1w`, `90m`: a positive duration of at most 30 days (how long Azure keeps alerts)."""
    return parse_duration(
        text, "--since", ALERT_RETENTION, "30d: Azure keeps fired alerts for 30 days"
    )


def _bounded(fn: Callable[[T], R], items: Sequence[T], what: str, progress: Progress) -> list[R]:
    """fn over items, at most MAX_WORKERS at once, in order; progress after each."""
    results: list[R] = []
    progress(what, 0, len(items))
    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="evidence") as pool:
        for done, result in enumerate(pool.map(fn, items), start=1):
            results.append(result)
            progress(what, done, len(items))
    return results


# --- fired alerts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertsFound:
    """The fired alerts of the checked vaults in [since, until), each with its outcome."""

    since: datetime
    until: datetime
    evidence: tuple[AlertEvidence, ...]

    def of(self, vault: ResourceId) -> list[AlertEvidence]:
        return [e for e in self.evidence if e.vault == vault]


def read_alerts(
    reader: EvidenceReads,
    subscriptions: Iterable[str],
    vaults: Iterable[ResourceId],
    span: timedelta,
    now: datetime,
    *,
    progress: Progress = _quiet,
) -> AlertsFound:
    """One paged list per subscription, then the history of each alert of a checked vault."""
    window = AlertTimeRange.last(span, now)
    wanted = {v: v for v in vaults}  # the checked vault's own spelling, not the alert's lower case
    subs = sorted({s.lower() for s in subscriptions})
    listed = _bounded(lambda s: reader.list_fired_alerts(s, window), subs, "alert lists", progress)
    ours = [(a, wanted[v]) for found in listed for a in found if (v := _vault_of(a)) in wanted]
    read = _bounded(lambda pair: reader.with_history(pair[0]), ours, "alert histories", progress)
    evidence = [history.assess(a, v) for a, (_, v) in zip(read, ours, strict=True) if a and v]
    evidence.sort(key=lambda e: (e.vault, e.alert.fired_at or now, e.alert.id))
    return AlertsFound(now - span, now, tuple(evidence))


def _vault_of(alert: FiredAlert) -> ResourceId | None:
    return alert.target_id() if history.is_vault_alert(alert) else None


# --- guest agents -----------------------------------------------------------------------------


def read_agents(
    reader: EvidenceReads, vaults: Iterable[ResourceId], progress: Progress = _quiet
) -> tuple[AgentEvidence, ...]:
    """One protected-item list per vault, then one instance view per distinct VM."""
    chosen = sorted(set(vaults))
    listed = _bounded(reader.list_protected_vms, chosen, "protected VM lists", progress)
    items = [item for found in listed for item in found]
    vms = sorted({item.vm for item in items if item.vm is not None})
    views = dict(
        zip(vms, _bounded(reader.vm_instance, vms, "VM instance views", progress), strict=True)
    )
    return tuple(
        agent_checks.assess(item, views.get(item.vm) if item.vm is not None else None)
        for item in items
    )


# --- the report's sections -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceReport:
    """What `--since` and `--agents` found: per-vault problems and sections, top-level data."""

    alerts: AlertsFound | None = None
    agents: tuple[AgentEvidence, ...] | None = None

    @property
    def since_text(self) -> str:
        return history.iso_utc(self.alerts.since) if self.alerts else ""

    def vault_problems(self, vault: ResourceId) -> tuple[Problem, ...]:
        problems: list[Problem] = []
        if self.alerts is not None:
            problem = history.undelivered_problem(self.alerts.of(vault), self.since_text)
            problems += [problem] if problem else []
        for agent in self._agents_of(vault):
            problems += [agent.problem] if agent.problem else []
        return tuple(problems)

    def _agents_of(self, vault: ResourceId) -> list[AgentEvidence]:
        return [a for a in self.agents or () if a.protected.vault == vault]

    def vault_sections(self, vault: ResourceId) -> dict[str, Any]:
        """Keys added to the vault's JSON object."""
        sections: dict[str, Any] = {}
        if self.alerts is not None:
            sections["firedAlerts"] = history.vault_summary(self.alerts.of(vault))
        if self.agents is not None:
            found = self._agents_of(vault)
            sections["protectedVms"] = {
                "vms": len(found),
                "agentNotReady": sum(a.problem is not None for a in found),
            }
        return sections

    def sections(self) -> dict[str, Any]:
        """Top-level keys of the JSON report."""
        data: dict[str, Any] = {}
        if self.alerts is not None:
            data["since"] = {
                "from": history.iso_utc(self.alerts.since),
                "until": history.iso_utc(self.alerts.until),
            }
            data["alerts"] = [e.to_data() for e in self.alerts.evidence]
        if self.agents is not None:
            data["agents"] = [a.to_data() for a in self.agents]
        return data

    def text_lines(self) -> list[str]:
        """The evidence below the vault lines: each alert and each protected VM."""
        lines: list[str] = []
        if self.alerts is not None:
            lines.append(f"Fired alerts since {self.since_text}: {len(self.alerts.evidence)}")
            lines += [f"  {_alert_line(e)}" for e in self.alerts.evidence]
        if self.agents is not None:
            lines.append(f"Guest agents of protected VMs: {len(self.agents)}")
            lines += [f"  {_agent_line(a)}" for a in self.agents]
        return lines


def _alert_line(evidence: AlertEvidence) -> str:
    mark = "✓" if evidence.delivered else "✗"
    alert = evidence.alert
    when = history.iso_utc(alert.fired_at) if alert.fired_at else "?"
    notes = "".join(f" [{n}]" for n in evidence.notes)
    return (
        f'{mark} {when} "{alert.alert_rule}" ({alert.severity}) on {evidence.vault.name}: '
        f"{evidence.outcome}, {evidence.reason()}{notes}"
    )


def _agent_line(agent: AgentEvidence) -> str:
    mark = "✗" if agent.problem else "✓"
    version = agent.instance.agent_version if agent.instance else None
    parts = [
        f"agent {agent.status}" + (f" {version}" if version and version != "Unknown" else ""),
        f"power {agent.power or 'unknown'}",
        f"last backup {agent.protected.last_backup_status or 'unknown'}",
    ]
    if agent.protected.last_backup_error:
        parts.append(f"error {agent.protected.last_backup_error}")
    note = f" ({agent.note})" if agent.note else ""
    return (
        f"{mark} {agent.vm_label} in vault {agent.protected.vault.name}: {', '.join(parts)}{note}"
    )


def add_evidence(
    report: CheckReport,
    reader: EvidenceReads,
    *,
    since: timedelta | None,
    agents: bool,
    now: datetime,
    progress: Progress = _quiet,
) -> CheckReport:
    """The report with the `--since` and `--agents` sections for its vaults: their problems
    join each vault's (and so the exit code), their data the JSON, their lines the text."""
    if since is None and not agents:
        return report
    vault_ids = [v.id for v in report.vaults]
    found = EvidenceReport(
        read_alerts(reader, report.subscriptions, vault_ids, since, now, progress=progress)
        if since is not None
        else None,
        read_agents(reader, vault_ids, progress) if agents else None,
    )
    vaults = tuple(
        replace(
            v,
            extra_problems=v.extra_problems + found.vault_problems(v.id),
            sections={**v.sections, **found.vault_sections(v.id)},
        )
        for v in report.vaults
    )
    return replace(
        report,
        vaults=vaults,
        sections={**report.sections, **found.sections()},
        details=report.details + tuple(found.text_lines()),
    )
