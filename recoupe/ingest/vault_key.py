"""The identity vault's key file: created once, checked on every use, and replaced by a rotation in two steps.

The key is `RECOUPE_HOME/secrets/vault.key`: 32 random bytes in hex, mode 0600. The vault records a check of
the key that sealed it (an HMAC of a fixed label under the key, never the key), so a transaction with any
other key is refused before it reads or writes anything, and a process that still holds the previous key
after a rotation finds the new one on disk.

A rotation (recoupe/ingest/vault.py `Vault.rotate`) writes the new key to `vault.key.next` (0600, synced),
reseals every blob and records the new check in one SQLite transaction, then renames `vault.key.next` over
`vault.key`. Killed before the commit, the vault and `vault.key` are untouched (the next rotation overwrites
the leftover `vault.key.next`); killed after it, the first use of the vault sees that only `vault.key.next`
opens it and finishes the rename (`finish_rotation`). The previous key is gone once renamed over: back up
`vault.key` again after a rotation (docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from recoupe.ontology.errors import DataDirError

CHECK_LABEL = b"recoupe identity vault key check v1"


class VaultLocked(DataDirError):
    """The vault cannot be opened: key missing, unreadable, too open, or not the one that sealed it."""

    code = "vault_locked"


def next_path(key_path: Path) -> Path:
    """Where a rotation writes the new key before it replaces the old one."""
    return key_path.with_name(key_path.name + ".next")


def key_check(key: bytes) -> str:
    """What the vault stores to recognise its key: an HMAC-SHA-256 of a fixed label (not the key)."""
    return hmac.new(key, CHECK_LABEL, hashlib.sha256).hexdigest()


def create_key(key_path: Path) -> None:
    """A new random key, 0600, created exclusively: two first runs at once cannot pick two keys."""
    key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it just now: use that one
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_key(key_path: Path) -> bytes:
    """The 256-bit key in `key_path`; VaultLocked when it is readable by others or not 64 hex digits."""
    mode = stat.S_IMODE(key_path.stat().st_mode)
    if mode & 0o077:
        raise VaultLocked(f"The vault key {key_path} is readable by other users (mode {mode:04o})",
                          f"run `chmod 600 {key_path}`")  # fmt: skip
    try:
        key = bytes.fromhex(key_path.read_text(encoding="utf-8").strip())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise VaultLocked(f"The vault key {key_path} is not a 256-bit hex key",
                          f"restore {key_path} from the backup of the data directory")  # fmt: skip
    return key


def write_next(key_path: Path) -> bytes:
    """A new key in `vault.key.next` (0600, synced; a leftover of a rotation killed earlier is replaced)."""
    path = next_path(key_path)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return key


def finish_rotation(key_path: Path) -> None:
    """Rename `vault.key.next` over `vault.key`, then sync the directory (done by another process: fine)."""
    try:
        os.replace(next_path(key_path), key_path)
    except FileNotFoundError:
        return
    directory = os.open(key_path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
