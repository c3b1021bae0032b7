"""`alertsync plan` and `alertsync apply`: the reconciler's commands and their output."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from provisioner.cli.app import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    azure_from_env,
    cli,
    no_color_option,
    spec_paths,
    spec_paths_or_default,
    use_color,
)
from provisioner.errors import AlertsyncError, OwnershipConflict, SafetyError, UnsafePlan
from provisioner.model import plural

if TYPE_CHECKING:
    from provisioner.azure.client import Azure
    from provisioner.sync.apply import ApplyResult, Outcome
    from provisioner.sync.pipeline import Binding, Options, Planned, SavedPlan
    from provisioner.sync.plan import Plan

OUTPUT_FORMATS = ("json", "markdown", "text")
CHECKSUM_FORMAT = re.compile(r"sha256:[0-9a-f]{64}")


def _on_one_terminal() -> bool:
    """stdout and stderr both on a terminal: what the plan showed, the user has just read."""
    return sys.stdout.isatty() and sys.stderr.isatty()


def _refuse_problems(plan: Plan, shown: bool = False) -> None:
    """Problems forbid both plan and apply. Refusals exit 3: a resource not this owner's, one
    a PUT would strip of receivers, a move Azure cannot make; the rest (missing) are errors.

    One line per problem: main() prints each line of the message as its own `error:` sentence.
    """
    if not plan.problems:
        return
    reasons = "\n".join(p.message for p in plan.problems)
    if shown:  # each problem is a `!` line of the plan just printed: say it once
        reasons = (
            f"the plan is blocked by {plural(len(plan.problems), 'problem')} (the ! lines above)"
        )
    if any(p.code in ("ownership", "unsupported") for p in plan.problems):
        raise OwnershipConflict(reasons)
    if any(p.code == "immutable" for p in plan.problems):
        raise SafetyError(reasons)
    raise AlertsyncError(reasons)


def _refuse_unsafe(plan: Plan, what_to_do: str, shown: bool = False) -> None:
    """Each reason on its own line (as the plan shows them, unless it just did on this terminal),
    then what overrides them."""
    if not plan.refused_as_unsafe:
        return
    reasons = [] if shown else [f"unsafe: {reason}" for reason in plan.unsafe]
    raise UnsafePlan("\n".join([*reasons, what_to_do]))


_APPLY_REFUSES = "refusing an unsafe plan; re-run with --force if this is intended"


def _apply_refuses(plan_file: Path | None, checksum: str | None) -> str:
    """What overrides an unsafe plan: --force, unless apply is bound to a reviewed plan, whose
    force only a new review can grant (apply refuses --force added to it)."""
    if plan_file is None and checksum is None:
        return _APPLY_REFUSES
    reviewed = str(plan_file) if plan_file is not None else f"the plan reviewed as {checksum}"
    return (
        f"refusing an unsafe plan: {reviewed} was made without --force; a reviewer who accepts "
        "these changes plans again with --force and has that plan reviewed"
    )


_PLAN_IS_UNSAFE = (
    "the plan is unsafe: apply refuses it unless it was made with --force; a reviewer who "
    "accepts these changes plans again with --force (recorded in the plan and its checksum)"
)


def _checksum_argument(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A checksum as `plan` prints it, or a usage error: apply must never bind to nothing.

    A pipeline that failed to find the reviewed checksum passes "" (or a fragment); taking that
    as "no checksum given" would apply an unreviewed plan.
    """
    if value is None:
        return None
    checksum = value.strip().lower()
    if not CHECKSUM_FORMAT.fullmatch(checksum):
        raise click.BadParameter(
            f"{value!r} is not a plan checksum: expected 'sha256:' and 64 hex digits, "
            "as `alertsync plan` prints it (empty: the reviewed checksum was not found)"
        )
    return checksum


prune_option = click.option(
    "--prune",
    is_flag=True,
    help="Delete resources this spec set owns (by tag) that no spec declares any more.",
)


def _subscription_ids(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    from provisioner.ids import is_guid

    for value in values:
        if not is_guid(value.strip()):
            raise click.BadParameter(f"{value!r} is not a subscription ID (a GUID)")
    return values


subscription_option = click.option(
    "--subscription",
    "subscriptions",
    multiple=True,
    metavar="ID",
    callback=_subscription_ids,
    help="Also find this owner's resources in subscription ID (repeatable); the subscriptions "
    "the specs use are always searched.",
)
adopt_option = click.option(
    "--adopt",
    is_flag=True,
    help="Take over declared resources that exist without alertsync's ownership tags.",
)
OWNER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")


def _owner_argument(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not OWNER_NAME.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not an owner name (1-63 letters, digits, - or _)")
    return value


adopt_from_option = click.option(
    "--adopt-from",
    metavar="OWNER",
    callback=_owner_argument,
    help="Hand over OWNER's resources (an owner renamed): re-tag them for the specs' owner.",
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
    help="Exit 2 when there are changes to apply (0 when none), 3 when the plan is unsafe "
    "and not made with --force.",
)
@prune_option
@adopt_option
@adopt_from_option
@subscription_option
@click.option(
    "--force",
    is_flag=True,
    help="Accept this plan's unsafe changes: recorded in the plan file and its checksum, so "
    "`apply --plan`/`--checksum` applies them as reviewed.",
)
@no_color_option
def plan(
    paths: tuple[Path, ...],
    out: Path | None,
    output_format: str,
    detailed_exitcode: bool,
    prune: bool,
    adopt: bool,
    adopt_from: str | None,
    subscriptions: tuple[str, ...],
    force: bool,
    no_color: bool,
) -> int:
    """Show what apply would change in Azure to match the specs; changes nothing.

    Finds the owners' resources by tag in every subscription the specs use (and each
    --subscription), reads live state with one LIST per resource group and kind, diffs it
    against the specs (PATH: files or folders, default specs/) and prints the plan. Exit 0 when Azure
    matches, 1 on error, 2 with --detailed-exitcode when there are changes, 3 when a
    resource belongs to someone else (and, with --detailed-exitcode, when the plan is
    unsafe and not made with --force).
    """
    from provisioner.sync.pipeline import Options, make_plan, subscriptions_option
    from provisioner.sync.render import RENDERERS, render_json, render_text

    spec_paths = spec_paths_or_default(paths)
    if out is not None:
        _refuse_out_in_spec_tree(out, spec_paths)
    options = Options(prune, adopt, force, adopt_from, subscriptions_option(subscriptions))
    with azure_from_env() as azure:
        planned = make_plan(spec_paths, azure, options, os.environ)
        # Warns (never fails) when the planned state leaves a named vault's failures unmailed;
        # imported here, once the specs loaded: it brings the time zone data along.
        from provisioner.check.planned import plan_with_coverage

        the_plan = plan_with_coverage(azure, planned, datetime.now(UTC))
    shown = output_format == "text" and _on_one_terminal()
    if output_format == "text":
        click.echo(render_text(the_plan, color=use_color(no_color)), nl=False)
    else:
        click.echo(RENDERERS[output_format](the_plan), nl=False)
    if out is not None:
        _write_plan_file(out, render_json(the_plan))
        click.echo(f"Plan written to {out} (checksum {the_plan.checksum()}).", err=True)
    _refuse_problems(the_plan, shown)
    if not detailed_exitcode:
        return EXIT_OK
    # Refused at review, where people look, rather than after the merge (exit 3, as apply).
    _refuse_unsafe(the_plan, _PLAN_IS_UNSAFE, shown)
    return EXIT_CHANGES if the_plan.has_changes else EXIT_OK


def _refuse_out_in_spec_tree(out: Path, spec_paths: list[Path]) -> None:
    """A usage error when --out would replace a spec file or land in a spec folder.

    `plan --out specs/s.yaml specs/` replaced the spec with JSON (and a plan file written in
    the tree is read as a spec next time, if named *.yaml): checked before Azure is read.
    """
    target = out.resolve()
    for given in spec_paths:
        where = given.resolve()
        inside = where.is_dir() and target.is_relative_to(where)
        if inside or target == where:
            what = f"inside the spec folder {given}" if inside else f"the spec file {given}"
            raise click.BadParameter(
                f"{out} is {what}: write the plan outside the specs", param_hint="'--out'"
            )


def _write_plan_file(out: Path, text: str) -> None:
    from provisioner.masking import mask

    try:
        # A warning may quote what Azure said; a plan file is shown to reviewers like output.
        out.write_text(mask(text), encoding="utf-8")
    except OSError as error:
        raise AlertsyncError(f"cannot write the plan to {out}: {error.strerror}") from error


@cli.command()
@spec_paths
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Apply only if the plan computed now equals this reviewed plan file.",
)
@click.option(
    "--checksum",
    callback=_checksum_argument,
    help="Apply only if the plan computed now has this checksum (sha256:…).",
)
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (required without a terminal)."
)
@click.option(
    "--force",
    is_flag=True,
    help="Apply a plan that the safety rules call unsafe (with --plan: only one made with --force).",
)
@prune_option
@adopt_option
@adopt_from_option
@subscription_option
@no_color_option
def apply(
    paths: tuple[Path, ...],
    plan_file: Path | None,
    checksum: str | None,
    yes: bool,
    force: bool,
    prune: bool,
    adopt: bool,
    adopt_from: str | None,
    subscriptions: tuple[str, ...],
    no_color: bool,
) -> int:
    """Change Azure to match the specs, then report each change's result.

    Recomputes the plan from the specs (PATH, default specs/) and live Azure. With --plan
    or --checksum, refuses (exit 3) when that plan is stale. Unsafe plans need --force.
    Exit 0 when everything applied, 1 when any change failed (re-run to converge).
    Ctrl-C (or SIGTERM) starts no further change, lets requests already sent finish and
    reports every change; exit 130 (143 for SIGTERM). A second Ctrl-C exits at once.
    """
    from provisioner.sync.pipeline import (
        Options,
        make_plan,
        read_plan_file,
        subscriptions_option,
    )
    from provisioner.sync.render import render_text

    if plan_file is not None and checksum is not None:
        # Each names the reviewed plan; with both, one would silently override the other.
        raise click.UsageError("give --plan or --checksum, not both")
    saved = read_plan_file(plan_file) if plan_file else None
    given = Options(prune, adopt, force, adopt_from, subscriptions_option(subscriptions))
    options = _options_for(given, saved, plan_file)
    color = use_color(no_color)
    with azure_from_env() as azure:
        planned = make_plan(spec_paths_or_default(paths), azure, options, os.environ)
        the_plan = planned.plan
        click.echo(render_text(the_plan, color=color), nl=False)
        _refuse_problems(the_plan, _on_one_terminal())
        binding = _bind_to_review(the_plan, saved, checksum)
        _refuse_unsafe(the_plan, _apply_refuses(plan_file, checksum), _on_one_terminal())
        _say_what_remains(binding, the_plan, saved)
        if not the_plan.has_changes:
            return EXIT_OK
        _confirm(yes, len(the_plan.changes))
        interrupt = _Interrupt(azure)
        with interrupt.handling_signals():
            result = _apply_with_progress(the_plan, azure, color, interrupt)
        overwritten = () if result.interrupted else _verified(result, planned, azure, options)
    click.echo(_result_line(result, plan_file))
    if result.interrupted and interrupt.signum is not None:
        return 128 + interrupt.signum  # the shell's convention: 130 for SIGINT, 143 for SIGTERM
    for line in overwritten:
        click.echo(f"error: {line}", err=True)
    return EXIT_OK if result.ok and not overwritten else EXIT_ERROR


def _verified(result: ApplyResult, planned: Planned, azure: Azure, options: Options) -> list[str]:
    """Read back what the apply wrote (plan's LIST reads): whatever someone else changed
    meanwhile, one sentence each."""
    from provisioner.sync.verify import verify

    try:
        found = verify(
            result,
            planned.desired,
            azure,
            adopt=options.adopt,
            adopt_from=options.adopt_from,
            earlier=planned.live,
        )
    except AlertsyncError as error:  # the writes stand; only the check could not be made
        click.echo(
            f"warning: could not read back what was written ({error}); "
            "run `alertsync plan` to check",
            err=True,
        )
        return []
    return [interference.line() for interference in found]


def _options_for(given: Options, saved: SavedPlan | None, plan_file: Path | None) -> Options:
    """A reviewed plan file's own --prune/--adopt/--force; a flag it lacks is an error.

    --force in particular is a reviewer's decision: it counts only when the reviewed plan
    carried it, never when added at apply time.
    """
    if saved is None:
        return given
    extra = [
        f"--{flag}"
        for flag in ("prune", "adopt", "force")
        if getattr(given, flag) and not getattr(saved.options, flag)
    ]
    if given.adopt_from not in (None, saved.options.adopt_from):
        extra.append(f"--adopt-from {given.adopt_from}")
    if not set(given.subscriptions) <= set(saved.options.subscriptions):
        extra.append("--subscription")
    if extra:
        raise AlertsyncError(
            f"{plan_file} was made without {' and '.join(extra)}: leave it out to use the "
            "plan's own options, or plan again with it and have that plan reviewed"
        )
    return saved.options


def _bind_to_review(
    the_plan: Plan, saved: SavedPlan | None, checksum: str | None
) -> Binding | None:
    """With --plan or --checksum, refuse (exit 3) a plan that is not the one reviewed; a plan
    file also accepts what remains of it after an earlier run (a re-run)."""
    from provisioner.sync.pipeline import bind_to_plan_file, check_not_stale

    if saved is not None:
        return bind_to_plan_file(the_plan, saved)
    if checksum is not None:
        check_not_stale(the_plan, checksum, None)
    return None


def _say_what_remains(binding: Binding | None, the_plan: Plan, saved: SavedPlan | None) -> None:
    if binding == "done":
        click.echo("Nothing left to do: every change of the reviewed plan is applied.")
    elif binding == "remaining" and saved is not None:
        applied = max(len(saved.changes) - len(the_plan.changes), 0)
        remain = "remains" if len(the_plan.changes) == 1 else "remain"
        click.echo(
            f"Applying the {plural(len(the_plan.changes), 'change')} of the reviewed plan that "
            f"{remain} ({applied} already applied)."
        )


class _Interrupt:
    """SIGINT/SIGTERM during apply: the first stops new changes, the second exits at once.

    CI cancels a job with SIGTERM, a user with Ctrl-C; both must leave an honest report of what
    was applied. The handler only sets flags (the apply's own output says what happens next);
    for the second signal it writes with os.write, since a handler that used the buffered
    sys.stderr could re-enter a write the main thread was in.
    """

    def __init__(self, azure: Azure) -> None:
        self.stop = threading.Event()
        self.signum: int | None = None
        self._azure = azure

    @contextlib.contextmanager
    def handling_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread may set handlers (the CLI run inside a test thread)
            return
        signums = (signal.SIGINT, signal.SIGTERM)
        previous = {s: signal.signal(s, self._on_signal) for s in signums}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # A plain attribute, set first: a second signal arriving inside the first handler's
        # Event.set() must not wait on the lock that call holds.
        if self.signum is not None:
            _exit_at_once(signum)
        self.signum = signum
        self.stop.set()
        self._azure.interrupt()  # writes waiting out throttling give up, unsent


_STOPPING = (
    "starting no more changes; waiting for the requests in flight "
    "(a write already sent cannot be recalled)."
)


def interrupted_sentence(signum: int | None) -> str:
    """What the apply does now. Ctrl-C can be pressed again; a SIGTERM comes from CI cancelling
    the job, where nobody has a Ctrl-C to press (a second SIGTERM still exits at once)."""
    if signum == signal.SIGINT:
        return f"Interrupted: {_STOPPING} Press Ctrl-C again to exit at once."
    return f"Terminated: {_STOPPING}"


def _exit_at_once(signum: int) -> None:
    if sys.stdout.isatty():
        os.write(sys.stdout.fileno(), b"\x1b[?25h\n")  # the progress bar hid the cursor
    sentence = (
        "Interrupted again: exiting now. Requests in flight may still be applied; "
        "run `alertsync plan` to see what changed."
    )
    os.write(sys.stderr.fileno(), f"\n{sentence}\n".encode())
    os._exit(128 + signum)


@contextlib.contextmanager
def _announcing(interrupt: _Interrupt, say: Callable[[str], None]) -> Iterator[None]:
    """Say what the interrupt does through `say` (the progress bar's console on a terminal)
    once it stops the apply, from a thread of its own: the signal handler must not print, and
    the main thread may be waiting for a slow request."""
    stop = interrupt.stop
    finished = threading.Event()

    def announce() -> None:
        while not finished.is_set():
            if stop.wait(0.1):
                say(interrupted_sentence(interrupt.signum))
                return

    announcer = threading.Thread(target=announce, name="apply-interrupt", daemon=True)
    announcer.start()
    try:
        yield
    finally:
        finished.set()
        announcer.join()


def _apply_with_progress(
    the_plan: Plan, azure: Azure, color: bool, interrupt: _Interrupt
) -> ApplyResult:
    """One line per finished change on stdout, with the plan (`apply > log` keeps them); on a
    terminal, a live progress bar below them. What the interrupt does is a diagnostic: stderr."""
    from provisioner.sync.apply import apply as run_apply

    stop = interrupt.stop
    if not sys.stdout.isatty():
        with _announcing(interrupt, lambda sentence: click.echo(sentence, err=True)):
            return run_apply(
                the_plan,
                azure,
                on_progress=lambda o: click.echo(_outcome_line(o, color)),
                stop=stop,
            )
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=sys.stdout, no_color=not color, highlight=False)
    columns = (TextColumn("Applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("apply", total=len(the_plan.changes))

        def report(outcome: Outcome) -> None:
            progress.console.print(
                _outcome_line(outcome, color=False), style=_STYLES[outcome.status]
            )
            progress.advance(task)

        with _announcing(interrupt, progress.console.print):
            return run_apply(the_plan, azure, on_progress=report, stop=stop)


_STYLES = {"done": "green", "failed": "red", "skipped": "yellow", "not started": "yellow"}


def _confirm(yes: bool, count: int) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise AlertsyncError("refusing to apply without --yes: there is no terminal to confirm on")
    if not click.confirm(f"Apply these {count} change(s)?", default=False, err=True):
        raise click.exceptions.Abort()


_DONE_VERBS = {"create": "created", "update": "updated", "adopt": "adopted", "delete": "deleted"}


_IN_FLIGHT = "in flight at the interrupt"


def _outcome_line(outcome: Outcome, color: bool) -> str:
    change = outcome.change
    in_flight = [_IN_FLIGHT] if outcome.in_flight_at_interrupt else []
    if outcome.status == "done":
        notes = "; ".join([f"{outcome.seconds:.1f}s", *in_flight])
        line = f"✓ {_DONE_VERBS[change.action]} {change.id.describe()} ({notes})"
    else:
        mark = "✗" if outcome.status == "failed" else "-"
        line = f"{mark} {change.action} {change.id.describe()}: {outcome.error}"
        line += "".join(f" ({note})" for note in in_flight)
    return click.style(line, fg=_STYLES[outcome.status]) if color else line


def _result_line(result: ApplyResult, plan_file: Path | None) -> str:
    if result.interrupted:
        return _interrupted_line(result)
    rerun = f"alertsync apply --plan {plan_file}" if plan_file else "alertsync apply"
    return (
        f"Apply {'complete' if result.ok else 'incomplete'}: {result.count('done')} done, "
        f"{result.count('failed')} failed, {result.count('skipped')} skipped "
        f"in {result.seconds:.1f}s."
        + ("" if result.ok else f" Re-run `{rerun}` to converge once the cause is fixed.")
    )


def _interrupted_line(result: ApplyResult) -> str:
    """`Apply interrupted: 10 done, 190 not started; …` (failed and skipped only when any)."""
    counts = [f"{result.count('done')} done"]
    counts += [f"{result.count(s)} {s}" for s in ("failed", "skipped") if result.count(s)]
    counts.append(f"{result.count('not started')} not started")
    in_flight = sum(1 for o in result.outcomes if o.in_flight_at_interrupt)
    finished = f" ({in_flight} in flight at the interrupt, finished)" if in_flight else ""
    return (
        f"Apply interrupted: {', '.join(counts)}{finished} in {result.seconds:.1f}s; "
        "re-run `alertsync apply` to converge."
    )
