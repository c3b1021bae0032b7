"""The `alertsync` command group: shared options, exit codes, and turning errors into messages.

Exit codes: 0 success / no changes; 1 error; 2 changes pending (plan --detailed-exitcode) or a
usage error (as click reports it: an unknown option, a bad value); 3 refused by a safety rule
(unsafe plan, stale plan, ownership).

The Azure SDKs take most of a second to import: commands import them inside their functions,
so that `validate` and `--help` stay instant.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from provisioner import __version__, masking
from provisioner.errors import AlertsyncError, SpecError

if TYPE_CHECKING:
    from provisioner.azure.client import Azure

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_REFUSED = 3

DEFAULT_SPEC_PATHS = ("specs",)


class _SpecPath(click.Path):
    """A spec file or folder; an empty argument is refused rather than read as `.`."""

    def convert(
        self,
        value: str | os.PathLike[str],
        param: click.Parameter | None,
        ctx: click.Context | None,
    ) -> str | bytes | os.PathLike[str]:
        # Path("") is Path("."): `validate "$UNSET_VAR"` would check the current folder instead.
        if value == "":
            self.fail("an empty path names no spec file or folder", param, ctx)
        return super().convert(value, param, ctx)


spec_paths = click.argument("paths", nargs=-1, type=_SpecPath(path_type=Path), metavar="[PATH]...")


class _Commands(click.Group):
    """The command group; `--debug` is accepted after the subcommand too.

    People add it to the command that failed (`alertsync plan specs --debug`), not before it.
    Only arguments before a `--` count: after it, `--debug` would be a path.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        if "--debug" in args[:end]:
            args = ["--debug", *(a for i, a in enumerate(args) if i >= end or a != "--debug")]
        return super().parse_args(ctx, args)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
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
    if not debug:
        # azure-identity logs every failed attempt as a warning; our one error sentence says it.
        logging.getLogger("azure").setLevel(logging.ERROR)


def spec_paths_or_default(paths: tuple[Path, ...]) -> list[Path]:
    return list(paths) if paths else [Path(p) for p in DEFAULT_SPEC_PATHS]


def use_color(no_color: bool) -> bool:
    """Colour only on a terminal, never with --no-color or NO_COLOR (no-color.org).

    no-color.org: NO_COLOR turns colour off when it is present *and not empty*; an empty one
    (`NO_COLOR= alertsync plan`, or a CI variable left blank) is as if it were unset.
    """
    return not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()


def azure_from_env() -> Azure:
    from provisioner.azure.client import Azure
    from provisioner.azure.settings import AzureSettings

    return Azure(AzureSettings.from_env(os.environ))


no_color_option = click.option("--no-color", is_flag=True, help="Never colour the output.")

REPORT_FORMATS = ("text", "json", "markdown")


def format_option(what: str) -> Callable[[F], F]:
    """`--format text|json|markdown` (default text) for a command that prints `what`."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(REPORT_FORMATS),
        default="text",
        show_default=True,
        help=f"How to print {what}.",
    )


def _report(error: AlertsyncError) -> None:
    """One line per problem: a spec error lists each FILE:LINE:COL, as `validate` does.

    An error of several problems carries one per line of its message; each is its own
    `error:` sentence (what the CLI promises: one error per line), never one long line of them.
    """
    if isinstance(error, SpecError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
    sentences = [line for line in str(error).splitlines() if line.strip()]
    for sentence in sentences or [type(error).__name__]:
        click.echo(f"error: {sentence}", err=True)


# A run builds hundreds of thousands of small objects that live until it ends (spec nodes,
# models, field trees, live state); at the default threshold (700 allocations) the collector
# scans them again and again. mypy raises it for the same reason; loading and modelling the
# specs of 2,000 rules took 15 % less time with this one.
GC_THRESHOLD = (100_000, 20, 20)


def main() -> None:
    """Entry point: run the CLI and turn AlertsyncError into a message and an exit code.

    Everything printed (a `--debug` traceback included) passes through masking streams, so no
    secret alertsync knows reaches the terminal or a CI log, even when Azure echoes it back.
    """
    gc.set_threshold(*GC_THRESHOLD)
    masking.remember_environment(os.environ)
    sys.stdout = masking.MaskingStream(sys.stdout)
    sys.stderr = masking.MaskingStream(sys.stderr)
    args = sys.argv[1:]
    debug = "--debug" in args[: args.index("--") if "--" in args else len(args)]
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)  # 2 for a usage error, as click documents it
    except AlertsyncError as error:
        if debug:
            raise
        _report(error)
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
