"""The `alertsync` command: parses arguments, calls the library, prints, and picks exit codes.

Exit codes: 0 success / no changes; 1 error; 2 changes pending (plan --detailed-exitcode);
3 refused by a safety rule (unsafe plan, stale plan, ownership).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from provisioner import __version__
from provisioner.errors import AlertsyncError, OwnershipConflict, SpecError, UnsafePlan

if TYPE_CHECKING:
    from provisioner.apply import ApplyResult, Outcome
    from provisioner.azure import Azure
    from provisioner.plan import Plan

# The Azure SDKs take most of a second to import: only plan and apply load them, so that
# `validate` and `--help` stay instant.
OUTPUT_FORMATS = ("json", "markdown", "text")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_REFUSED = 3

DEFAULT_SPEC_PATHS = ("specs",)

spec_paths = click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alertsync")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Azure Monitor alerting for Azure Backup, as code.

    Declare action groups, alert processing rules and vault alert settings in YAML specs,
    then `validate` them, `plan` the difference with live Azure, and `apply` it.
    """
    ctx.obj = {"debug": debug}
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)


@cli.command()
@spec_paths
def validate(paths: tuple[Path, ...]) -> None:
    """Check spec files offline (schema and semantic rules); no Azure call.

    PATH is a spec file or a folder of them, searched recursively for *.yaml and *.yml
    (default: specs/). Checks each file against schemas/alertsync.schema.json and the rules
    Azure enforces (short names, emails, names, time zones, scopes...), then the files
    together (duplicates, action group references). Webhook URLs are not read: validate
    needs no secrets.

    Every problem is printed to stderr as FILE:LINE:COL: message (at $.json.path);
    exit 1 if there is any, 0 otherwise with a one-line summary on stdout.
    """
    from provisioner import desired, specs
    from provisioner.errors import SpecError

    documents, problems = specs.check(_spec_paths_or_default(paths))
    if not problems:  # checks across files only make sense once each file is valid
        try:
            state = desired.build(documents, env=None)
        except SpecError as error:
            problems = error.problems
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.exceptions.Exit(EXIT_ERROR)
    click.echo(_validate_summary(len(documents), list(state.resources.values())))


def _validate_summary(files: int, resources: list[object]) -> str:
    """`3 files valid: 2 action groups, 1 alert processing rule, 1 vault`."""
    from collections import Counter

    counts = Counter(type(resource).__name__ for resource in resources)
    kinds = (
        ("ActionGroup", "action group"),
        ("AlertProcessingRule", "alert processing rule"),
        ("VaultAlertSettings", "vault"),
    )
    parts = [_plural(counts[kind], label) for kind, label in kinds]
    return f"{_plural(files, 'file')} valid: {', '.join(parts)}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _spec_paths_or_default(paths: tuple[Path, ...]) -> list[Path]:
    return list(paths) if paths else [Path(p) for p in DEFAULT_SPEC_PATHS]


def _use_color(no_color: bool) -> bool:
    """Colour only on a terminal, never with --no-color or NO_COLOR (no-color.org)."""
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _azure() -> Azure:
    from provisioner.azure import Azure
    from provisioner.settings import AzureSettings

    return Azure(AzureSettings.from_env(os.environ))


def _refuse_problems(plan: Plan) -> None:
    """Problems forbid both plan and apply: ownership is a safety refusal (3), the rest errors."""
    if not plan.problems:
        return
    reasons = "; ".join(p.message for p in plan.problems)
    if any(p.code in ("ownership", "unsupported") for p in plan.problems):
        raise OwnershipConflict(reasons)
    raise AlertsyncError(reasons)


no_color_option = click.option("--no-color", is_flag=True, help="Never colour the output.")
prune_option = click.option(
    "--prune",
    is_flag=True,
    help="Delete resources this spec set owns (by tag) that no spec declares any more.",
)
adopt_option = click.option(
    "--adopt",
    is_flag=True,
    help="Take over declared resources that exist without alertsync's ownership tags.",
)


@cli.command()
@spec_paths
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the plan to FILE as JSON (for `apply --plan`).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(OUTPUT_FORMATS),
    default="text",
    show_default=True,
    help="How to print the plan.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes to apply (0 when none).",
)
@prune_option
@adopt_option
@no_color_option
def plan(
    paths: tuple[Path, ...],
    out: Path | None,
    output_format: str,
    detailed_exitcode: bool,
    prune: bool,
    adopt: bool,
    no_color: bool,
) -> int:
    """Show what apply would change in Azure to match the specs; changes nothing.

    Reads live state with one LIST per resource group, diffs it against the specs
    (PATH: files or folders, default specs/) and prints the plan. Exit 0 when Azure
    matches, 1 on error, 2 with --detailed-exitcode when there are changes, 3 when a
    resource belongs to someone else.
    """
    from provisioner.reconcile import Options, make_plan
    from provisioner.render import RENDERERS, render_json, render_text

    planned = make_plan(_spec_paths_or_default(paths), _azure(), Options(prune, adopt), os.environ)
    the_plan = planned.plan
    if output_format == "text":
        click.echo(render_text(the_plan, color=_use_color(no_color)), nl=False)
    else:
        click.echo(RENDERERS[output_format](the_plan), nl=False)
    if out is not None:
        out.write_text(render_json(the_plan), encoding="utf-8")
        click.echo(f"Plan written to {out} (checksum {the_plan.checksum()}).", err=True)
    _refuse_problems(the_plan)
    return EXIT_CHANGES if detailed_exitcode and the_plan.has_changes else EXIT_OK


@cli.command()
@spec_paths
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Apply only if the plan computed now equals this reviewed plan file.",
)
@click.option("--checksum", help="Apply only if the plan computed now has this checksum.")
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (required without a terminal)."
)
@click.option("--force", is_flag=True, help="Apply a plan that the safety rules call unsafe.")
@prune_option
@adopt_option
@no_color_option
def apply(
    paths: tuple[Path, ...],
    plan_file: Path | None,
    checksum: str | None,
    yes: bool,
    force: bool,
    prune: bool,
    adopt: bool,
    no_color: bool,
) -> int:
    """Change Azure to match the specs, then report each change's result.

    Recomputes the plan from the specs (PATH, default specs/) and live Azure. With --plan
    or --checksum, refuses (exit 3) when that plan is stale. Unsafe plans need --force.
    Exit 0 when everything applied, 1 when any change failed (re-run to converge).
    """
    from provisioner.reconcile import Options, check_not_stale, make_plan, read_plan_file
    from provisioner.render import render_text

    options = Options(prune, adopt)
    saved = read_plan_file(plan_file) if plan_file else None
    if saved is not None:
        if (prune, adopt) != (False, False) and options != saved.options:
            raise AlertsyncError(
                f"--prune/--adopt differ from the options {plan_file} was made with; "
                "leave them out to use the plan's own"
            )
        options = saved.options
    azure = _azure()
    the_plan = make_plan(_spec_paths_or_default(paths), azure, options, os.environ).plan
    color = _use_color(no_color)
    click.echo(render_text(the_plan, color=color), nl=False)
    _refuse_problems(the_plan)
    if saved is not None or checksum:
        expected = checksum or (saved.checksum if saved else "")
        check_not_stale(the_plan, expected, saved.summary if saved else None)
    if the_plan.unsafe and not force:
        raise UnsafePlan(
            "refusing an unsafe plan: "
            + "; ".join(the_plan.unsafe)
            + "; re-run with --force if this is intended"
        )
    if not the_plan.has_changes:
        return EXIT_OK
    _confirm(yes, len(the_plan.changes))
    result = _apply_with_progress(the_plan, azure, color)
    click.echo(_result_line(result))
    return EXIT_OK if result.ok else EXIT_ERROR


def _apply_with_progress(the_plan: Plan, azure: Azure, color: bool) -> ApplyResult:
    """One line per finished change; on a terminal, a live progress bar below them."""
    from provisioner.apply import apply as run_apply

    if not sys.stderr.isatty():
        return run_apply(
            the_plan, azure, on_progress=lambda o: click.echo(_outcome_line(o, color), err=True)
        )
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, no_color=not color, highlight=False)
    columns = (TextColumn("Applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("apply", total=len(the_plan.changes))

        def report(outcome: Outcome) -> None:
            progress.console.print(
                _outcome_line(outcome, color=False), style=_STYLES[outcome.status]
            )
            progress.advance(task)

        return run_apply(the_plan, azure, on_progress=report)


_STYLES = {"done": "green", "failed": "red", "skipped": "yellow"}


def _confirm(yes: bool, count: int) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise AlertsyncError("refusing to apply without --yes: there is no terminal to confirm on")
    if not click.confirm(f"Apply these {count} change(s)?", default=False, err=True):
        raise click.exceptions.Abort()


_DONE_VERBS = {"create": "created", "update": "updated", "adopt": "adopted", "delete": "deleted"}


def _outcome_line(outcome: Outcome, color: bool) -> str:
    change = outcome.change
    if outcome.status == "done":
        line = f"✓ {_DONE_VERBS[change.action]} {change.id.describe()} ({outcome.seconds:.1f}s)"
        return click.style(line, fg="green") if color else line
    mark = "✗" if outcome.status == "failed" else "-"
    line = f"{mark} {change.action} {change.id.describe()}: {outcome.error}"
    return click.style(line, fg="red") if color else line


def _result_line(result: ApplyResult) -> str:
    return (
        f"Apply {'complete' if result.ok else 'incomplete'}: {result.count('done')} done, "
        f"{result.count('failed')} failed, {result.count('skipped')} skipped "
        f"in {result.seconds:.1f}s."
        + ("" if result.ok else " Re-run `alertsync apply` to converge once the cause is fixed.")
    )


@cli.command("test-notify")
@click.argument("action_group")
@click.option(
    "--specs",
    "spec_path",
    type=click.Path(path_type=Path),
    default=Path("specs"),
    show_default=True,
    help="Where to look ACTION_GROUP up when it is a name.",
)
# No API alert type is Azure Backup's own: its job-failure alerts (built-in, or metric alerts on
# Backup Health Events) are closest to a static-threshold metric alert. Delivery is what is tested.
@click.option(
    "--alert-type",
    default="metricstaticthreshold",
    show_default=True,
    help="Which sample alert the receivers get: one of the API's 12 types (servicehealth, ...).",
)
@no_color_option
def test_notify(action_group: str, spec_path: Path, alert_type: str, no_color: bool) -> int:
    """Send an action group's test notification and report each receiver's result.

    ACTION_GROUP is a name declared in the specs or a full resource ID. Instead of failing a
    backup on purpose (2-6 hours), asks Azure to notify every receiver of the live group now
    (Azure allows 2 tests per group and 5 per subscription every 5 minutes). Exit 0 when every
    receiver got it, 1 when any failed or is unsubscribed, or the test did not complete.
    """
    from provisioner.errors import SpecError
    from provisioner.notify import resolve_group, run_test
    from provisioner.resources.action_groups import TEST_ALERT_TYPES

    if alert_type not in TEST_ALERT_TYPES:  # checked here: the choices live with the SDK models
        raise click.BadParameter(
            f"choose from {', '.join(TEST_ALERT_TYPES)}", param_hint="--alert-type"
        )
    try:
        group_id = resolve_group(action_group, [spec_path])
    except SpecError as error:  # each problem, as validate prints them, then the summary
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise
    report = run_test(_azure(), group_id, alert_type)
    color = _use_color(no_color)
    click.echo(f"Test notification ({alert_type}) of {report.group.describe()}:")
    for receiver in report.receivers:
        line = receiver.line()
        click.echo(click.style(line, fg="green" if receiver.ok else "red") if color else line)
    failed, total = len(report.failed), len(report.receivers)
    click.echo(
        f"Notification {report.state or 'state unknown'}: "
        f"{total - failed} of {total} receiver(s) succeeded, {failed} failed."
    )
    if not report.receivers:
        click.echo("error: the test reached no receiver; the group has none", err=True)
    return EXIT_OK if report.ok else EXIT_ERROR


@cli.command()
@click.option("--subscription", metavar="ID", help="Subscription to read [AZURE_SUBSCRIPTION_ID].")
@click.option(
    "--resource-group",
    "resource_groups",
    multiple=True,
    metavar="RG",
    help="Read only this resource group (repeatable); default: the whole subscription.",
)
@click.option(
    "--owner", help="Owner of the spec files; default: the alertsync-owner tag all resources share."
)
@click.option(
    "--out",
    default="exported",
    show_default=True,
    metavar="DIR",
    help="Folder for the spec files (one per resource group); - prints them instead.",
)
@click.option("--force", is_flag=True, help="Overwrite spec files that already exist in DIR.")
def export(
    subscription: str | None,
    resource_groups: tuple[str, ...],
    owner: str | None,
    out: str,
    force: bool,
) -> None:
    """Write spec files from live Azure: a brownfield start; `plan` on them shows no changes.

    Reads action groups, alert processing rules and vault alert settings (the whole
    subscription, or each --resource-group) and writes DIR/<resource group>.yaml. Webhook
    URLs are never written: each receiver names an environment variable to set. Resources
    without alertsync's ownership tags need `apply --adopt` once; other owners' are skipped.
    """
    from provisioner import brownfield
    from provisioner.export import export as export_specs
    from provisioner.export import summary_lines

    subscription = subscription or os.environ.get("AZURE_SUBSCRIPTION_ID")
    if not subscription:
        raise AlertsyncError("no subscription: give --subscription ID or set AZURE_SUBSCRIPTION_ID")
    snapshot = brownfield.read_snapshot(_azure(), subscription, resource_groups)
    to_stdout = out == "-"
    schema = brownfield.schema_reference(None if to_stdout else Path(out))
    result = export_specs(snapshot, owner, schema)
    if to_stdout:
        click.echo("---\n".join(f.text for f in result.files), nl=False)
    else:
        brownfield.write_files(result.files, Path(out), force)
    for line in summary_lines(result, "stdout" if to_stdout else out):
        click.echo(line, err=to_stdout)


@cli.command()
@click.option("--port", type=int, default=8443, show_default=True, help="Port (0: any free port).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".alertsync/emulator"),
    show_default=True,
    help="Holds ca.pem, env and state.json (the world survives a restart).",
)
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML seed document.",
)
@click.option(
    "--latency-ms", type=int, default=0, show_default=True, help="Added to every request."
)
def emulator(port: int, data_dir: Path, seed_file: Path | None, latency_ms: int) -> None:
    """Run a local Azure Resource Manager emulator over HTTPS until SIGINT/SIGTERM.

    Prints `export` lines for the environment a client needs and writes them to DATA_DIR/env.
    """
    import shlex
    import signal
    import threading

    from provisioner.emulator import Emulator, SeedError, StateFileError
    from provisioner.emulator.seed import load_seed_file

    try:
        seed = load_seed_file(seed_file) if seed_file is not None else None
        server = Emulator(port=port, data_dir=data_dir, seed=seed, latency_ms=latency_ms).start()
    except (SeedError, StateFileError, OSError) as error:
        raise AlertsyncError(f"emulator: {error}") from error
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in server.env().items())
    (data_dir / "env").write_text(exports, encoding="utf-8")
    click.echo(exports, nl=False)
    click.echo(
        f"# alertsync emulator ready at {server.url}; `source {data_dir / 'env'}`; Ctrl-C stops it"
    )
    sys.stdout.flush()
    stop.wait()
    server.stop()
    click.echo("# alertsync emulator stopped", err=True)


def _report(error: AlertsyncError) -> None:
    """One line per problem: a spec error lists each FILE:LINE:COL, as `validate` does."""
    if isinstance(error, SpecError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
    click.echo(f"error: {error}", err=True)


def main() -> None:
    """Entry point: run the CLI and turn AlertsyncError into a message and an exit code."""
    debug = "--debug" in sys.argv[1:]
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_ERROR if error.exit_code == 2 else error.exit_code)
    except AlertsyncError as error:
        if debug:
            raise
        _report(error)
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
