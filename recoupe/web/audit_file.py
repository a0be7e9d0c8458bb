"""The audit journal's file: one hash-chained JSON line per entry, appended under a process lock and an OS
file lock (the CLI and the web app append to the same chain), grouped (group commit: one fsync for the entries
of the threads that wait together), and `journal.head`, which keeps the last seq and hash so that a cut-off
end is detected too (two fixed slots, each with its own check, overwritten in turn: one fsync per group).
What goes in it and who reads it: recoupe/web/audit.py (docs/audit.md).
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
HEAD_SLOT = 128  # bytes of each of the head file's two slots
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
    """The appends waiting for one file, written together: group commit (one fsync for all of them); and the
    file, kept open by the thread that writes (one at a time)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.waiting: list[_Pending] = []
        self.writing = False
        self.journal: IO[bytes] | None = None
        self.pid = 0  # the process that opened it: a forked child opens its own (an flock is per open file)


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
        """The journal, open for appending: kept open between writes, and opened again when the file was
        replaced or removed, or in a forked process."""
        group = self._group
        if group.journal is not None:
            try:  # the same file (its inode cannot be reused while it is open here)
                now, kept = os.stat(self.path), os.fstat(group.journal.fileno())
                same = group.pid == os.getpid() and (now.st_dev, now.st_ino) == (kept.st_dev, kept.st_ino)
            except FileNotFoundError:
                same = False
            if same:
                return group.journal
            self._close()
        try:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.dir, 0o700)
            group.journal = os.fdopen(os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600), "r+b")
            group.pid = os.getpid()
            return group.journal
        except OSError as exc:
            raise DataDirError(f"Cannot open the audit journal {self.path}: {exc.strerror}",
                               "set RECOUPE_HOME to a directory you can write") from exc  # fmt: skip

    def _close(self) -> None:
        group = self._group
        if group.journal is not None:
            if group.pid == os.getpid():
                group.journal.close()
            group.journal = None  # another process's: left to it (closing it here would not unlock it there)

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
            fh = self._open()
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
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
            except BaseException:
                self._close()  # a write cut short: the next one opens the file again (and unlocks it here)
                raise
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            for pending, entry in zip(batch, entries, strict=True):  # given out only once on disk
                pending.entry = entry
        except BaseException as exc:
            for pending in batch:
                pending.entry, pending.error = None, exc
            if not isinstance(exc, Exception):
                raise

    def _write_head(self, seq: int, last_hash: str) -> None:
        """Move the head: overwrite the older of its two slots in place, then one fsync. A write cut short by
        a crash spoils only that slot (its check fails), and the other still names the previous head."""
        fd = os.open(self.head_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            current = os.pread(fd, 2 * HEAD_SLOT, 0)
            slots = [_slot(current[k * HEAD_SLOT : (k + 1) * HEAD_SLOT]) for k in (0, 1)]
            if len(current) != 2 * HEAD_SLOT or None in slots:  # new, an older format, or a spoilt slot
                older = next((k for k in (0, 1) if slots[k] is None), 0)
            else:
                older = 0 if slots[0]["seq"] <= slots[1]["seq"] else 1  # type: ignore[index]
            os.pwrite(fd, _slot_bytes(seq, last_hash), older * HEAD_SLOT)
            if (
                len(current) < 2 * HEAD_SLOT
            ):  # a new file: both slots exist from now on, and its name is synced
                other = 1 - older
                os.pwrite(fd, _slot_bytes(seq, last_hash), other * HEAD_SLOT)
                os.fsync(fd)
                self._sync_dir()
            else:
                os.fsync(fd)
        finally:
            os.close(fd)

    def _sync_dir(self) -> None:
        directory = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def head(self) -> dict[str, Any] | None:
        """The last seq and hash the head names (the newer of its two good slots), or None without a head."""
        try:
            data = self.head_path.read_bytes()
        except FileNotFoundError:
            return None
        slots = [s for s in (_slot(data[k * HEAD_SLOT : (k + 1) * HEAD_SLOT]) for k in (0, 1)) if s]
        if slots:
            return max(slots, key=lambda s: int(s["seq"]))
        try:  # the format before the slots: one JSON line, replaced whole
            head: dict[str, Any] = json.loads(data.decode("utf-8"))
            return head
        except ValueError:
            return {}

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


def _slot_bytes(seq: int, last_hash: str) -> bytes:
    """One slot of the head file: its JSON with a check of its own, padded to HEAD_SLOT bytes."""
    line = _canonical({"seq": seq, "hash": last_hash, "check": _check(seq, last_hash)}).encode("ascii")
    return line.ljust(HEAD_SLOT - 1) + b"\n"


def _check(seq: int, last_hash: str) -> str:
    return hashlib.sha256(f"{seq}:{last_hash}".encode("ascii")).hexdigest()[:16]


def _slot(raw: bytes) -> dict[str, Any] | None:
    """A slot's seq and hash, or None when it is empty, cut short or spoilt."""
    try:
        value = json.loads(raw.decode("ascii"))
        seq, last_hash = value["seq"], value["hash"]
        good = (
            isinstance(seq, int) and isinstance(last_hash, str) and value["check"] == _check(seq, last_hash)
        )
    except (ValueError, KeyError, TypeError):
        return None
    return {"seq": seq, "hash": last_hash} if good else None


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
