"""Secret values kept out of everything alertsync prints: what is known, and a stream that masks it."""

from __future__ import annotations

import io
import json
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Final, TextIO

MASK: Final = "***"
# Shorter values would mask ordinary words; no webhook URL (https://…) is this short.
MIN_SECRET_LENGTH: Final = 8
# Variables whose values are secrets whatever the specs say.
SECRET_VARIABLES: Final = ("AZURE_CLIENT_SECRET", "ALERTSYNC_FINGERPRINT_KEY")
WEBHOOK_VARIABLE_PREFIX: Final = "ALERTSYNC_WEBHOOK_"

_lock = threading.Lock()
_known: tuple[str, ...] = ()  # every spelling to mask, longest first


def remember(value: str) -> None:
    """Mask `value` from now on, as written and as Azure or Python may quote it back."""
    global _known  # noqa: PLW0603 (one registry per process: every output stream shares it)
    spellings = {s for s in _spellings(value) if len(s) >= MIN_SECRET_LENGTH}
    with _lock:
        _known = tuple(sorted(set(_known) | spellings, key=lambda s: (-len(s), s)))


def remember_environment(env: Mapping[str, str]) -> None:
    """The secrets an environment holds before any spec is read: webhook URLs, client secrets."""
    for name, value in env.items():
        if name in SECRET_VARIABLES or name.startswith(WEBHOOK_VARIABLE_PREFIX):
            remember(value.strip())


def _spellings(value: str) -> Iterable[str]:
    yield value
    yield json.dumps(value)[1:-1]  # in a JSON body an error message quotes
    yield repr(value)[1:-1]  # in a Python message that used !r
    yield urllib.parse.quote(value, safe="")  # as a query parameter of another URL
    query = urllib.parse.urlsplit(value).query
    if query:
        yield query  # the key itself, should only it be echoed back


def mask(text: str) -> str:
    """`text` with every known secret replaced by MASK."""
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class MaskingStream(io.TextIOBase):
    """A text stream that masks known secrets in each write before passing it on.

    Everything alertsync prints goes through sys.stdout/sys.stderr (click, rich, logging, a
    `--debug` traceback), so replacing those two masks all output at once.
    """

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self._target = target

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes streams with b"" for binary ones
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._target.write(mask(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()

    def isatty(self) -> bool:
        return self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]  # the target's, read-only
        return self._target.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]  # the target's, read-only
        return self._target.errors
