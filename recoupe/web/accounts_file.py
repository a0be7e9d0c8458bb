"""The accounts' SQLite file: created private (0600, directory 0700), in WAL mode, short transactions."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from recoupe.ontology.errors import DataDirError

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL,
    role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, failed_logins INTEGER NOT NULL DEFAULT 0, locked_until TEXT);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, last_used_at TEXT,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL, csrf_token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS login_failures (client TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_by_client ON login_failures (client, at);
CREATE INDEX IF NOT EXISTS login_failures_by_time ON login_failures (at);
"""


class AccountsFile:
    """RECOUPE_HOME/accounts.db: created with its tables on first use, then used in transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        self._lock = threading.Lock()
        self._readers = threading.local()  # each thread's reading connection (see transaction)

    def _prepare(self) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.path.exists():
                os.chmod(self.path.parent, 0o700)
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            raise DataDirError(
                f"Cannot create the accounts file {self.path}: {exc.strerror}",
                "set RECOUPE_HOME to a directory you can write",
            ) from exc
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise DataDirError(
                f"The accounts file {self.path} is readable by other users (mode {mode:04o})",
                f"run `chmod 600 {self.path}`",
            )
        with closing(sqlite3.connect(self.path)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # its -wal and -shm files take the database's mode
            conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One short transaction: a write one (it takes the file's write lock at once, on a connection of its
        own), or a read one (many at a time, beside a writer: the file is in WAL mode), on the thread's own
        connection, kept open while the file is the same (every request reads this file: opening it each
        time was a tenth of a cached page's CPU)."""
        with self._lock:
            if not self._ready:
                self._prepare()
                self._ready = True
        conn = self._connect() if write else self._reader()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError):
                self._forget_reader()
                raise DataDirError(
                    f"The accounts file {self.path} cannot be used: {exc}",
                    f"check {self.path} (restore it from a backup if it is damaged)",
                ) from exc
            raise
        finally:
            if write:
                conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def _reader(self) -> sqlite3.Connection:
        """This thread's reading connection, opened again when the file was replaced (a restored backup)."""
        try:
            stat_ = self.path.stat()
        except OSError as exc:
            raise DataDirError(
                f"The accounts file {self.path} cannot be read: {exc.strerror}",
                f"check {self.path} (restore it from a backup if it is missing)",
            ) from exc
        identity = (stat_.st_dev, stat_.st_ino)
        kept: tuple[tuple[int, int], sqlite3.Connection] | None = getattr(self._readers, "kept", None)
        if kept is not None and kept[0] == identity:
            return kept[1]
        self._forget_reader()
        conn = self._connect()
        self._readers.kept = (identity, conn)
        return conn

    def _forget_reader(self) -> None:
        kept = getattr(self._readers, "kept", None)
        if kept is not None:
            self._readers.kept = None
            kept[1].close()
