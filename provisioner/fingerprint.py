"""Fingerprints of secret values in plan checksums: keyed (HMAC), or slow and salted without a key.

A plan's checksum is printed in PR comments and logs. A plain hash of a webhook URL in it would let
any reader test guessed URLs offline at millions per second; see the README's security section
for what each construction protects and the trade-off without a key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping
from typing import Final

from provisioner.errors import AlertsyncError

KEY_VARIABLE: Final = "ALERTSYNC_FINGERPRINT_KEY"
MIN_KEY_LENGTH: Final = 16
# scrypt's cost: 16 MiB of memory and some tens of milliseconds per fingerprint, paid once per
# secret and run; every guess costs an attacker the same, on any hardware that has the memory.
_SCRYPT_N: Final = 2**14
_SCRYPT_R: Final = 8
_SALT_PREFIX: Final = b"alertsync secret fingerprint v1\0"


def key_from_env(env: Mapping[str, str]) -> bytes | None:
    """The fingerprint key the pipeline sets for both plan and apply; None when unset."""
    key = env.get(KEY_VARIABLE, "")
    if not key:
        return None
    if len(key) < MIN_KEY_LENGTH:
        raise AlertsyncError(
            f"{KEY_VARIABLE} is too short ({len(key)} characters): use at least "
            f"{MIN_KEY_LENGTH} random characters, e.g. from `openssl rand -hex 32`, and set the "
            "same value for plan and apply"
        )
    return key.encode()


@functools.lru_cache(maxsize=4096)
def fingerprint(value: str, context: str, key: bytes | None) -> str:
    """A digest of `value` that only the key holder (or, without a key, scrypt's cost) can test.

    `context` (the resource and field) salts it: one guess tests one receiver, never all at
    once, and plan and apply derive the same salt from the same change.
    """
    message = context.encode() + b"\0" + value.encode()
    if key is not None:
        return "hmac-sha256:" + hmac.new(key, message, hashlib.sha256).hexdigest()
    salt = hashlib.sha256(_SALT_PREFIX + context.encode()).digest()
    derived = hashlib.scrypt(
        value.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=1, maxmem=64 * 2**20, dklen=32
    )
    return "scrypt:" + derived.hex()
