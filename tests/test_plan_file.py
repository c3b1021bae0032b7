"""Reading a reviewed plan file (`apply --plan FILE`): anything but a plan is one clear error."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provisioner.errors import AlertsyncError
from provisioner.sync import pipeline
from provisioner.sync.pipeline import read_plan_file
from tests.e2e import alertsync

REPO = Path(__file__).resolve().parent.parent

GOOD: dict[str, Any] = {
    "formatVersion": 1,
    "checksum": "sha256:" + "0" * 64,
    "options": {"prune": False, "adopt": True},
    "summary": {"create": 1, "update": 0, "adopt": 0, "delete": 0},
    "changes": [{"action": "create"}],
}


def with_(key: str, value: Any) -> str:
    return json.dumps({**GOOD, key: value})


def test_a_good_plan_file_binds_its_options_and_counts(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(json.dumps(GOOD))
    saved = read_plan_file(tmp_path / "plan.json")
    assert saved.options == pipeline.Options(prune=False, adopt=True)
    assert saved.summary == GOOD["summary"]


BAD_TEXT: list[tuple[str, str, str]] = [
    ("summary-string", with_("summary", {"create": "1"}), "summary is not a mapping"),
    ("summary-null", with_("summary", {"create": None}), "summary is not a mapping"),
    ("summary-huge", with_("summary", {"create": 1e999}), "invalid JSON: Infinity"),
    ("summary-bool", with_("summary", {"create": True}), "summary is not a mapping"),
    ("summary-negative", with_("summary", {"create": -1}), "summary is not a mapping"),
    ("summary-list", with_("summary", [1]), "summary is not a mapping"),
    ("options-string", with_("options", {"prune": "yes"}), "options is not a mapping"),
    ("checksum-number", with_("checksum", 5), "checksum is not a string"),
    ("changes-of-strings", with_("changes", ["x"]), "changes is not a list"),
    ("version-bool", with_("formatVersion", True), "format version True is not supported"),
    ("version-huge", with_("formatVersion", "9" * 100), "format version '99999999"),
    ("nan", json.dumps(GOOD).replace('"create": 1', '"create": NaN'), "NaN is not a JSON"),
    ("digits", json.dumps(GOOD).replace('"create": 1', '"create": ' + "9" * 5000), "digits"),
    ("deep", "[" * 100_000 + "]" * 100_000, "nested too deep"),
    ("deep-objects", '{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deep"),
    ("not-json", "checksum: sha256:abc", "invalid JSON"),
    ("a-list", "[]", "no formatVersion/checksum"),
    ("empty", "", "invalid JSON"),
]


@pytest.mark.parametrize(("text", "says"), [c[1:] for c in BAD_TEXT], ids=[c[0] for c in BAD_TEXT])
def test_a_malformed_plan_file_is_one_error(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "plan.json").write_text(text)
    with pytest.raises(AlertsyncError) as caught:
        read_plan_file(tmp_path / "plan.json")
    message = str(caught.value)
    assert says in message and str(tmp_path / "plan.json") in message
    assert "\n" not in message and len(message) < 400


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"checksum": "caf\xe9"}', "plan.json:1: not a plan file (byte 0xe9 is not UTF-8)"),
        (codecs.BOM_UTF16_LE + json.dumps(GOOD).encode("utf-16-le"), "it is UTF-16"),
        (codecs.BOM_UTF16_BE + json.dumps(GOOD).encode("utf-16-be"), "it is UTF-16"),
        (json.dumps(GOOD).encode("utf-16-le"), "it is UTF-16"),
    ],
    ids=["latin-1", "utf-16-le", "utf-16-be", "utf-16-without-bom"],
)
def test_a_plan_file_that_is_not_utf8_is_one_error(tmp_path: Path, raw: bytes, says: str) -> None:
    (tmp_path / "plan.json").write_bytes(raw)
    with pytest.raises(AlertsyncError, match="not a plan file") as caught:
        read_plan_file(tmp_path / "plan.json")
    assert says in str(caught.value)


def test_a_plan_file_larger_than_the_bound_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "MAX_PLAN_BYTES", 2**20)
    (tmp_path / "plan.json").write_text(json.dumps(GOOD) + " " * 2**20)
    with pytest.raises(AlertsyncError, match="is over the size limit of 1 MiB"):
        read_plan_file(tmp_path / "plan.json")


def run_apply_plan(plan: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command; a plan file is read before Azure is reached, so no emulator."""
    return subprocess.run(
        [sys.executable, "-m", "provisioner", "apply", "--yes", "--plan", plan, "specs"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,  # the FIFO case hung forever before the fix
        check=False,
    )


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
@pytest.mark.parametrize(
    ("plan", "says"),
    [("fifo", "it is a FIFO (named pipe), not a regular file"), ("/dev/zero", "character device")],
)
def test_apply_refuses_a_fifo_or_device_as_plan_without_reading_it(
    tmp_path: Path, plan: str, says: str
) -> None:
    if plan == "fifo":
        os.mkfifo(tmp_path / "fifo")  # no writer: opening it to read would block forever
    done = run_apply_plan(plan, tmp_path)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: cannot read plan file {plan}: ") and says in line


# --- plan --out never writes over the specs ----------------------------------------------------


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
@pytest.mark.parametrize(
    ("out", "says"),
    [
        ("specs/s.yaml", "specs/s.yaml is inside the spec folder specs"),
        ("specs/plan.json", "specs/plan.json is inside the spec folder specs"),
        ("specs/sub/../plan.yaml", "specs/sub/../plan.yaml is inside the spec folder specs"),
        ("link/s.yaml", "link/s.yaml is inside the spec folder specs"),
    ],
)
def test_plan_out_refuses_the_spec_tree_before_reading_azure(
    tmp_path: Path, out: str, says: str
) -> None:
    spec = tmp_path / "specs" / "s.yaml"
    (tmp_path / "specs" / "sub").mkdir(parents=True)
    spec.write_text("apiVersion: alertsync/v1\nowner: x\n")
    (tmp_path / "link").symlink_to("specs")
    done = alertsync({**os.environ}, tmp_path, "plan", "--out", out, "specs")
    assert done.code == 2, done.err  # a usage error: nothing was read, nothing written
    assert f"Invalid value for '--out': {says}" in done.err
    assert spec.read_text() == "apiVersion: alertsync/v1\nowner: x\n"
    assert sorted(p.name for p in (tmp_path / "specs").iterdir()) == ["s.yaml", "sub"]


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
def test_plan_out_refuses_the_spec_file_given(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("apiVersion: alertsync/v1\nowner: x\n")
    done = alertsync({**os.environ}, tmp_path, "plan", "--out", "s.yaml", "s.yaml")
    assert done.code == 2
    assert "s.yaml is the spec file s.yaml: write the plan outside the specs" in done.err
