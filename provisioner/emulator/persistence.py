"""The optional state file: the world saved atomically in the background, loaded at start.

Writes only mark the world dirty; one saver thread writes the latest snapshot at most every
SAVE_INTERVAL_SECONDS. Rewriting the whole file in every request made a burst of N writes cost
O(N²) (a 500-rule apply took 10 s instead of 1 s), while a coalesced save costs one snapshot
per interval. Stopping flushes synchronously, so only a crash can lose writes: at most the
last interval's.

Lock order (never the reverse, or two threads can deadlock):
file lock (`StateFile.lock`) → world lock (`World.lock`). Nobody may hold world.lock while
saving; marking dirty takes no lock, so a write may do it from anywhere.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from provisioner.emulator.models import World

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
# How often the saver writes while the world is dirty: also the most a crash can lose. Short
# enough that a person restarting by hand never notices, long enough that a burst of writes
# shares one snapshot.
SAVE_INTERVAL_SECONDS = 0.2


class StateFileError(RuntimeError):
    """The state file exists but cannot be read back."""


class StateFile:
    """`DIR/state.json`: written via a temp file + os.replace so a crash never leaves half a file."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / STATE_FILE
        # Held from a snapshot to its rename, so saves reach the disk in snapshot order.
        self.lock = threading.Lock()

    def load_into(self, world: World) -> bool:
        """Replace the world with the saved one; False when there is no state file yet."""
        if not self.path.exists():
            return False
        try:
            snapshot = json.loads(self.path.read_text(encoding="utf-8"))
            with world.lock:
                world.load_json(snapshot)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise StateFileError(
                f"{self.path}: the emulator state file is corrupt ({type(error).__name__}: {error});"
                " delete it to start from the seed again"
            ) from error
        log.info("emulator: loaded state from %s", self.path)
        return True

    def save(self, world: World) -> None:
        """Snapshot the world and write it, under the file lock (see the module's lock order)."""
        with self.lock:
            self.save_locked(world)

    def save_locked(self, world: World) -> None:
        """Snapshot and write; the caller holds `lock`, so an older world never lands last."""
        with world.lock:
            text = json.dumps(world.to_json(), indent=1, sort_keys=True)
        self.write(text)

    def write(self, text: str) -> None:
        """Write atomically: a temp file in the same directory, then os.replace."""
        temporary = self.path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.path)


class StateSaver:
    """Coalesces saves: `mark_dirty` returns at once, a thread writes the latest world later.

    The dirty flag is cleared under the file lock just before the snapshot is taken, so a write
    marked after the clear is either in that snapshot or saved by the next one: nothing
    acknowledged is ever skipped.
    """

    def __init__(self, state_file: StateFile, world: World) -> None:
        self.state_file = state_file
        self.world = world
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, name: str) -> None:
        """Start the background saver thread (named for the emulator, to spot a leaked one)."""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def mark_dirty(self) -> None:
        """Note that the world changed; once stopped, save at once (a connection still open
        at stop may finish a write later, and it was acknowledged)."""
        self._dirty.set()
        if self._stopping.is_set():
            self.flush()

    def flush(self) -> None:
        """Save now if dirty; returns once every write marked before the call is on disk.

        Taking the file lock first also waits for a save the thread has already begun.
        """
        with self.state_file.lock:
            if not self._dirty.is_set():
                return
            self._dirty.clear()
            self.state_file.save_locked(self.world)

    def stop(self) -> None:
        """Stop the thread, then write the last state synchronously (a clean stop loses nothing)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()

    def _run(self) -> None:
        """Every interval until stopped, save if dirty; a failed save is logged and retried."""
        while not self._stopping.wait(SAVE_INTERVAL_SECONDS):
            try:
                self.flush()
            except Exception:  # the saver must outlive one failed save (a full disk, say)
                self._dirty.set()  # the world is still not on disk: try again next interval
                log.exception("emulator: could not save %s", self.state_file.path)
