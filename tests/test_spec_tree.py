"""A spec tree is read completely or not at all: whatever cannot be read is an error, never skipped."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from provisioner.spec import files as spec_files
from tests.e2e import SEED_SCENARIO, alertsync, write_spec

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
NOBODY = 65534

GROUP_SPEC = """
    apiVersion: alertsync/v1
    owner: backup-alerts
    subscription: 00000000-0000-0000-0000-000000000000
    resourceGroup: rg-monitoring
    actionGroups:
      - name: {name}
        shortName: {name}
        emailReceivers:
          - {{name: oncall, address: oncall@example.com}}
"""


def group_spec(name: str) -> str:
    return textwrap.dedent(GROUP_SPEC.format(name=name)).lstrip()


def messages(paths: list[Path]) -> list[str]:
    return [str(p) for p in spec_files.check(paths)[1]]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """specs/a.yaml and specs/sub/b.yaml, both valid."""
    specs = tmp_path / "specs"
    (specs / "sub").mkdir(parents=True)
    (specs / "a.yaml").write_text(group_spec("ag-a"))
    (specs / "sub" / "b.yaml").write_text(group_spec("ag-b"))
    return specs


def test_a_complete_tree_reads_every_file(tree: Path) -> None:
    documents = spec_files.load([tree])
    assert [Path(d.path).name for d in documents] == ["a.yaml", "b.yaml"]


def test_a_dangling_spec_link_is_an_error_naming_it_and_its_target(tree: Path) -> None:
    (tree / "gone.yaml").symlink_to("nowhere.yaml")
    assert messages([tree]) == [
        f"{tree}/gone.yaml: is a broken symbolic link (its target nowhere.yaml does not exist)"
    ]


def test_a_dangling_link_that_may_be_a_folder_is_an_error(tree: Path) -> None:
    (tree / "shared").symlink_to(tree.parent / "moved-away")
    assert messages([tree]) == [
        f"{tree}/shared: is a broken symbolic link (its target {tree.parent}/moved-away does not "
        "exist)"
    ]


def test_a_dangling_link_that_is_no_spec_is_no_loss(tree: Path) -> None:
    (tree / "notes.txt").symlink_to("nowhere.txt")
    assert messages([tree]) == []


def test_a_symlink_loop_is_an_error(tree: Path) -> None:
    (tree / "one.yaml").symlink_to("two.yaml")
    (tree / "two.yaml").symlink_to("one.yaml")
    loop = "is a symbolic link loop (the links point at each other)"
    assert messages([tree]) == [f"{tree}/one.yaml: {loop}", f"{tree}/two.yaml: {loop}"]
    assert messages([tree / "one.yaml"]) == [f"{tree}/one.yaml: {loop}"]


def test_a_linked_folder_is_read_once_and_a_link_to_an_ancestor_ends_the_descent(
    tree: Path,
) -> None:
    elsewhere = tree.parent / "shared"
    elsewhere.mkdir()
    (elsewhere / "c.yaml").write_text(group_spec("ag-c"))
    (tree / "shared").symlink_to(elsewhere)
    (tree / "sub" / "again").symlink_to(elsewhere)
    (tree / "sub" / "up").symlink_to("..")
    documents = spec_files.load([tree])
    assert sorted(Path(d.path).name for d in documents) == ["a.yaml", "b.yaml", "c.yaml"]


def test_a_fifo_found_in_the_tree_is_reported_as_a_fifo_and_never_opened(tree: Path) -> None:
    os.mkfifo(tree / "pipe.yaml")  # opening it to read would wait for a writer forever
    assert messages([tree]) == [
        f"{tree}/pipe.yaml: is a FIFO (named pipe), not a regular file: a spec file must be one"
    ]


@pytest.mark.parametrize(
    ("given", "what"),
    [("fifo", "is a FIFO (named pipe)"), ("/dev/null", "is a character device")],
)
def test_a_fifo_or_device_given_is_reported_as_what_it_is(
    tmp_path: Path, given: str, what: str
) -> None:
    path = Path(given) if given.startswith("/") else tmp_path / given
    if not path.exists():
        os.mkfifo(path)
    assert messages([path]) == [f"{path}: {what}, not a spec file or folder"]


def test_an_unreadable_folder_found_by_the_walk_is_an_error(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The injected twin of the unprivileged run below, for platforms where it cannot run."""
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "sub":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(spec_files.os, "scandir", scandir)
    assert messages([tree]) == [f"{tree}/sub: cannot read the folder: permission denied"]


# --- as a user without privileges: root reads everything, so only this proves the walk ---------

# The interpreter's own library may live where an unprivileged user cannot read (here: under
# /root), so the child imports every module of the tool first (and with them what they import),
# then gives up root for good.
_UNPRIVILEGED = f"""
import importlib, os, pkgutil, sys
import provisioner
for module in pkgutil.walk_packages(provisioner.__path__, "provisioner."):
    if not module.name.startswith(("provisioner.emulator", "provisioner.__main__")):
        importlib.import_module(module.name)
from provisioner.cli import main
if os.geteuid() == 0:
    os.setgroups([]); os.setgid({NOBODY}); os.setuid({NOBODY})
assert os.geteuid() != 0
sys.argv = ["alertsync", *sys.argv[1:]]
main()
"""


@pytest.fixture
def shared_tree() -> Iterator[Path]:
    """A spec tree an unprivileged user can reach (pytest's tmp_path is root's alone)."""
    top = Path(tempfile.mkdtemp(prefix="alertsync-tree-"))
    top.chmod(0o755)
    specs = top / "specs"
    (specs / "sub").mkdir(parents=True)
    (specs / "a.yaml").write_text(group_spec("ag-a"))
    (specs / "sub" / "b.yaml").write_text(group_spec("ag-b"))
    for path in (specs, specs / "sub"):
        path.chmod(0o755)
    for path in (specs / "a.yaml", specs / "sub" / "b.yaml"):
        path.chmod(0o644)
    yield specs
    (specs / "sub").chmod(0o755)
    shutil.rmtree(top)


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-c", _UNPRIVILEGED, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_a_folder_an_unprivileged_user_cannot_read_fails_every_command(
    shared_tree: Path, command: str
) -> None:
    (shared_tree / "sub").chmod(0)
    done = run_unprivileged(command, str(shared_tree), *(["--yes"] if command == "apply" else []))
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert "Traceback" not in done.stderr
    assert f"{shared_tree}/sub: cannot read the folder: permission denied" in done.stderr


@pytest.mark.slow
def test_a_spec_an_unprivileged_user_cannot_read_is_an_error(shared_tree: Path) -> None:
    (shared_tree / "sub" / "b.yaml").chmod(0)
    done = run_unprivileged("validate", str(shared_tree))
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"{shared_tree}/sub/b.yaml: cannot be read: permission denied\n"


@pytest.mark.slow
def test_unprivileged_run_reads_a_readable_tree(shared_tree: Path) -> None:
    """The control: the child can read what it may, so the failures above are the folder's."""
    done = run_unprivileged("validate", str(shared_tree))
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.startswith("2 files valid")


# --- what a skipped file declared is never pruned ----------------------------------------------


@pytest.mark.slow
def test_apply_prune_deletes_nothing_when_a_spec_cannot_be_read(
    arm_env: dict[str, str], tmp_path: Path, world: Emulator
) -> None:
    specs = write_spec(tmp_path, "scenario.yaml", SEED_SCENARIO)
    (specs / "extra.yaml").write_text(group_spec("ag-extra"))
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    moved = tmp_path / "elsewhere.yaml"
    (specs / "extra.yaml").rename(moved)
    (specs / "extra.yaml").symlink_to(tmp_path / "gone.yaml")  # as after a botched checkout
    world.control.clear_requests()

    run = alertsync(arm_env, tmp_path, "apply", "--yes", "--prune", "--force")

    assert run.code == 1, run.err
    assert "specs/extra.yaml: is a broken symbolic link" in run.err
    assert "Traceback" not in run.err
    assert [r for r in world.control.requests() if r["method"] != "GET"] == []
    assert "ag-extra" in str(world.control.state())  # what the unread file declared is kept
