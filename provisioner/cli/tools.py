"""`alertsync test-notify`, `export` and `emulator`: commands around the reconciler."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from provisioner.cli.app import (
    EXIT_ERROR,
    EXIT_OK,
    azure_from_env,
    cli,
    no_color_option,
    use_color,
)
from provisioner.errors import AlertsyncError

_SHOWN = 10  # subscriptions named when export cannot choose

if TYPE_CHECKING:
    from provisioner.azure.client import Azure
    from provisioner.azure.tenant import VisibleSubscription
    from provisioner.export.build import Snapshot, SpecFile, VariableNaming


class _AlertTypeOption(click.Option):
    """--alert-type, whose help lists the valid types; read from the SDK boundary only when
    help is shown, so that other commands never import the Azure SDK for it."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from provisioner.azure.mappings.action_groups import TEST_ALERT_TYPES

        self.help = (self.help or "").replace("{types}", ", ".join(TEST_ALERT_TYPES))
        return super().get_help_record(ctx)


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
    cls=_AlertTypeOption,
    default="metricstaticthreshold",
    show_default=True,
    help="Which sample alert the receivers get (any case): {types}.",
)
@no_color_option
def test_notify(action_group: str, spec_path: Path, alert_type: str, no_color: bool) -> int:
    """Send an action group's test notification and report each receiver's result.

    ACTION_GROUP is a name declared in the specs or a full resource ID. Instead of failing a
    backup on purpose (2-6 hours), asks Azure to notify every receiver of the live group now
    (Azure allows 2 tests per group and 5 per subscription every 5 minutes; over that limit the
    test is not retried: it says when to try again and exits 1). Exit 0 when every receiver got
    it, 1 when any failed or is unsubscribed, or the test did not complete.
    """
    from provisioner.azure.mappings.action_groups import TEST_ALERT_TYPES
    from provisioner.check.notify import resolve_group, run_test

    # The API lists its alert types in lower case (docs/azure-behaviour.md#test-notifications);
    # Azure's docs write them as LogAlertV2, ServiceHealth…: accept any case, send the API's.
    alert_type = alert_type.strip().lower()
    if alert_type not in TEST_ALERT_TYPES:  # checked here: the choices live with the SDK models
        raise click.BadParameter(
            f"choose from {', '.join(TEST_ALERT_TYPES)}", param_hint="--alert-type"
        )
    group_id = resolve_group(action_group, [spec_path])  # spec problems: listed by main()
    with azure_from_env() as azure:
        report = run_test(azure, group_id, alert_type)
    color = use_color(no_color)
    click.echo(f"Test notification ({alert_type}) of {report.group.describe()}:")
    for receiver in report.receivers:
        line = receiver.line()
        click.echo(click.style(line, fg="green" if receiver.ok else "red") if color else line)
    failed, total = len(report.failed), len(report.receivers)
    click.echo(
        f"{total - failed} of {total} receiver(s) delivered, {failed} not delivered "
        f"(Azure reports the test notification {report.state or 'without a state'})."
    )
    if not report.receivers:
        click.echo("error: the test reached no receiver; the group has none", err=True)
    return EXIT_OK if report.ok else EXIT_ERROR


@cli.command()
@click.option(
    "--subscription",
    "subscriptions",
    multiple=True,
    metavar="ID",
    help="Subscription to read (repeatable: DIR/<subscription>/<resource group>.yaml) "
    "[AZURE_SUBSCRIPTION_ID, else the only one the sign-in can see].",
)
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
    subscriptions: tuple[str, ...],
    resource_groups: tuple[str, ...],
    owner: str | None,
    out: str,
    force: bool,
) -> None:
    """Write spec files from live Azure: a brownfield start; `plan` on them shows no changes.

    Reads action groups, alert processing rules and vault alert settings (the whole
    subscription, or each --resource-group) and writes DIR/<resource group>.yaml; with several
    --subscription, DIR/<subscription>/<resource group>.yaml for each. Webhook URLs are never
    written: each receiver names an environment variable to set. Resources without alertsync's
    ownership tags need `apply --adopt` once; other owners' are skipped.
    """
    from provisioner.export import io as export_io
    from provisioner.export.build import variable_namings

    chosen = _subscriptions_to_export(subscriptions, resource_groups)
    to_stdout = out == "-"
    with azure_from_env() as azure:
        chosen = chosen or [_the_only_visible_subscription(azure)]
        snapshots = [export_io.read_snapshot(azure, s, resource_groups) for s in chosen]
    namings = variable_namings(snapshots)
    exported = [
        _export_one(
            snapshot,
            owner,
            None if to_stdout else Path(out),
            namings[snapshot.subscription],
            nested=len(chosen) > 1,
        )
        for snapshot in snapshots
    ]
    files = [file for _, file_list, _ in exported for file in file_list]
    if to_stdout:
        click.echo("---\n".join(f.text for f in files), nl=False)
    else:  # one write for all: nothing is written when any file would be refused
        export_io.write_files(files, Path(out), force)
    for _, _, lines in exported:
        for line in lines:
            click.echo(line, err=to_stdout)


def _subscriptions_to_export(
    subscriptions: tuple[str, ...], resource_groups: tuple[str, ...]
) -> list[str]:
    """The --subscription IDs (each once, as given), else AZURE_SUBSCRIPTION_ID; else none:
    the sign-in's only subscription, when it sees exactly one."""
    if any(not s.strip() for s in subscriptions):
        raise click.BadParameter(
            "an empty value names no subscription", param_hint="--subscription"
        )
    chosen = list(dict.fromkeys(s.strip().lower() for s in subscriptions))
    if not chosen and os.environ.get("AZURE_SUBSCRIPTION_ID"):
        chosen = [os.environ["AZURE_SUBSCRIPTION_ID"].strip().lower()]
    if len(chosen) > 1 and resource_groups:
        raise click.UsageError(
            "--resource-group names groups of one subscription: give one --subscription with it, "
            "or export whole subscriptions"
        )
    return chosen


def _the_only_visible_subscription(azure: Azure) -> str:
    """With no subscription given, the one this sign-in sees; with several, name them."""
    from provisioner.azure.tenant import list_subscriptions

    visible = list_subscriptions(azure)
    if len(visible) == 1:
        click.echo(
            f"Exporting {_described(visible[0])}: the only one this sign-in can see.", err=True
        )
        return visible[0].id
    if not visible:
        raise AlertsyncError(
            "no subscription: this sign-in can see none; give --subscription ID or set "
            "AZURE_SUBSCRIPTION_ID"
        )
    shown = ", ".join(_described(v) for v in visible[:_SHOWN])
    more = f" and {len(visible) - _SHOWN} more" if len(visible) > _SHOWN else ""
    raise AlertsyncError(
        f"no subscription: this sign-in can see {len(visible)} ({shown}{more}); give "
        "--subscription ID for each to export (repeatable), or set AZURE_SUBSCRIPTION_ID"
    )


def _described(subscription: VisibleSubscription) -> str:
    name = f" ({subscription.name})" if subscription.name else ""
    state = "" if subscription.state in ("", "Enabled") else f", {subscription.state}"
    return f"{subscription.id}{name}{state}"


def _export_one(
    snapshot: Snapshot,
    owner: str | None,
    out: Path | None,
    naming: VariableNaming,
    *,
    nested: bool,
) -> tuple[str, list[SpecFile], list[str]]:
    """One subscription's spec files, named under DIR/<subscription>/ when out names a folder
    holding several, and the lines that say what was exported."""
    import dataclasses

    from provisioner.export import io as export_io
    from provisioner.export.build import export as export_specs
    from provisioner.export.build import summary_lines

    subscription = snapshot.subscription
    folder = out / subscription if out is not None and nested else out
    result = export_specs(snapshot, owner, export_io.schema_reference(folder), naming)
    lines = summary_lines(result, "stdout" if folder is None else str(folder))
    prefix = f"{subscription}/" if nested else ""
    files = [dataclasses.replace(f, name=prefix + f.name) for f in result.files]
    return subscription, files, lines


@cli.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),  # a TCP port; beyond it bind() raises OverflowError
    default=8443,
    show_default=True,
    envvar="ALERTSYNC_EMULATOR_PORT",  # a second emulator, or a test, beside one on 8443
    show_envvar=True,
    help="Port (0: any free port).",
)
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
    "--latency-ms",
    type=click.IntRange(min=0),  # as the control API's PUT latency: a delay cannot be negative
    default=0,
    show_default=True,
    help="Added to every request.",
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

    env_file = data_dir / "env"
    # A script waiting for DIR/env must never source the last run's (another port and CA).
    env_file.unlink(missing_ok=True)
    try:
        seed = load_seed_file(seed_file) if seed_file is not None else None
        server = Emulator(port=port, data_dir=data_dir, seed=seed, latency_ms=latency_ms).start()
    except (SeedError, StateFileError, OSError) as error:
        raise AlertsyncError(f"emulator: {error}") from error
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in server.env().items())
    _write_atomically(env_file, exports)
    click.echo(exports, nl=False)
    click.echo(f"# alertsync emulator ready at {server.url}; `source {env_file}`; Ctrl-C stops it")
    sys.stdout.flush()
    stop.wait()
    server.stop()
    click.echo("# alertsync emulator stopped", err=True)


def _write_atomically(path: Path, text: str) -> None:
    """Whoever waits for `path` to appear reads it whole (temp file, then rename)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
