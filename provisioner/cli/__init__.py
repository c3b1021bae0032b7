"""The `alertsync` command line; only this package prints or picks exit codes."""

from provisioner.cli import check, plan_apply, tools, validate
from provisioner.cli.app import cli, main

__all__ = ["check", "cli", "main", "plan_apply", "tools", "validate"]
