"""The part of the viewer's cache that `recoupe serve`'s worker processes share: finished answers (encoded
JSON, rendered page content), so that a read made by one worker serves the others until it expires, instead
of each worker reading the same thing again (recoupe/web/cache.py keeps the rest in each process's memory).

A SQLite file, `RECOUPE_HOME/run/viewer-cache.sqlite` (mode 0600, like the accounts file), in WAL mode and
without syncs: it is a cache, and losing it loses nothing. The server empties it when it starts, and removes
it when it stops. It holds at most the answers of the last `RECOUPE_CACHE_SECONDS`: each write first deletes
the expired rows (with SQLite's `secure_delete`, their bytes are overwritten), and a read never returns one.

A failure of the file (locked too long, removed, full disk) never fails a request: the answer is read from the
graph as without the cache, and the failure is logged once per process.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from datetime import date, datetime
from pathlib import Path

FILE_NAME = "viewer-cache.sqlite"
BUSY_MS = 200  # longest a worker waits for another's write before it reads the graph itself
LEAF_TYPES = (str, int, float, bool, type(None), date, datetime)
SCHEMA = "CREATE TABLE answers (key TEXT PRIMARY KEY, expires REAL NOT NULL, value BLOB NOT NULL)"
_log = logging.getLogger(__name__)


def shared_key(key: object) -> str | None:
    """The text that names `key` in the file, or None when `key` is not made of plain values (such a key is
    kept in one process only). Tuples of text, numbers, booleans, None and dates have one stable repr."""
    if isinstance(key, tuple):
        return repr(key) if all(shared_key(part) is not None for part in key) else None
    return repr(key) if isinstance(key, LEAF_TYPES) else None


class SharedAnswers:
    """Finished answers, bytes or text, each with its expiry (seconds since the epoch), in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._failed = False

    @classmethod
    def create(cls, path: Path) -> SharedAnswers:
        """An empty file at `path` (the one of an earlier server removed first), before the workers start."""
        remove(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))  # its -wal gets the same mode
        shared = cls(path)
        with sqlite3.connect(path, isolation_level=None) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            db.execute("CREATE INDEX answers_expires ON answers (expires)")
        db.close()
        return shared

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use, in the worker: never one opened before a fork)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            if not self.path.exists():  # never made here: a worker outlived its server, or it was removed
                raise sqlite3.OperationalError(f"{self.path} does not exist")
            db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
            db.execute("PRAGMA synchronous=OFF")
            db.execute("PRAGMA secure_delete=ON")
            self._local.db = db
        return db

    def get(self, key: str, now: float) -> tuple[float, bytes | str] | None:
        """(expiry, value) kept for `key` and not expired at `now`, else None."""
        try:
            row = (
                self._db()
                .execute("SELECT expires, value FROM answers WHERE key = ? AND expires > ?", (key, now))
                .fetchone()
            )
        except sqlite3.Error as exc:
            self._failure(exc)
            return None
        return None if row is None else (float(row[0]), row[1])

    def put(self, key: str, expires: float, value: bytes | str, now: float) -> None:
        """Keep `value` for `key` until `expires`; the rows expired at `now` are deleted first."""
        try:
            db = self._db()
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.execute("DELETE FROM answers WHERE expires <= ?", (now,))
                db.execute("INSERT OR REPLACE INTO answers (key, expires, value) VALUES (?, ?, ?)",
                           (key, expires, value))  # fmt: skip
        except sqlite3.Error as exc:
            self._failure(exc)

    def clear(self) -> None:
        """Forget every answer (the app wrote to the graph: no worker may serve what it kept before)."""
        try:
            self._db().execute("DELETE FROM answers")
        except sqlite3.Error as exc:
            self._failure(exc)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _failure(self, exc: sqlite3.Error) -> None:
        if not self._failed:
            self._failed = True
            _log.warning("the shared cache %s failed (%s): answers are read from the graph", self.path, exc)


def remove(path: Path) -> None:
    """Remove the file and SQLite's companions (the server stopped, or a new one starts)."""
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        name.unlink(missing_ok=True)
