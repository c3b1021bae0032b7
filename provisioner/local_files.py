"""Read the user's local files safely: regular files only, of bounded size, never blocking."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class UnreadableFile(Exception):
    """A path that cannot be read as a file; the message is the reason, without the path."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words: `a FIFO (named pipe)`, `a character device`…"""
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def reason(error: OSError, path: Path) -> str:
    """Why `path` cannot be reached, in words that say what to fix.

    A dangling symbolic link and a loop of them are told apart from a missing file: the user
    sees the name in a listing and would otherwise not believe "no such file".
    """
    if error.errno == errno.ELOOP:
        return "is a symbolic link loop (the links point at each other)"
    if error.errno == errno.ENOENT and path.is_symlink():
        return f"is a broken symbolic link (its target {os.readlink(path)} does not exist)"
    if error.errno == errno.ENOENT:
        return "no such file or directory"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied"
    return f"cannot be read: {(error.strerror or str(error)).lower()}"


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at path, at most max_bytes; UnreadableFile otherwise.

    Opened non-blocking and checked with fstat before reading: a FIFO without a writer would
    hang the read forever, and /dev/zero would fill memory, so neither is read at all.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        raise UnreadableFile(reason(error, path)) from error
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"is {kind_of(mode)}, not a regular file")
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = stream.read(max_bytes + 1)
    except OSError as error:
        raise UnreadableFile(reason(error, path)) from error
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        raise UnreadableFile(f"is over the size limit of {max_bytes // 2**20} MiB")
    return data
