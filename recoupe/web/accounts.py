"""Who may do what: accounts, roles and their permissions, sessions and API tokens, kept in SQLite apart
from the graph (the web side, with the login pages and the checks on every request, is auth.py).

Accounts live apart from the graph, in SQLite `RECOUPE_HOME/accounts.db` (mode 0600): argon2id password
hashes, API tokens and session ids stored as SHA-256 hashes only. Every page and endpoint but `/connexion`
and `/api/health` needs a login (`require`); a role grants these permissions:

| Permission | viewer | analyst | investigator | admin | auditor |
|---|---|---|---|---|---|
| `read.incidents` (incidents, places, cameras, assets) | ✓ | ✓ | ✓ | ✓ | |
| `forecasts` (risk forecasts and their explanations) | ✓ | ✓ | ✓ | ✓ | |
| `read.entities` (people by pseudonym, plates, vehicles) | | ✓ | ✓ | ✓ | |
| `explorer` (connections, timelines, paths) | | ✓ | ✓ | ✓ | |
| `console` (the read-only Cypher console) | | ✓ | | ✓ | |
| `ingest.reports` (submit reports) | | | ✓ | ✓ | |
| `identity.reveal` (the name behind a pseudonym, with a motive) | | | ✓ | | |
| `users.manage` (accounts and tokens) | | | | ✓ | |
| `audit.read` (the consultation journal) | | | | | ✓ |

The auditor reads the journal and nothing else; nobody else reads it, the administrators included, since it
records what they do too.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from recoupe.ontology.errors import DataDirError, InvalidInput, NotFound, RecoupeError

ROLES = ("viewer", "analyst", "investigator", "admin", "auditor")
_READ = {"read.incidents", "forecasts"}
_ANALYSIS = _READ | {"read.entities", "explorer"}
PERMISSIONS_BY_ROLE: dict[str, frozenset[str]] = {
    "viewer": frozenset(_READ),
    "analyst": frozenset(_ANALYSIS | {"console"}),
    "investigator": frozenset(_ANALYSIS | {"ingest.reports", "identity.reveal"}),
    "admin": frozenset(_ANALYSIS | {"console", "ingest.reports", "users.manage"}),
    "auditor": frozenset({"audit.read"}),
}
PERMISSIONS = frozenset().union(*PERMISSIONS_BY_ROLE.values())

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte per attempt would be a denial of service
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
MAX_FAILURES, LOCKOUT = 5, timedelta(minutes=15)
CLIENT_MAX_FAILURES, CLIENT_WINDOW = 20, timedelta(minutes=15)
TOKEN_PREFIX = "rcp_"
# A session's last activity and a token's last use are written at most once a minute: every request reads the
# accounts file, and only those a minute apart write it (so an idle session ends between 29 and 30 minutes
# after its last request, by default, and `last_used_at` is right to the minute).
ACTIVITY_STEP = timedelta(minutes=1)

Clock = Callable[[], datetime]


class Unauthenticated(RecoupeError):
    """No valid session or token (401)."""

    code = "unauthenticated"


class LoginRefused(Unauthenticated):
    """Wrong username or password, disabled or locked account: one message for all, naming none."""

    code = "login_refused"

    def __init__(self) -> None:
        super().__init__(
            "Identifiant ou mot de passe incorrect, ou compte temporairement bloqué après trop d'essais.",
            "vérifiez vos identifiants, ou réessayez dans 15 minutes",
        )


def allowed(role: str, permission: str) -> bool:
    """Whether `role` grants `permission` (unknown roles grant nothing)."""
    return permission in PERMISSIONS_BY_ROLE.get(role, frozenset())


def utc_now() -> datetime:
    return datetime.now(UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class User:
    """An account as the rest of Recoupe sees it: never its hash."""

    username: str
    name: str
    role: str
    created_at: str
    disabled: bool
    locked_until: str | None

    @property
    def permissions(self) -> list[str]:
        return sorted(PERMISSIONS_BY_ROLE.get(self.role, frozenset()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
            "disabled": self.disabled,
            "locked_until": self.locked_until,
        }


@dataclass(frozen=True)
class Token:
    """An API token's record; its secret is shown once, at creation, and stored only as a hash."""

    id: str
    username: str
    name: str
    created_at: str
    last_used_at: str | None
    revoked: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Session:
    """A logged-in browser: the user and the session's CSRF token."""

    user: User
    csrf_token: str


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
USER_COLUMNS = "u.username, u.name, u.role, u.created_at, u.disabled, u.locked_until"


def _user(row: sqlite3.Row) -> User:
    return User(row["username"], row["name"], row["role"], row["created_at"], bool(row["disabled"]),
                row["locked_until"])  # fmt: skip


class AccountStore:
    """Accounts, tokens and sessions in one SQLite file, created (0600, directory 0700) on first use."""

    def __init__(
        self,
        path: Path,
        *,
        idle: timedelta = timedelta(minutes=30),
        max_age: timedelta = timedelta(hours=12),
        clock: Clock = utc_now,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.path, self.idle, self.max_age, self.clock = path, idle, max_age, clock
        self.hasher = hasher or PasswordHasher()
        self._ready = False
        self._lock = threading.Lock()
        self._readers = threading.local()  # each thread's reading connection (see _db)
        self._decoy: str | None = None
        self._keys: dict[str, bytes] = {}

    # ------------------------------------------------------------------ storage

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
    def _db(self, write: bool = True) -> Iterator[sqlite3.Connection]:
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

    def _user_id(self, conn: sqlite3.Connection, username: str) -> int:
        row = conn.execute("SELECT id FROM users WHERE username = ?", (username.strip().lower(),)).fetchone()
        if row is None:
            raise NotFound(f"No user {username!r}", "see `recoupe users list`")
        return int(row["id"])

    # ------------------------------------------------------------------ accounts

    def check_new_user(self, username: str, role: str) -> str:
        """The username as it will be stored, or InvalidInput (bad name, unknown role, taken)."""
        username = check_username(username)
        if role not in ROLES:
            raise InvalidInput(
                f"Unknown role {role!r}", f"use one of: {', '.join(ROLES)}", {"role": "unknown"}
            )
        with self._db() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise _taken(username)
        return username

    def add_user(self, username: str, password: str, role: str, name: str = "") -> User:
        username = self.check_new_user(username, role)
        check_password(password, username)
        hashed = self.hasher.hash(password)
        try:
            with self._db() as conn:
                conn.execute(
                    "INSERT INTO users (username, name, role, password_hash, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (username, name.strip() or username, role, hashed, _stamp(self.clock())),
                )
        except sqlite3.IntegrityError:  # taken since the check
            raise _taken(username) from None
        return self.user(username)

    def user(self, username: str) -> User:
        with self._db() as conn:
            row = conn.execute(
                f"SELECT {USER_COLUMNS} FROM users u WHERE username = ?", (username.strip().lower(),)
            ).fetchone()
        if row is None:
            raise NotFound(f"No user {username!r}", "see `recoupe users list`")
        return _user(row)

    def users(self) -> list[User]:
        with self._db() as conn:
            return [_user(r) for r in conn.execute(f"SELECT {USER_COLUMNS} FROM users u ORDER BY username")]

    def set_password(self, username: str, password: str) -> None:
        """A new password; ends the user's sessions and lifts a lockout."""
        check_password(password, username.strip().lower())
        hashed = self.hasher.hash(password)
        with self._db() as conn:
            uid = self._user_id(conn, username)
            conn.execute(
                "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
                (hashed, uid),
            )
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (uid,))

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (ending the user's sessions; tokens stop working) or enable (lifting a lockout)."""
        with self._db() as conn:
            uid = self._user_id(conn, username)
            conn.execute(
                "UPDATE users SET disabled = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
                (int(disabled), uid),
            )
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (uid,))
        return self.user(username)

    def authenticate(self, username: str, password: str, client: str) -> User:
        """The user, or LoginRefused: unknown, disabled, locked, throttled client and wrong password alike."""
        now = self.clock()
        if self._client_blocked(client, now):
            raise LoginRefused()  # not counted: a blocked client's attempts must not grow its list
        if len(password) > MAX_PASSWORD:
            self._client_failed(client, now)
            raise LoginRefused()
        with self._db() as conn:
            row = conn.execute(
                "SELECT id, password_hash, disabled, locked_until FROM users WHERE username = ?",
                (username.strip().lower(),),
            ).fetchone()
        locked = row is not None and row["locked_until"] and datetime.fromisoformat(row["locked_until"]) > now
        usable = row is not None and not row["disabled"] and not locked
        if not self._verify(row["password_hash"] if usable else self._decoy_hash(), password) or not usable:
            self._client_failed(client, now)
            if usable:
                self._count_failure(int(row["id"]), now)
            raise LoginRefused()
        rehash = self.hasher.check_needs_rehash(row["password_hash"])
        with self._db() as conn:
            conn.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL,"
                " password_hash = coalesce(?, password_hash) WHERE id = ?",
                (self.hasher.hash(password) if rehash else None, row["id"]),
            )
        return self.user(username)

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def _decoy_hash(self) -> str:
        """A hash to verify against when there is no usable account, so that timing tells nothing."""
        if self._decoy is None:
            self._decoy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._decoy

    def _count_failure(self, uid: int, now: datetime) -> None:
        with self._db() as conn:
            failures = conn.execute(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins",
                (uid,),
            ).fetchone()[0]
            if failures >= MAX_FAILURES:
                conn.execute(
                    "UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?",
                    (_stamp(now + LOCKOUT), uid),
                )

    def _client_blocked(self, client: str, now: datetime) -> bool:
        """Too many failed logins from this client lately (counted in the accounts file: every worker process
        of the server, and a restart, see the same count)."""
        with self._db(write=False) as conn:
            recent = conn.execute(
                "SELECT count(*) FROM login_failures WHERE client = ? AND at > ?",
                (client, _stamp(now - CLIENT_WINDOW)),
            ).fetchone()[0]
        return bool(recent >= CLIENT_MAX_FAILURES)

    def _client_failed(self, client: str, now: datetime) -> None:
        with self._db() as conn:
            conn.execute("DELETE FROM login_failures WHERE at <= ?", (_stamp(now - CLIENT_WINDOW),))
            conn.execute("INSERT INTO login_failures VALUES (?, ?)", (client, _stamp(now)))

    # ------------------------------------------------------------------ sessions

    def open_session(self, username: str, replaces: str | None = None) -> tuple[str, Session]:
        """A new session id (for the cookie) after a login; the session it replaces, if any, ends."""
        session_id, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock()
        with self._db() as conn:
            uid = self._user_id(conn, username)
            if replaces:
                conn.execute("DELETE FROM sessions WHERE id_hash = ?", (_digest(replaces),))
            conn.execute(
                "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
                (_stamp(now - self.idle), _stamp(now - self.max_age)),
            )
            conn.execute(
                "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, csrf_token)"
                " VALUES (?, ?, ?, ?, ?)",
                (_digest(session_id), uid, _stamp(now), _stamp(now), csrf),
            )
        return session_id, Session(self.user(username), csrf)

    def session(self, session_id: str) -> Session | None:
        """The live session a cookie names (its idle time restarts), or None; an expired one is deleted."""
        now, key = self.clock(), _digest(session_id)
        with self._db(write=False) as conn:
            row = conn.execute(
                f"SELECT s.created_at AS began, s.last_seen_at, s.csrf_token, {USER_COLUMNS}"
                " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        began, seen = datetime.fromisoformat(row["began"]), datetime.fromisoformat(row["last_seen_at"])
        if row["disabled"] or now - seen >= self.idle or now - began >= self.max_age:
            with self._db() as conn:
                conn.execute("DELETE FROM sessions WHERE id_hash = ?", (key,))
            return None
        if now - seen >= ACTIVITY_STEP:  # the idle time restarts (written once a minute at most)
            with self._db() as conn:
                conn.execute(
                    "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?",
                    (_stamp(now), key, _stamp(now)),
                )
        return Session(_user(row), row["csrf_token"])

    def end_session(self, session_id: str) -> None:
        with self._db() as conn:
            conn.execute("DELETE FROM sessions WHERE id_hash = ?", (_digest(session_id),))

    def secret_key(self, name: str) -> bytes:
        """A random key kept in the accounts file (created on first use), such as the login form's."""
        if name not in self._keys:
            with self._db() as conn:
                conn.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (name, secrets.token_hex(32)))
                value = conn.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()[0]
            self._keys[name] = bytes.fromhex(value)
        return self._keys[name]

    # ------------------------------------------------------------------ API tokens

    def create_token(self, username: str, name: str) -> tuple[Token, str]:
        """A new token for `username` (acting with the user's role): its record and its secret, shown once."""
        if not name.strip():
            raise InvalidInput("A token needs a name", "say what it is for: --name NAME", {"name": "empty"})
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = "t-" + secrets.token_hex(4)
        with self._db() as conn:
            uid = self._user_id(conn, username)
            conn.execute(
                "INSERT INTO tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (token_id, uid, name.strip(), _digest(secret), _stamp(self.clock())),
            )
        return self.tokens(token_id=token_id)[0], secret

    def tokens(self, username: str | None = None, token_id: str | None = None) -> list[Token]:
        with self._db() as conn:
            rows = conn.execute(
                "SELECT t.id, u.username, t.name, t.created_at, t.last_used_at, t.revoked FROM tokens t"
                " JOIN users u ON u.id = t.user_id WHERE coalesce(?, u.username) = u.username"
                " AND coalesce(?, t.id) = t.id ORDER BY u.username, t.created_at",
                (username.strip().lower() if username else None, token_id),
            ).fetchall()
        return [Token(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def revoke_token(self, token_id: str) -> Token:
        with self._db() as conn:
            if not conn.execute("UPDATE tokens SET revoked = 1 WHERE id = ?", (token_id,)).rowcount:
                raise NotFound(f"No token {token_id!r}", "see `recoupe users token list`")
        return self.tokens(token_id=token_id)[0]

    def token_user(self, secret: str) -> User | None:
        """The enabled user a live token acts for, or None; records when it was used (to the minute)."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        with self._db(write=False) as conn:
            row = conn.execute(
                f"SELECT t.id AS token_id, t.last_used_at, {USER_COLUMNS} FROM tokens t"
                " JOIN users u ON u.id = t.user_id"
                " WHERE t.token_hash = ? AND NOT t.revoked AND NOT u.disabled",
                (_digest(secret),),
            ).fetchone()
        if row is None:
            return None
        now = self.clock()
        used = row["last_used_at"]
        if used is None or now - datetime.fromisoformat(used) >= ACTIVITY_STEP:
            with self._db() as conn:
                update = "UPDATE tokens SET last_used_at = ? WHERE id = ?"
                conn.execute(update, (_stamp(now), row["token_id"]))
        return _user(row)


def _taken(username: str) -> InvalidInput:
    return InvalidInput(
        f"The user {username!r} already exists",
        "choose another username, or change this one's password with `recoupe users password`",
        {"username": "already exists"},
    )


def check_username(username: str) -> str:
    """The username as stored (lower case), or InvalidInput."""
    normal = username.strip().lower()
    if not USERNAME.fullmatch(normal):
        raise InvalidInput(
            f"Invalid username {username!r}",
            "use 2 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit",
            {"username": "invalid"},
        )
    return normal


def check_password(password: str, username: str) -> None:
    """At least MIN_PASSWORD characters, not the username."""
    if len(password) < MIN_PASSWORD:
        problem = f"shorter than {MIN_PASSWORD} characters"
    elif len(password) > MAX_PASSWORD:
        problem = f"longer than {MAX_PASSWORD} characters"
    elif password.strip().lower() == username.strip().lower():
        problem = "the same as the username"
    else:
        return
    raise InvalidInput(
        f"Password refused: {problem}",
        f"choose at least {MIN_PASSWORD} characters that are not the username: a passphrase of several words",
        {"password": problem},
    )
