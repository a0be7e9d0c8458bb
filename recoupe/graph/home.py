"""The Recoupe data directory: layout, marker, secrets (mode 0600) and the server's pid file."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from recoupe.ontology.errors import DataDirError

FORMAT = 1
MARKER = "recoupe-home.json"
ADMIN_USER = "root"
READER_USER = "recoupe_reader"
READER_GROUP = "recoupe_reader"
SERVER_MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"
PBKDF2_ROUNDS = 65536

State = Literal["initialising", "ready"]


@dataclass(frozen=True)
class PidRecord:
    """What the pid file says about a server this data directory started."""

    pid: int
    host: str
    bolt_port: int
    http_port: int
    database: str
    started_at: str


class DataHome:
    """One data directory: `graph/` (the server's root), `secrets/`, `run/`, `log/` and the marker file."""

    def __init__(self, path: Path) -> None:
        self.path = path.absolute()

    @property
    def graph_root(self) -> Path:
        return self.path / "graph"

    @property
    def secrets_dir(self) -> Path:
        return self.path / "secrets"

    @property
    def pid_file(self) -> Path:
        return self.path / "run" / "graph.json"

    @property
    def log_file(self) -> Path:
        return self.path / "log" / "graph-server.log"

    @property
    def marker(self) -> Path:
        return self.path / MARKER

    # ------------------------------------------------------------------ state of the directory

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the directory itself (flock on its descriptor: no lock file is left).

        Creates the directory (mode 0700) when absent, so that a first start is locked too.
        """
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            raise DataDirError(
                f"Cannot use the data directory {self.path}: {exc.strerror}",
                "set RECOUPE_HOME to a directory you can write",
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def state(self) -> State | None:
        """None for an absent or empty directory, else the marker's state after checking it is Recoupe's."""
        if self.path.exists() and not self.path.is_dir():
            raise DataDirError(
                f"The data directory {self.path} is a file", "set RECOUPE_HOME to a directory path"
            )
        if not self.path.exists() or not any(c for c in self.path.iterdir() if not _web_owned(c)):
            return None
        if not self.marker.is_file():
            raise DataDirError(
                f"{self.path} is not empty and is not a Recoupe data directory (no {MARKER})",
                "set RECOUPE_HOME to an empty or new directory, or to an existing Recoupe data directory",
            )
        try:
            record = json.loads(self.marker.read_text(encoding="utf-8"))
            state = record["state"]
            fmt = record["format"]
        except (ValueError, KeyError, TypeError, OSError) as exc:
            raise DataDirError(
                f"The data directory {self.path} is corrupt: {MARKER} cannot be read ({exc})",
                f"restore {self.path} from a backup, or move it aside to start a new one",
            ) from exc
        if fmt != FORMAT or state not in ("initialising", "ready"):
            raise DataDirError(
                f"{self.path} was written by another version of Recoupe (format {fmt}, state {state})",
                "use the Recoupe version that created it, or move it aside to start a new one",
            )
        return state  # type: ignore[no-any-return]

    def check_complete(self, database: str) -> None:
        """A ready directory must still hold its secrets and its database files."""
        missing = [
            str(p.relative_to(self.path))
            for p in (self.secret_path(ADMIN_USER), self.secret_path(READER_USER), self.graph_root / "config")
            if not p.exists()
        ]
        if not (self.graph_root / "databases" / database).is_dir():
            missing.append(f"graph/databases/{database}")
        if missing:
            raise DataDirError(
                f"The data directory {self.path} is incomplete: missing {', '.join(missing)}",
                f"restore {self.path} from a backup, or move it aside to start a new one",
            )

    def create(self, database: str) -> None:
        """Lay out a new directory with generated passwords and the server's users and groups."""
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.path, 0o700)  # the graph holds police data: only its owner may enter
            for sub in ("graph/config", "graph/databases", "run", "log"):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
            self.secrets_dir.mkdir(mode=0o700, exist_ok=True)
            os.chmod(self.secrets_dir, 0o700)
            passwords = {user: secrets.token_urlsafe(24) for user in (ADMIN_USER, READER_USER)}
            for user, password in passwords.items():
                _write_private(self.secret_path(user), password + "\n")
            self._write_security(passwords, database)
            self.write_marker("initialising")
        except OSError as exc:
            raise DataDirError(
                f"Cannot create the data directory {self.path}: {exc.strerror}",
                "check that the parent directory exists and is writable, or set RECOUPE_HOME elsewhere",
            ) from exc

    def discard(self, keep_dir: bool) -> None:
        """Remove what `create` wrote (after a failed first start): nothing half-written is left."""
        if keep_dir:
            for child in self.path.iterdir():
                if not _web_owned(child):
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        else:
            shutil.rmtree(self.path, ignore_errors=True)

    def write_marker(self, state: State) -> None:
        record = {
            "format": FORMAT,
            "state": state,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _atomic_write(self.marker, json.dumps(record, indent=2) + "\n")

    # ------------------------------------------------------------------ secrets

    def secret_path(self, user: str) -> Path:
        return self.secrets_dir / f"graph-{user}.password"

    def password(self, user: str) -> str:
        """A stored password; refuses one that other users of the machine could read."""
        path = self.secret_path(user)
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                raise DataDirError(
                    f"The password file {path} is readable by other users (mode {mode:04o})",
                    f"run `chmod 600 {path}`",
                )
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise DataDirError(
                f"The password file {path} is missing",
                f"restore {self.path} from a backup, or move it aside to start a new one",
            ) from None

    def _write_security(self, passwords: dict[str, str], database: str) -> None:
        """Users (hashed as the server expects) and a read-only group, written before the first start."""
        users = [
            {"name": ADMIN_USER, "password": _pbkdf2(passwords[ADMIN_USER]), "databases": {"*": ["admin"]}},
            {
                "name": READER_USER,
                "password": _pbkdf2(passwords[READER_USER]),
                "databases": {database: [READER_GROUP]},
            },
        ]
        config = self.graph_root / "config"
        _write_private(config / "server-users.jsonl", "".join(json.dumps(u) + "\n" for u in users))
        no_limit = {"resultSetLimit": -1, "readTimeout": -1}
        groups = {
            "databases": {
                "*": {
                    "groups": {
                        "admin": {
                            **no_limit,
                            "access": ["updateSecurity", "updateSchema", "updateDatabaseSettings"],
                            "types": {
                                "*": {
                                    "access": ["createRecord", "readRecord", "updateRecord", "deleteRecord"]
                                }
                            },
                        },
                        # Read-only for real: the server does not enforce Bolt's READ mode, permissions do.
                        READER_GROUP: {**no_limit, "access": [], "types": {"*": {"access": ["readRecord"]}}},
                        "*": {**no_limit, "access": [], "types": {"*": {"access": []}}},
                    }
                }
            },
            "version": 2,
        }
        _write_private(config / "server-groups.json", json.dumps(groups, indent=2) + "\n")

    def pseudonym_key(self) -> bytes:
        """The key of the persons' keyed hash (created on first use, mode 0600): without it no pseudonym
        can be recomputed from a name, so it is a secret like the passwords."""
        path = self.secrets_dir / "pseudonym.key"
        if not path.exists():
            self.secrets_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_private(path, secrets.token_hex(32) + "\n")
        return bytes.fromhex(_read_private(path))

    # ------------------------------------------------------------------ pid file

    def read_pid(self) -> PidRecord | None:
        try:
            return PidRecord(**json.loads(self.pid_file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            self.pid_file.unlink(missing_ok=True)  # an unreadable pid file cannot name a live server
            return None

    def write_pid(self, record: PidRecord) -> None:
        _atomic_write(self.pid_file, json.dumps(asdict(record)) + "\n")

    def clear_pid(self) -> None:
        self.pid_file.unlink(missing_ok=True)

    def owns_process(self, pid: int) -> bool:
        """True when `pid` is alive and is this directory's graph server (not a reused pid)."""
        return process_matches(pid, [SERVER_MAIN_CLASS, f"-Darcadedb.server.rootPath={self.graph_root}"])


def process_matches(pid: int, needles: list[str]) -> bool:
    """A live, non-zombie process whose command line contains every needle."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            if fh.read().rsplit(")", 1)[-1].split()[0] == "Z":
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return False
    return all(any(needle == arg or needle in arg for arg in args) for needle in needles)


def _pbkdf2(password: str) -> str:
    salt = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), PBKDF2_ROUNDS, 32)
    return f"PBKDF2WithHmacSHA256${PBKDF2_ROUNDS}${salt}${base64.b64encode(digest).decode('ascii')}"


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def _read_private(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise DataDirError(
            f"The key file {path} is readable by other users (mode {mode:04o})", f"run `chmod 600 {path}`"
        )
    return path.read_text(encoding="utf-8").strip()


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _web_owned(path: Path) -> bool:
    """The viewer's accounts (accounts.db and its WAL files) may exist before the graph's first start: they
    are not the graph's to judge or to discard."""
    return path.name.startswith("accounts.db")
