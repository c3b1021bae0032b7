"""The optional state file: the world saved atomically after each write, loaded at start."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from provisioner.emulator.models import World

log = logging.getLogger(__name__)

STATE_FILE = "state.json"


class StateFileError(RuntimeError):
    """The state file exists but cannot be read back."""


class StateFile:
    """`DIR/state.json`: written via a temp file + os.replace so a crash never leaves half a file."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / STATE_FILE
        self._lock = threading.Lock()

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
        """Write the world atomically (temp file in the same directory, then os.replace).

        The file lock is held from the snapshot to the rename, so saves reach the disk in the
        order their snapshots were taken: an older world can never replace a newer one. Lock
        order is always file lock, then world lock; callers must not hold world.lock here.
        """
        with self._lock:
            with world.lock:
                text = json.dumps(world.to_json(), indent=1, sort_keys=True)
            temporary = self.path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, self.path)
