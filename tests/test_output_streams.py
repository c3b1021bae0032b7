"""Output people can pipe and trust: what goes to stdout and stderr, and how often."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import alertsync, write_spec

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes


def test_debug_is_accepted_after_the_subcommand(tmp_path: Path) -> None:
    write_spec(tmp_path, "broken.yaml", "apiVersion: alertsync/v1\nowner: [not, a, name]\n")
    quiet = alertsync({}, tmp_path, "validate", "specs")
    assert quiet.code == 1 and "DEBUG:" not in quiet.err
    for args in (("validate", "specs", "--debug"), ("--debug", "validate", "specs")):
        run = alertsync({}, tmp_path, *args)
        assert "No such option" not in run.err
        assert run.code == 1 and "DEBUG:provisioner" in run.err, args


def test_debug_after_a_double_dash_is_a_path(tmp_path: Path) -> None:
    run = alertsync({}, tmp_path, "validate", "--", "--debug")
    assert run.code == 1
    assert "--debug" in run.err and "DEBUG:" not in run.err
