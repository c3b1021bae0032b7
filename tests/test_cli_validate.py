"""`alertsync validate` end to end: exit codes, FILE:LINE:COL output, summary, help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from provisioner.cli import cli
from tests.spec_fixtures import FIXTURES, cases, expectations

REPO = Path(__file__).parent.parent

# A representative subset through the real command; test_specs runs every fixture via the library.
REPRESENTATIVE = (
    "short-name-too-long.yaml",
    "yaml-syntax-error.yaml",
    "empty-file.yaml",
    "unknown-key-use-common-schema.yaml",
    "duplicate-condition.yaml",
    "time-zone-unknown.yaml",
    "scope-other-subscription.yaml",
    "declared-twice-across-files",
    "across-files-despite-a-bad-file",
    "alias-billion-laughs.yaml",
    "nested-too-deep.yaml",
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_invalid_fixture_exits_1_naming_file_and_line(name: str) -> None:
    case = FIXTURES / "invalid" / name
    code, out, err = run(str(case))
    assert code == 1
    assert out == ""
    for want in expectations(case):
        prefix = f"{want.path}:{want.line}:"
        assert any(
            line.startswith(prefix) and want.fragment in line for line in err.splitlines()
        ), err


def test_every_line_names_file_line_column_and_json_path() -> None:
    code, _, err = run(*(str(c) for c in cases("invalid")))
    assert code == 1
    for line in err.splitlines():
        where, _, rest = line.partition(": ")
        path, row, column = where.rsplit(":", 2)
        assert Path(path).exists() and row.isdigit() and column.isdigit(), line
        assert rest.endswith(")") and "(at $" in rest, line


def test_valid_specs_exit_0_with_a_summary() -> None:
    code, out, err = run(str(FIXTURES / "valid"))
    assert (code, err) == (0, "")
    assert out == "7 files valid: 4 action groups, 3 alert processing rules, 1 vault\n"


def test_vault_selectors_are_counted_as_selectors_not_as_0_vaults(tmp_path: Path) -> None:
    (tmp_path / "estate.yaml").write_text(
        "apiVersion: alertsync/v1\n"
        "owner: backup-alerts\n"
        "subscription: 00000000-0000-0000-0000-000000000000\n"
        "resourceGroup: rg-monitoring\n"
        "vaults:\n"
        "  - {select: {tags: {env: prod}}, jobFailureAlerts: true}\n"
        "  - {select: {resourceGroup: rg-backup}, classicAlerts: false}\n"
    )
    code, out, err = run(str(tmp_path))
    assert (code, err) == (0, "")
    assert out == (
        "1 file valid: 0 action groups, 0 alert processing rules, 0 vaults, 2 vault selectors\n"
    )


def test_default_path_is_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = run()
    assert code == 0
    assert out == "1 file valid: 1 action group, 1 alert processing rule, 1 vault\n"


def test_validate_needs_no_webhook_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALERTSYNC_WEBHOOK_OPS", raising=False)
    code, out, _ = run(str(REPO / "examples" / "specs"))
    assert code == 0
    assert "2 action groups, 2 alert processing rules, 2 vaults" in out


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0
    assert "FILE:LINE:COL" in result.output and "default: specs/" in result.output


@pytest.mark.slow
def test_real_process_never_prints_a_traceback() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    args = [sys.executable, "-m", "provisioner", "validate", str(FIXTURES / "invalid")]
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count(str(FIXTURES)) >= 60  # per-file problems of (nearly) every fixture
    ok = subprocess.run([*args[:4], "specs"], capture_output=True, text=True, cwd=REPO, check=False)
    assert (ok.returncode, ok.stderr) == (0, "")


def test_an_empty_path_is_a_usage_error_not_the_current_folder() -> None:
    result = CliRunner().invoke(cli, ["validate", ""])
    assert result.exit_code == 2
    assert "an empty path names no spec file or folder" in result.stderr
