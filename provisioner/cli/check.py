"""`alertsync check`: does a failed backup on each vault reach a person's inbox, now and later."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from provisioner.cli.app import (
    DEFAULT_SPEC_PATHS,
    EXIT_CHANGES,
    EXIT_OK,
    azure_from_env,
    cli,
    format_option,
    no_color_option,
    spec_paths,
    use_color,
)
from provisioner.errors import AlertsyncError

T = TypeVar("T")

if TYPE_CHECKING:
    from provisioner.azure.client import Azure
    from provisioner.check.report import CheckReport
    from provisioner.check.run import SpecScope


@cli.command()
@spec_paths
@click.option(
    "--subscription",
    "subscriptions",
    multiple=True,
    metavar="ID",
    help="Also check every vault of this subscription (repeatable).",
)
@click.option(
    "--at",
    metavar="TIME",
    callback=lambda _ctx, _param, value: _at(value),
    help="Evaluate as if a backup failed at TIME (ISO 8601; no offset = UTC) [default: now].",
)
@click.option(
    "--window",
    metavar="DURATION",
    callback=lambda _ctx, _param, value: _window(value),
    help="Also find every interval in the next DURATION (e.g. 7d) in which a vault is not covered.",
)
@click.option(
    "--since",
    metavar="DURATION",
    callback=lambda _ctx, _param, value: _since(value),
    help="Also read the alerts fired on each vault in the last DURATION (e.g. 7d, at most 30d) "
    "and whom their history says they reached.",
)
@click.option(
    "--agents",
    is_flag=True,
    help="Also read the guest agent of every VM each vault protects: a running VM whose agent "
    "is Not Ready will fail its next backup.",
)
@format_option("the report")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report in --format to FILE (the text report still goes to stdout).",
)
@no_color_option
def check(
    paths: tuple[Path, ...],
    subscriptions: tuple[str, ...],
    at: datetime,
    window: timedelta | None,
    since: timedelta | None,
    agents: bool,
    output_format: str,
    out: Path | None,
    no_color: bool,
) -> int:
    """Prove that a failed backup reaches a person, without failing one.

    For every Recovery Services vault in the subscriptions the specs use (PATH, default specs/)
    and each --subscription, declared or not, evaluates the Sev1 "Backup Failure" alert Azure
    Backup raises against everything live: the vault's job-failure alert setting, every alert
    processing rule of the subscription (scopes, conditions, schedules; suppression wins) and
    the action groups they add (enabled, with an email receiver that did not unsubscribe).
    Exit 0 when every vault is covered (throughout --window), 2 when any is not, 1 on error.
    """
    from provisioner.check.render import RENDERERS, render_text
    from provisioner.check.run import chosen_subscriptions, run_check

    specs = _spec_scope(paths)
    subs = chosen_subscriptions(subscriptions or _env_subscription(paths), specs.subscriptions)
    with azure_from_env() as azure:
        report = run_check(azure, subs, at, window, specs.vaults)
        report = _with_evidence(report, azure, since, agents)
    text = render_text(report, color=use_color(no_color) and out is None)
    chosen = text if output_format == "text" else RENDERERS[output_format](report)
    if out is None:
        click.echo(chosen, nl=False)
    else:
        _write(out, render_text(report) if output_format == "text" else chosen)
        click.echo(text, nl=False)
        click.echo(f"Report written to {out}.", err=True)
    return EXIT_OK if report.ok else EXIT_CHANGES


def _usage_checked(option: str, parse: Callable[[str], T], value: str) -> T:
    """parse(value); a bad value is a usage error (exit 2) naming the option, as click's own are."""
    try:
        return parse(value)
    except AlertsyncError as error:
        raise click.BadParameter(
            str(error).removeprefix(f"{option} "), param_hint=option
        ) from error


def _at(value: str | None) -> datetime:
    from provisioner.check.run import parse_at

    return _usage_checked("--at", parse_at, value or "now")


def _window(value: str | None) -> timedelta | None:
    from provisioner.check.run import parse_window

    return None if value is None else _usage_checked("--window", parse_window, value)


def _since(value: str | None) -> timedelta | None:
    from provisioner.check.evidence import parse_since

    return None if value is None else _usage_checked("--since", parse_since, value)


def _with_evidence(
    report: CheckReport, azure: Azure, since: timedelta | None, agents: bool
) -> CheckReport:
    """The --since and --agents sections, with progress on stderr when it is a terminal."""
    from provisioner.azure.evidence import EvidenceReader
    from provisioner.check.evidence import add_evidence

    return add_evidence(
        report,
        EvidenceReader(azure),
        since=since,
        agents=agents,
        now=datetime.now(UTC),
        progress=_progress if sys.stderr.isatty() else _silent,
    )


def _progress(what: str, done: int, total: int) -> None:
    """`Reading alert histories 12/40` on one terminal line, cleared when done."""
    line = f"Reading {what} {done}/{total}"
    end = "\r\x1b[K" if done >= total else "\r"
    click.echo(f"\r{line}{end}", err=True, nl=False)


def _silent(what: str, done: int, total: int) -> None:
    """No progress when stderr is not a terminal (a pipeline's log)."""


def _spec_scope(paths: tuple[Path, ...]) -> SpecScope:
    """What the specs name; without PATHs, those of specs/ when it exists (else nothing)."""
    from provisioner.check.run import SpecScope, spec_scope

    if paths:
        return spec_scope(list(paths))
    defaults = [Path(p) for p in DEFAULT_SPEC_PATHS if Path(p).exists()]
    return spec_scope(defaults) if defaults else SpecScope()


def _env_subscription(paths: tuple[Path, ...]) -> tuple[str, ...]:
    """AZURE_SUBSCRIPTION_ID, when there are no specs to name subscriptions."""
    has_specs = bool(paths) or any(Path(p).exists() for p in DEFAULT_SPEC_PATHS)
    env = os.environ.get("AZURE_SUBSCRIPTION_ID", "").strip()
    return (env,) if env and not has_specs else ()


def _write(out: Path, text: str) -> None:
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise AlertsyncError(f"cannot write the report to {out}: {error.strerror}") from error
