"""The audit journal through the real app on the API tests' city (tests/web/test_api.py): each consultation,
refusal, login and logout writes its entry; only the auditor reads the journal, and that reading is journalled;
the chain's verification names the first edited, removed, reordered or cut-off entry; threads and a second
process append to one valid chain; an answer that cannot be journalled is not given. Screenshot:
test-artifacts/journal.png."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from recoupe.web import audit
from tests.web import test_api
from tests.web.browser import Visit
from tests.web.test_api import City, bearer
from tests.web.test_auth import login

city = test_api.city
client = test_api.client
STATEMENT = "MATCH (i:Incident) RETURN count(i) AS n"


def last(city: City, count: int = 1) -> list[dict[str, Any]]:
    """The journal's last `count` entries, oldest first."""
    return list(audit.journal(city.app).entries())[-count:]


def test_every_endpoint_is_a_consultation_or_said_not_to_be(city: City) -> None:
    endpoints = {rule.endpoint for rule in city.app.url_map.iter_rules()}
    table = set(audit.CONSULTATIONS)
    assert endpoints - table - audit.NOT_CONSULTATIONS == set(), "classify it in recoupe/web/audit.py"
    assert (table | audit.NOT_CONSULTATIONS) - endpoints == set() and not table & audit.NOT_CONSULTATIONS


API = [  # (role, method, url, body, action, objects)
    ("viewer", "GET", "/api/incidents/T%3AA", None, "view.incident", ["incident:T:A"]),
    ("viewer", "GET", "/api/incidents?category=robbery", None, "view.incidents", ["category=robbery"]),
    ("analyst", "GET", "/api/incidents/T%3AA/connections", None, "view.connections", ["incident:T:A"]),
    ("analyst", "GET", "/api/entities/plate/AB-123-CD/timeline", None, "view.timeline", ["plate:AB-123-CD"]),
    ("analyst", "GET", "/api/graph/search?q=AB-123-CD", None, "explorer.search", ["q=AB-123-CD"]),
    ("investigator", "GET", "/api/graph/neighbours?node=incident:T:A", None, "explorer.expand",
     ["node=incident:T:A"]),
    ("admin", "GET", "/api/exports/geojson?from=2025-03-01", None, "export.geojson", ["from=2025-03-01"]),
    ("analyst", "GET", "/api/exports/graphml?incident=T:A&depth=2", None, "export.graphml",
     ["depth=2", "incident=T:A"]),
    ("viewer", "GET", "/api/forecasts", None, "view.forecasts", []),
    ("analyst", "POST", "/api/query", {"statement": STATEMENT}, "console.query",
     [f"sha256:{hashlib.sha256(STATEMENT.encode()).hexdigest()}", STATEMENT]),
]  # fmt: skip


@pytest.mark.parametrize(("role", "method", "url", "body", "action", "objects"), API)
def test_each_api_consultation_writes_who_what_which(
    client: FlaskClient, city: City, role: str, method: str, url: str, body: Any, action: str,
    objects: list[str],
) -> None:  # fmt: skip
    response = client.open(url, method=method, json=body, headers=bearer(city, role),
                           environ_overrides={"REMOTE_ADDR": "192.0.2.7"})  # fmt: skip
    assert response.status_code == 200, response.text
    (entry,) = last(city)
    assert (entry["actor"], entry["role"], entry["action"], entry["objects"]) == (role, role, action, objects)
    assert (entry["client"], entry["motive"]) == ("192.0.2.7", None)
    assert entry["at"].endswith("+00:00") and entry["hash"] == audit.digest(entry)


PAGES = [  # (role, url, action, objects)
    ("viewer", "/incidents/T%3AA", "view.incident", ["incident:T:A"]),
    ("analyst", "/entites/plate/AB-123-CD", "view.entity", ["plate:AB-123-CD"]),
    ("viewer", "/", "view.dashboard", []),
    ("viewer", "/previsions", "view.forecasts", []),
    ("analyst", "/explorateur?q=AB-123-CD", "explorer.search", ["q=AB-123-CD"]),
]


@pytest.mark.parametrize(("role", "url", "action", "objects"), PAGES)
def test_each_page_consultation_writes_its_entry(
    client: FlaskClient, city: City, role: str, url: str, action: str, objects: list[str]
) -> None:
    assert login(client, role).status_code == 302
    assert client.get(url).status_code == 200
    (entry,) = last(city)
    assert (entry["actor"], entry["action"], entry["objects"]) == (role, action, objects)


def test_a_motive_is_recorded_and_the_motif_parameter_is_no_object(client: FlaskClient, city: City) -> None:
    url = "/api/entities/person/" + city.pseudonym + "/timeline?motif=PV%202025%2F0042"
    assert client.get(url, headers=bearer(city, "investigator")).status_code == 200
    assert client.get("/api/incidents/T%3AB", headers={**bearer(city, "viewer"),
                                                       "X-Recoupe-Motive": "Enquête 17"}).status_code == 200  # fmt: skip
    timeline, incident = last(city, 2)
    assert (timeline["action"], timeline["objects"], timeline["motive"]) == (
        "view.timeline", [f"person:{city.pseudonym}"], "PV 2025/0042")  # fmt: skip
    assert (incident["objects"], incident["motive"]) == (["incident:T:B"], "Enquête 17")


def test_a_refused_attempt_is_journalled_as_denied(client: FlaskClient, city: City) -> None:
    assert (
        client.get("/api/entities/plate/AB-123-CD/timeline", headers=bearer(city, "viewer")).status_code
        == 403
    )
    assert client.post("/api/query", json={"statement": "RETURN 1"},
                       headers=bearer(city, "investigator")).status_code == 403  # fmt: skip
    assert client.get("/api/health").status_code == 200  # not a consultation: nothing written
    timeline, console = last(city, 2)
    assert (timeline["actor"], timeline["action"], timeline["objects"]) == (
        "viewer", "denied.view.timeline", ["plate:AB-123-CD"])  # fmt: skip
    assert (console["actor"], console["action"]) == ("investigator", "denied.console.query")


def test_logins_failures_and_logouts(client: FlaskClient, city: City) -> None:
    assert login(client, "analyst", "not the password", ip="198.51.100.9").status_code == 401
    assert login(client, "analyst", ip="198.51.100.9").status_code == 302
    csrf = client.get("/api/me").get_json()["csrf_token"]
    assert client.post("/deconnexion", data={"csrf_token": csrf}).status_code == 302
    failed, ok, out = last(city, 3)  # /connexion and /api/me consult nothing: no entry
    assert (failed["actor"], failed["role"], failed["action"], failed["objects"], failed["client"]) == (
        "anonymous", None, "login.failed", ["user:analyst"], "198.51.100.9")  # fmt: skip
    assert (ok["actor"], ok["role"], ok["action"], ok["client"]) == ("analyst", "analyst", "login.ok",
                                                                     "198.51.100.9")  # fmt: skip
    assert (out["actor"], out["action"], out["objects"]) == ("analyst", "logout", ["user:analyst"])
    assert "not the password" not in audit.journal(city.app).path.read_text(encoding="utf-8")


def test_a_citizen_report_is_a_journalled_change(client: FlaskClient, city: City) -> None:
    response = client.post("/api/reports", json=test_api.OTHER, headers=bearer(city, "investigator"))
    assert response.status_code in (200, 201), response.text
    (entry,) = last(city)
    assert (entry["actor"], entry["action"], entry["objects"]) == (
        "investigator",
        "ingest.report",
        ["report:R-2"],
    )


def test_only_the_auditor_reads_the_journal_and_the_reading_is_journalled(
    client: FlaskClient, city: City
) -> None:
    for role in ("viewer", "analyst", "investigator", "admin"):
        refused = client.get("/api/audit", headers=bearer(city, role))
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
        assert last(city)[0]["action"] == "denied.audit.read"
    body = client.get("/api/audit?action=denied.audit&limit=10", headers=bearer(city, "auditor")).get_json()
    assert body["total"] >= 4 and body["limit"] == 10 and body["offset"] == 0
    assert [e["actor"] for e in body["items"][:4]] == ["admin", "investigator", "analyst", "viewer"]
    (reading,) = last(city)
    assert (reading["actor"], reading["role"], reading["action"], reading["objects"]) == (
        "auditor", "auditor", "audit.read", ["action=denied.audit", "limit=10"])  # fmt: skip
    mine = client.get(
        "/api/audit?actor=auditor&action=audit.read", headers=bearer(city, "auditor")
    ).get_json()
    assert mine["items"][0]["seq"] == reading["seq"]  # the reading before this one is in the journal
    bad = client.get("/api/audit?from=hier", headers=bearer(city, "auditor"))
    assert bad.status_code == 400 and bad.get_json()["error"]["fields"] == {
        "from": "expected YYYY-MM-DD or ISO 8601"
    }


def test_the_journal_page_is_the_auditors(client: FlaskClient, city: City) -> None:
    for role in ("viewer", "analyst", "investigator", "admin"):
        with city.app.test_client() as other:
            assert login(other, role).status_code == 302
            assert other.get("/journal").status_code == 403
            assert 'href="/journal"' not in other.get("/previsions").text
    landing = login(client, "auditor")  # an auditor lands on the journal, not on a page refused to them
    assert landing.status_code == 302 and landing.headers["Location"] == "/journal"
    page = client.get("/journal?action=login&actor=auditor")
    assert page.status_code == 200 and 'href="/journal"' in page.text  # in the navigation bar
    assert "login.ok" in page.text and "view.incident" not in page.text
    (reading,) = last(city)
    assert (reading["actor"], reading["action"], reading["objects"]) == (
        "auditor", "audit.read", ["action=login", "actor=auditor"])  # fmt: skip


def test_the_journal_lives_apart_from_the_graph_readable_by_its_owner_only(city: City) -> None:
    journal = audit.journal(city.app)
    assert journal.path == Path(city.app.config["RECOUPE_HOME"]) / "audit" / "journal.jsonl"
    assert stat.S_IMODE(journal.dir.stat().st_mode) == 0o700
    assert (
        stat.S_IMODE(journal.path.stat().st_mode) == stat.S_IMODE(journal.head_path.stat().st_mode) == 0o600
    )
    verdict = journal.verify()
    assert verdict.ok and verdict.last_seq == verdict.entries == last(city)[0]["seq"]


def test_an_answer_that_cannot_be_journalled_is_not_given(client: FlaskClient, city: City) -> None:
    path = audit.journal(city.app).path
    kept = path.read_bytes()
    try:
        path.write_bytes(kept + b'{"seq": cut')
        response = client.get("/api/incidents/T%3AA", headers=bearer(city, "viewer"))
        assert response.status_code == 503 and response.get_json()["error"]["code"] == "audit_unavailable"
        assert "T:A" not in response.text and response.headers["Cache-Control"] == "no-store"
    finally:
        path.write_bytes(kept)
    assert audit.journal(city.app).verify().ok


def test_the_auditor_reads_the_journal_in_a_browser(visit: Visit, city: City) -> None:
    with city.app.test_client() as other:  # a consultation and a refusal to find in the journal
        assert other.get("/api/incidents/T%3AA", headers=bearer(city, "viewer")).status_code == 200
        refused = other.post("/api/query", json={"statement": STATEMENT}, headers=bearer(city, "viewer"))
        assert refused.status_code == 403
    visit.login("/journal", "auditor")
    rows = visit.page.locator("#journal tbody tr")
    assert rows.count() >= 3
    first = rows.first.locator("td")
    assert first.nth(2).text_content() == "auditor" and first.nth(4).text_content() == "login.ok"
    visit.page.fill("input[name=action]", "denied")
    with visit.page.expect_navigation():
        visit.page.click("button:text('Filtrer')")
    actions = visit.page.locator("#journal tbody tr td:nth-child(5)").all_text_contents()
    assert actions[0] == "denied.console.query" and all(a.startswith("denied.") for a in actions)
    digest = rows.first.locator("td:nth-child(6) code")
    assert digest.get_attribute("title") == "sha256:" + hashlib.sha256(STATEMENT.encode()).hexdigest()
    visit.screenshot("journal")
    (reading,) = last(city)
    assert (reading["actor"], reading["action"], reading["objects"]) == (
        "auditor",
        "audit.read",
        ["action=denied"],
    )


# ---------------------------------------------------------------- the chain, on a journal of its own


def filled(tmp_path: Path, count: int = 6) -> audit.Journal:
    journal = audit.Journal(tmp_path)
    for n in range(count):
        journal.append(f"user{n}", "viewer", "view.incident", [f"incident:T:{n}"], None, "192.0.2.1")
    return journal


def lines(journal: audit.Journal) -> list[str]:
    return journal.path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_verify_passes_on_an_intact_journal(tmp_path: Path) -> None:
    journal = filled(tmp_path)
    verdict = journal.verify()
    assert (verdict.ok, verdict.entries, verdict.last_seq, verdict.bad_seq) == (True, 6, 6, None)
    assert verdict.last_hash == json.loads(lines(journal)[-1])["hash"] == journal.head()["hash"]  # type: ignore[index]
    assert json.loads(lines(journal)[0])["prev"] == "0" * 64


def _rewrite(journal: audit.Journal, kept: list[str]) -> None:
    journal.path.write_text("".join(kept), encoding="utf-8")


def test_verify_names_an_edited_entry(tmp_path: Path) -> None:
    journal = filled(tmp_path)
    kept = lines(journal)
    kept[2] = kept[2].replace("incident:T:2", "incident:T:9")
    _rewrite(journal, kept)
    verdict = journal.verify()
    assert (verdict.ok, verdict.bad_seq, verdict.entries) == (False, 3, 2) and "edited" in str(verdict.reason)


def test_verify_names_the_entry_after_one_edited_and_rehashed(tmp_path: Path) -> None:
    journal = filled(tmp_path)
    kept = lines(journal)
    entry = json.loads(kept[2]) | {"actor": "someone-else"}
    entry["hash"] = audit.digest(entry)
    kept[2] = json.dumps(entry) + "\n"
    _rewrite(journal, kept)
    verdict = journal.verify()
    assert (verdict.bad_seq, verdict.reason) == (4, "its prev does not match the hash of entry 3: an entry "
                                                 "before it was rewritten")  # fmt: skip


def test_verify_names_a_removed_entry(tmp_path: Path) -> None:
    journal = filled(tmp_path)
    kept = lines(journal)
    del kept[3]
    _rewrite(journal, kept)
    verdict = journal.verify()
    assert (verdict.ok, verdict.bad_seq) == (False, 4) and "found seq 5 where 4 was expected" in str(
        verdict.reason
    )


def test_verify_names_two_swapped_entries(tmp_path: Path) -> None:
    journal = filled(tmp_path)
    kept = lines(journal)
    kept[1], kept[2] = kept[2], kept[1]
    _rewrite(journal, kept)
    verdict = journal.verify()
    assert (verdict.ok, verdict.bad_seq) == (False, 2) and "reordered" in str(verdict.reason)


def test_verify_notices_the_last_entry_cut_off(tmp_path: Path) -> None:
    journal = filled(tmp_path)
    _rewrite(journal, lines(journal)[:-1])
    verdict = journal.verify()
    assert (verdict.ok, verdict.bad_seq, verdict.last_seq) == (False, 6, 5)
    assert "journal ends at seq 5 but the head names seq 6" in str(verdict.reason)
    journal.head_path.unlink()  # and the head removed too: that is said
    assert journal.verify().reason == "the head file journal.head is missing"


def test_an_append_syncs_the_journal_and_one_slot_of_the_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, synced, real_fsync = filled(tmp_path, 2), [], os.fsync

    def counted(fd: int) -> None:
        real_fsync(fd)
        synced.append(fd)

    monkeypatch.setattr(audit.os, "fsync", counted)
    journal.append("alice", "analyst", "view.incident", ["incident:T:9"])
    assert len(synced) == 2  # the journal, then the head's older slot: no temporary file, no directory sync
    raw = journal.head_path.read_bytes()
    assert len(raw) == 256 and [json.loads(raw[k : k + 128])["seq"] for k in (0, 128)] == [2, 3]
    assert journal.verify().ok


def test_the_journal_stays_open_between_appends_and_follows_a_replaced_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, opened, real_open = filled(tmp_path, 2), [], os.open

    def counted(path: Any, *args: Any) -> int:
        opened.append(Path(path).name)
        return real_open(path, *args)

    monkeypatch.setattr(audit.os, "open", counted)
    journal.append("alice", "analyst", "view.incident", ["incident:T:9"])
    assert opened == ["journal.head"]  # the journal itself is still open from the earlier appends
    journal.path.rename(journal.path.with_name("journal.moved"))  # someone moved it away
    journal.append("alice", "analyst", "view.incident", ["incident:T:10"])
    assert len(lines(journal)) == 1 and json.loads(lines(journal)[0])["seq"] == 1  # a new file, not the moved
    assert len(journal.path.with_name("journal.moved").read_text().splitlines()) == 3
    assert not journal.verify().ok  # and the chain's break is seen


def test_a_head_slot_spoilt_by_a_crash_leaves_the_previous_head_and_the_next_append_mends_it(
    tmp_path: Path,
) -> None:
    journal = filled(tmp_path, 5)
    raw = bytearray(journal.head_path.read_bytes())
    newer = 0 if json.loads(raw[:128])["seq"] == 5 else 128
    raw[newer + 20 : newer + 60] = b"\0" * 40  # the write of seq 5's slot cut short
    journal.head_path.write_bytes(bytes(raw))
    assert journal.head()["seq"] == 4  # type: ignore[index]
    verdict = journal.verify()
    assert not verdict.ok and "journal ends at seq 5 but the head names seq 4" in str(verdict.reason)
    journal.append("alice", "analyst", "view.incident", ["incident:T:9"])
    assert journal.head()["seq"] == 6 and journal.verify().ok  # type: ignore[index]


def test_a_head_in_the_older_format_is_read_then_rewritten_in_slots(tmp_path: Path) -> None:
    journal = filled(tmp_path, 3)
    last = json.loads(lines(journal)[-1])
    journal.head_path.write_text(json.dumps({"seq": 3, "hash": last["hash"]}) + "\n", encoding="utf-8")
    assert journal.verify().ok and journal.head() == {"seq": 3, "hash": last["hash"]}
    journal.head_path.write_text(json.dumps({"seq": 2, "hash": last["hash"]}) + "\n", encoding="utf-8")
    assert "head names seq 2" in str(journal.verify().reason)  # an older head still counts
    journal.head_path.write_text(json.dumps({"seq": 3, "hash": last["hash"]}) + "\n", encoding="utf-8")
    journal.append("alice", "analyst", "view.incident", ["incident:T:9"])
    assert len(journal.head_path.read_bytes()) == 256 and journal.verify().ok


APPENDER = """
import sys
from pathlib import Path
from recoupe.web.audit import Journal
journal = Journal(Path(sys.argv[1]))
for n in range(int(sys.argv[2])):
    journal.append("cli:other", None, "ingest.logs", [f"file:{n}"], None, "local")
"""


def test_threads_and_another_process_append_to_one_valid_chain(tmp_path: Path) -> None:
    journal = audit.Journal(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", APPENDER, str(tmp_path), "150"])

    def append(worker: int) -> None:
        mine = audit.Journal(tmp_path)  # a Journal per thread, as apps on one home would have
        for n in range(25):
            mine.append(f"user{worker}", "viewer", "view.incident", [f"incident:{worker}:{n}"])

    threads = [threading.Thread(target=append, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert other.wait(timeout=120) == 0
    verdict = journal.verify()
    assert (verdict.ok, verdict.entries) == (True, 6 * 25 + 150), verdict.reason
    entries = list(journal.entries())
    assert [e["seq"] for e in entries] == list(range(1, 301))
    assert sum(e["actor"] == "cli:other" for e in entries) == 150


def test_appends_that_wait_together_share_one_fsync_and_each_is_given_once_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: with a slow disk (each fsync 20 ms), 20 threads appending 10 entries each need far fewer
    fsyncs than 2 per entry, and every entry returned is, byte for byte, a line already in the file."""
    journal, synced, real_fsync = audit.Journal(tmp_path), [], os.fsync

    def slow_fsync(fd: int) -> None:
        time.sleep(0.02)
        real_fsync(fd)
        synced.append(fd)

    monkeypatch.setattr(audit.os, "fsync", slow_fsync)
    returned: list[dict[str, object]] = []

    def append(worker: int) -> None:
        for n in range(10):
            entry = journal.append(f"user{worker}", "analyst", "view.incident", [f"incident:{worker}:{n}"])
            on_disk = journal.path.read_text(encoding="utf-8").splitlines()
            assert json.loads(on_disk[entry["seq"] - 1]) == entry  # written before it was given
            returned.append(entry)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    verdict = journal.verify()
    assert (verdict.ok, verdict.entries) == (True, 200), verdict.reason
    assert sorted(e["seq"] for e in returned) == list(range(1, 201))
    assert len(synced) < 200  # one by one: 400 (the journal, the head)


def test_a_failed_group_write_fails_every_append_in_it_and_the_next_write_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, real_fsync = audit.Journal(tmp_path), os.fsync
    journal.append("alice", "analyst", "view.incident", ["incident:1"])

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(audit.os, "fsync", broken)
    with pytest.raises(OSError):
        journal.append("alice", "analyst", "view.incident", ["incident:2"])
    monkeypatch.setattr(audit.os, "fsync", real_fsync)
    entry = journal.append("alice", "analyst", "view.incident", ["incident:3"])
    assert entry["objects"] == ["incident:3"]
