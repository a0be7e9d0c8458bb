"""The audit journal's file: one hash-chained JSON line per entry, appended under a process lock and an OS
file lock (the CLI and the web app append to the same chain), grouped (group commit: one fsync for the entries
of the threads that wait together), and `journal.head`, which keeps the last seq and hash so that a cut-off
end is detected too. What goes in it and who reads it: recoupe/web/audit.py (docs/audit.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from recoupe.ontology.errors import DataDirError

GENESIS = "0" * 64
MAX_TEXT = 200  # characters kept of a free text (a console statement, a motive, a query parameter)
_groups: dict[Path, _Group] = {}
_locks_guard = threading.Lock()


def digest(entry: Mapping[str, Any]) -> str:
    """sha256 of the entry's canonical JSON (sorted keys, no spaces), its `hash` left out."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Verdict:
    """What `verify` found: the number of entries, the last seq and hash, and the first bad seq with why."""

    ok: bool
    entries: int
    last_seq: int
    last_hash: str
    bad_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Group:
    """The appends waiting for one file, written together: group commit (one fsync for all of them)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.waiting: list[_Pending] = []
        self.writing = False


@dataclass
class _Pending:
    """One entry waiting to be written: its fields, then its seq and hash, or the error that stopped it."""

    fields: dict[str, Any]
    entry: dict[str, Any] | None = None
    error: BaseException | None = None


class Journal:
    """One append-only, hash-chained journal file and its head file."""

    def __init__(self, home: Path) -> None:
        self.dir = home / "audit"
        self.path, self.head_path = self.dir / "journal.jsonl", self.dir / "journal.head"
        with _locks_guard:  # one group per file for every Journal of this process
            self._group = _groups.setdefault(self.path.absolute(), _Group())

    def _open(self) -> IO[bytes]:
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.dir, 0o700)
            return os.fdopen(os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600), "r+b")
        except OSError as exc:
            raise DataDirError(f"Cannot open the audit journal {self.path}: {exc.strerror}",
                               "set RECOUPE_HOME to a directory you can write") from exc  # fmt: skip

    def append(self, actor: str, role: str | None, action: str, objects: Iterable[str] = (),
               motive: str | None = None, client: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Write one entry after the last one and return it once it is on disk (fsynced) and the head moved.

        Group commit: the threads that append while one thread writes wait; then one of them writes all their
        entries, in the order they came, with one fsync of the journal and one of the head. No entry is
        returned before its own write is durable, and an error reaches every entry of its group."""
        group = self._group
        with group.cond:
            pending = _Pending({
                "at": datetime.now(UTC).isoformat(timespec="microseconds"),
                "actor": actor, "role": role, "action": action,
                "objects": [str(o)[:MAX_TEXT] for o in objects],
                "motive": motive[:MAX_TEXT * 5] if motive else None, "client": client,
            })  # fmt: skip
            group.waiting.append(pending)
            while pending.entry is None and pending.error is None:
                if group.writing:
                    group.cond.wait()
                    continue
                batch, group.waiting, group.writing = group.waiting, [], True
                group.cond.release()
                try:
                    self._write(batch)
                finally:
                    group.cond.acquire()
                    group.writing = False
                    group.cond.notify_all()
        if pending.error is not None:
            raise pending.error
        assert pending.entry is not None
        return pending.entry

    def _write(self, batch: list[_Pending]) -> None:
        """Chain and write `batch` after the file's last entry (under the OS lock: the CLI appends too)."""
        try:
            with self._open() as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                last = _last_entry(fh, self.path)
                seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
                entries = []
                for pending in batch:
                    seq += 1
                    entry = {"seq": seq, **pending.fields, "prev": prev}
                    entry["hash"] = prev = digest(entry)
                    entries.append(entry)
                fh.write("".join(_canonical(e) + "\n" for e in entries).encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
                self._write_head(seq, prev)
            for pending, entry in zip(batch, entries, strict=True):  # given out only once on disk
                pending.entry = entry
        except BaseException as exc:
            for pending in batch:
                pending.entry, pending.error = None, exc
            if not isinstance(exc, Exception):
                raise

    def _write_head(self, seq: int, last_hash: str) -> None:
        spare = self.head_path.with_suffix(".head.tmp")
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_canonical({"seq": seq, "hash": last_hash}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(spare, self.head_path)
        directory = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def head(self) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = json.loads(self.head_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return head

    def entries(self) -> Iterator[dict[str, Any]]:
        """The entries in the file's order (unreadable lines raise DataDirError; `verify` reports them)."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                try:
                    entry: dict[str, Any] = json.loads(line)
                except ValueError:
                    raise DataDirError(f"{self.path}:{number}: unreadable entry",
                                       "run `recoupe audit verify`") from None  # fmt: skip
                yield entry

    def verify(self) -> Verdict:
        """Check seqs, chain and hashes line by line, then the last entry against the head file."""
        seq, last_hash = 0, GENESIS
        lines = self.path.read_text(encoding="utf-8").splitlines() if self.path.exists() else []
        for line in lines:
            expected = seq + 1
            try:
                entry = json.loads(line)
                found = entry["seq"]
            except (ValueError, KeyError, TypeError):
                return Verdict(False, seq, seq, last_hash, expected, "unreadable entry (edited or cut)")
            if found != expected:
                why = (f"found seq {found} where {expected} was expected: an entry was removed or the "
                       "entries reordered")  # fmt: skip
                return Verdict(False, seq, seq, last_hash, expected, why)
            if entry.get("prev") != last_hash:
                why = f"its prev does not match the hash of entry {seq}: an entry before it was rewritten"
                return Verdict(False, seq, seq, last_hash, expected, why)
            if entry.get("hash") != digest(entry):
                return Verdict(False, seq, seq, last_hash, expected, "its hash does not match its content: "
                               "the entry was edited")  # fmt: skip
            seq, last_hash = found, entry["hash"]
        head = self.head()
        if head is None:
            if seq:
                return Verdict(False, seq, seq, last_hash, seq, "the head file journal.head is missing")
            return Verdict(True, 0, 0, GENESIS)
        if head.get("seq") != seq or head.get("hash") != last_hash:
            cut = isinstance(head.get("seq"), int) and head["seq"] > seq
            why = (f"the journal ends at seq {seq} but the head names seq {head.get('seq')}: "
                   + ("entries were cut off the end" if cut else "the end was rewritten"))  # fmt: skip
            return Verdict(False, seq, seq, last_hash, seq + 1 if cut else seq, why)
        return Verdict(True, seq, seq, last_hash)


def _last_entry(fh: IO[bytes], path: Path) -> dict[str, Any] | None:
    """The file's last entry, read from its end."""
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        return None
    chunk = min(size, 8192)
    while True:
        fh.seek(size - chunk)
        lines = fh.read(chunk).rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or chunk == size:
            break
        chunk = min(size, chunk * 4)
    try:
        entry: dict[str, Any] = json.loads(lines[-1])
        return entry
    except ValueError:
        raise DataDirError(
            f"The last entry of the audit journal {path} is unreadable: nothing more is journalled, so "
            "nothing more is served",
            "run `recoupe audit verify`",
        ) from None
