"""The audit journal: every consultation, change and login, one hash-chained JSON line each, in
RECOUPE_HOME/audit/journal.jsonl (apart from the graph), read by the `auditor` role only (docs/audit.md).

The web side writes it from one `after_request` hook that maps each endpoint to an action (CONSULTATIONS);
logins and logouts come from auth.py, changes from the commands that make them. Appends hold a process lock
and an OS file lock, so the CLI and the web app append to the same chain; each append is fsynced, and
`journal.head` keeps the last seq and hash so that a cut-off end is detected too.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import pwd
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from flask import Blueprint, Flask, current_app, has_request_context, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from recoupe.ontology.errors import DataDirError, InvalidInput, RecoupeError
from recoupe.web import auth
from recoupe.web.api import answer, endpoint
from recoupe.web.openapi import PAGE, SCHEMAS, Param, fields, parse_args

EXTENSION = "recoupe.audit"
GENESIS = "0" * 64
UNAVAILABLE = "Journal d'audit indisponible : rien n'est servi."
MAX_TEXT = 200  # characters kept of a free text (a console statement, a motive, a query parameter)
log = logging.getLogger(__name__)
journal_page = Blueprint("journal_page", __name__)
_groups: dict[Path, _Group] = {}
_locks_guard = threading.Lock()


# ---------------------------------------------------------------- the journal file


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


# ---------------------------------------------------------------- filters (CLI and web)


@dataclass(frozen=True)
class Filters:
    """`show`'s filters: an actor, an action (or its prefix: `view` for `view.*`), an object (a substring),
    a period [start, end)."""

    actor: str | None = None
    action: str | None = None
    object: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def keep(self, entry: Mapping[str, Any]) -> bool:
        action = str(entry.get("action", ""))
        at = datetime.fromisoformat(entry["at"])
        return (
            (self.actor is None or entry.get("actor") == self.actor)
            and (self.action is None or action == self.action or action.startswith(self.action + "."))
            and (self.object is None or any(self.object in str(o) for o in entry.get("objects", ())))
            and (self.start is None or at >= self.start)
            and (self.end is None or at < self.end)
        )

    def described(self) -> list[str]:
        """The filters as the `audit.read` entry's objects."""
        names = {"start": "from", "end": "to"}
        return [f"{names.get(k, k)}={v.isoformat() if isinstance(v, datetime) else v}"
                for k, v in asdict(self).items() if v is not None]  # fmt: skip


def moment(raw: str | datetime | date | None, end: bool = False, name: str = "from") -> datetime | None:
    """A bound in UTC: a day (its midnight; for `end`, the next midnight: the day is included) or a time."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = date.fromisoformat(raw) if len(raw) == 10 else datetime.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(f"Date illisible : {raw!r}.", "AAAA-MM-JJ ou ISO 8601",
                               {name: "expected YYYY-MM-DD or ISO 8601"}) from None  # fmt: skip
    if not isinstance(raw, datetime):
        raw = datetime.combine(raw + timedelta(days=1) if end else raw, time(), UTC)
    return raw if raw.tzinfo else raw.replace(tzinfo=UTC)


def show(journal: Journal, filters: Filters) -> list[dict[str, Any]]:
    """The matching entries, latest first."""
    return [e for e in journal.entries() if filters.keep(e)][::-1]


# ---------------------------------------------------------------- writing from the app and the CLI


def journal(app: Flask | None = None) -> Journal:
    """The app's journal (in its RECOUPE_HOME)."""
    app = app or current_app
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = Journal(Path(app.config["RECOUPE_HOME"]))
    found: Journal = app.extensions[EXTENSION]
    return found


def motive() -> str | None:
    """The request's motive or case reference: `motif` (query or form) or the X-Recoupe-Motive header."""
    given = request.args.get("motif") or request.headers.get("X-Recoupe-Motive")
    if not given and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        given = request.form.get("motif")
    return given.strip() or None if given else None


def os_user() -> str:
    """The account running this process, from the system (not from $USER, which anyone may set)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def record(action: str, objects: Iterable[str] = (), *, actor: str | None = None,
           role: str | None = None, why: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Journal `action` by the request's user (or `actor`), or by `cli:<os user>` outside a request; `why`:
    a motive given otherwise than as `motif` (an identity reveal's JSON body)."""
    if not has_request_context():
        return journal().append(actor or f"cli:{os_user()}", role, action, objects, why, "local")
    identity = auth.current_identity()
    if actor is None and identity is not None:
        actor, role = identity.user.username, identity.user.role
    return journal().append(actor or "anonymous", role, action, objects, why or motive(), request.remote_addr)


# ---------------------------------------------------------------- what each endpoint consults

Objects = Callable[[Mapping[str, Any], Mapping[str, str], Any], list[str]]


def _args(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return [f"{k}={args[k]}" for k in sorted(args) if k != "motif" and args[k]][:12]


def _incident(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return [f"incident:{view['incident_id']}"]


def _entity(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return [f"{view['kind']}:{view['key']}"]


def _statement(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return statement_objects(str(body.get("statement", "")) if isinstance(body, dict) else "")


def statement_objects(text: str) -> list[str]:
    """A console statement as journalled: its SHA-256 and its beginning."""
    return [f"sha256:{hashlib.sha256(text.encode('utf-8')).hexdigest()}", text[:MAX_TEXT]]


def _report(view: Mapping[str, Any], args: Mapping[str, str], body: Any) -> list[str]:
    return [f"report:{body.get('id')}"] if isinstance(body, dict) else []


# endpoint → (action, its objects): the consultations (and the one web change, a citizen report)
CONSULTATIONS: dict[str, tuple[str, Objects]] = {
    "pages.dashboard": ("view.dashboard", _args),
    "pages.incident": ("view.incident", _incident),
    "pages.entity": ("view.entity", _entity),
    "api.incidents": ("view.incidents", _args),
    "api.incident": ("view.incident", _incident),
    "api.incident_connections": ("view.connections", _incident),
    "api.entity_timeline": ("view.timeline", _entity),
    "api.hotspots": ("view.hotspots", _args),
    "map_page.carte": ("view.map", _args),
    "forecast_page.page": ("view.forecasts", _args),
    "api.forecasts": ("view.forecasts", _args),
    "api.forecast_cells": ("view.forecasts", _args),
    "api.map_forecasts": ("view.forecasts", _args),
    "api.console": ("console.query", _statement),
    "explorer.page": ("explorer.search", _args),
    "api.graph_search": ("explorer.search", _args),
    "api.graph_neighbours": ("explorer.expand", _args),
    **{f"api.export_{fmt}": (f"export.{fmt}", _args) for fmt in ("csv", "geojson", "gexf", "graphml")},
    "api.report": ("ingest.report", _report),
    "api.audit": ("audit.read", _args),
    "journal_page.page": ("audit.read", _args),
}
# Endpoints that consult no incident, person or forecast (or journal themselves: the login and logout).
NOT_CONSULTATIONS = frozenset({
    "static", "vendor.file", "health", "api.openapi", "pages.api_docs", "auth.me", "auth.login_page",
    "auth.login_submit", "auth.logout", "console_page.page", "api.saved_queries", "api.quartiers",
    "api.map_streets", "api.map_assets", "api.cameras", "forecast_page.chart", "ontology_page.page",
    "ontology_page.turtle", "ontology_page.jsonld", "ontology_page.shapes", "ontology_page.shapes_turtle",
    "ontology_page.shapes_jsonld", "api.reveal_identity",
    "api.reveal_original",  # the last two journal themselves (identity.py)
})  # fmt: skip


def consulted(response: Response) -> Response:
    """Journal a consultation answered (2xx) or refused (403); an answer that cannot be journalled is not
    given."""
    known = CONSULTATIONS.get(request.endpoint or "")
    status = response.status_code
    if known is None or not (200 <= status < 300 or status == 403):
        return response
    action, objects = known
    body = request.get_json(silent=True) if request.is_json else None
    try:
        record(action if status != 403 else f"denied.{action}",
               objects(request.view_args or {}, request.args, body))  # fmt: skip
    except (OSError, RecoupeError) as exc:
        log.error("audit journal not written (%s): %s %s refused", exc, request.method, request.path)
        if request.path.startswith("/api/"):
            failed = jsonify({"error": {"code": "audit_unavailable", "message": UNAVAILABLE}})
            failed.status_code = 503
            return failed
        return Response(UNAVAILABLE, 503, mimetype="text/plain")
    return response


def init_app(app: Flask) -> None:
    """Open the app's journal, journal its consultations, and serve the journal to the auditor."""
    journal(app)
    app.after_request(consulted)
    app.register_blueprint(journal_page)


# ---------------------------------------------------------------- reading it: the API and the page

SCHEMAS["AuditEntry"] = fields(
    "seq:integer at:date-time actor role action objects:string[] motive client prev hash"
)
FILTER_PARAMS = (
    Param("actor", "string", "Le compte (ou « cli:<utilisateur> », « anonymous »)."),
    Param("action", "string", "L'action, ou son début : « view » pour view.incident, view.entity…"),
    Param("object", "string", "Un objet, ou une partie de son nom (incident:T:A, plate:AB-123-CD…)."),
    Param("from", "string", "Depuis ce jour (AAAA-MM-JJ) ou cet instant (ISO 8601), inclus."),
    Param("to", "string", "Jusqu'à ce jour inclus (AAAA-MM-JJ), ou cet instant exclu (ISO 8601)."),
)


def filters_of(q: Mapping[str, Any]) -> Filters:
    start, end = moment(q["from"]), moment(q["to"], end=True, name="to")
    return Filters(q["actor"] or None, q["action"] or None, q["object"] or None, start, end)


@endpoint("GET", "/audit", "Le journal d'audit (auditeur seulement), le plus récent d'abord, filtré et "
          "paginé ; chaque lecture est elle-même journalisée.", ("audit.read",), (*FILTER_PARAMS, *PAGE),
          response="AuditEntry[]")  # fmt: skip
def audit(q: dict[str, Any]) -> ResponseReturnValue:
    found = show(journal(), filters_of(q))
    return answer({"total": len(found), "limit": q["limit"], "offset": q["offset"],
                   "items": found[q["offset"] : q["offset"] + q["limit"]]})  # fmt: skip


@journal_page.get("/journal")
@auth.require("audit.read")
def page() -> ResponseReturnValue:
    """The journal, latest first, with its filters (a plain form: no script)."""
    q = parse_args((*FILTER_PARAMS, *PAGE), request.args)
    found = show(journal(), filters_of(q))
    return render_template("journal.html", q=q, total=len(found), limit=q["limit"], offset=q["offset"],
                           items=found[q["offset"] : q["offset"] + q["limit"]])  # fmt: skip
