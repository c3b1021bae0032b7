"""The `alertsync` command: parses arguments, calls the library, prints, and picks exit codes.

Exit codes: 0 success / no changes; 1 error; 2 changes pending (plan --detailed-exitcode);
3 refused by a safety rule (unsafe plan, stale plan, ownership).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from provisioner import __version__
from provisioner.errors import AlertsyncError

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

    PATH is a spec file or a folder of them (default: specs/). Every problem is printed as
    FILE:LINE:COL: message; exit 1 if there is any, 0 otherwise.
    """
    raise AlertsyncError("validate: not implemented yet (issue 2)")


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
        click.echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
