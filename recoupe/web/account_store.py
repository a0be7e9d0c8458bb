"""The account store: users and their logins (lockouts, throttled clients), sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from recoupe.ontology.errors import InvalidInput, NotFound
from recoupe.web.accounts import (
    MAX_PASSWORD,
    ROLES,
    LoginRefused,
    Session,
    Token,
    User,
    check_password,
    check_username,
)
from recoupe.web.accounts_file import AccountsFile

MAX_FAILURES, LOCKOUT = 5, timedelta(minutes=15)
CLIENT_MAX_FAILURES, CLIENT_WINDOW = 20, timedelta(minutes=15)
TOKEN_PREFIX = "rcp_"
# A session's last activity and a token's last use are written at most once a minute: every request reads the
# accounts file, and only those a minute apart write it (so an idle session ends between 29 and 30 minutes
# after its last request, by default, and `last_used_at` is right to the minute).
ACTIVITY_STEP = timedelta(minutes=1)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


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
        self._file = AccountsFile(path)
        self._decoy: str | None = None
        self._keys: dict[str, bytes] = {}

    # ------------------------------------------------------------------ storage

    def _db(self, write: bool = True) -> AbstractContextManager[sqlite3.Connection]:
        """One short transaction on the accounts file, a write or a read one (AccountsFile.transaction)."""
        return self._file.transaction(write)

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
