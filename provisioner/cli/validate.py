"""`alertsync validate`: offline checks of spec files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from provisioner.cli.app import EXIT_ERROR, cli, spec_paths, spec_paths_or_default

if TYPE_CHECKING:
    from provisioner.errors import SpecProblem
    from provisioner.model import Resource


@cli.command()
@spec_paths
def validate(paths: tuple[Path, ...]) -> None:
    """Check spec files offline (schema and semantic rules); no Azure call.

    PATH is a spec file or a folder of them, searched recursively for *.yaml and *.yml
    (default: specs/). Checks each file against schemas/alertsync.schema.json and the rules
    Azure enforces (short names, emails, names, time zones, scopes...), then the files
    together (duplicates, action group references). Webhook URLs are not needed: each
    environment variable a webhook names that is unset is a warning (once per variable,
    naming every receiver that needs it), since plan and apply will need it.

    Every problem is printed to stderr as FILE:LINE:COL: message (at $.json.path);
    exit 1 if there is any, 0 otherwise with a one-line summary on stdout.
    """
    import os

    from provisioner.spec import desired
    from provisioner.spec import files as spec_files
    from provisioner.spec.variables import missing_variables

    documents, problems = spec_files.check(spec_paths_or_default(paths))
    # Across files over every entry without a problem of its own: one bad file hides nothing.
    state, across = desired.check_across(documents, env=None)
    problems = spec_files.sorted_problems([*problems, *across])
    for problem in problems:
        click.echo(str(problem), err=True)
    for missing in missing_variables(documents, os.environ):
        click.echo(_warning(missing), err=True)
    if problems:
        raise click.exceptions.Exit(EXIT_ERROR)
    resources = list(state.resources.values())
    click.echo(_validate_summary(len(documents), resources, len(state.vault_selections)))


def _warning(problem: SpecProblem) -> str:
    """`FILE:LINE:COL: warning: …`, as compilers write them."""
    where = f"{problem.path}:{problem.line}:{problem.column}"
    return f"{where}: warning: {problem.message}; plan and apply need it"


def _validate_summary(files: int, resources: list[Resource], vault_selectors: int) -> str:
    """`3 files valid: 2 action groups, 1 alert processing rule, 1 vault, 1 vault selector`.

    A `vaults:` entry with `select` names no vault until plan reads Azure: counted as what it
    is, never as 0 vaults.
    """
    from collections import Counter

    from provisioner.kinds import KINDS
    from provisioner.model import plural

    counts = Counter(resource.KIND for resource in resources)
    parts = [plural(counts[kind], kind.label) for kind in KINDS]
    if vault_selectors:
        parts.append(plural(vault_selectors, "vault selector"))
    return f"{plural(files, 'file')} valid: {', '.join(parts)}"
