"""Revealing the identity behind a pseudonym, and an incident's original text, on the API tests' city
(tests/web/test_api.py, rebuilt for this module, its vault filled by its ingestion): investigators only, a
motive required, every attempt journalled with its motive; the operator's `recoupe identity reveal` and
`recoupe identity original`; the person page's form in a real Chromium (screenshot test-artifacts/identite.png).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from recoupe.ingest.vault import Sighting, Vault
from recoupe.web import audit
from recoupe.web.auth import ROLES
from tests.conftest import CliResult
from tests.web import test_api
from tests.web.browser import WAIT_MS, Visit
from tests.web.test_api import LOGS, SUSPECT, City, bearer, checked
from tests.web.test_auth import login

city = test_api.city
MOTIVE = "Enquête sur le vol à l'arraché du 3 mars, rue Paradis"
ORIGINAL = "/api/incidents/T%3AA/original"


def url(city: City) -> str:
    return f"/api/persons/{city.pseudonym}/identity"


def entries(city: City, action: str) -> list[dict[str, Any]]:
    return [e for e in audit.journal(city.app).entries() if e["action"] == action]


def test_an_investigator_reveals_with_a_motive_and_it_is_journalled(city: City) -> None:
    before = len(entries(city, "identity.reveal"))
    response = city.app.test_client().post(
        url(city), json={"motive": MOTIVE, "case": "PV 2025/0303"}, headers=bearer(city, "investigator")
    )
    body = checked(response, 200)
    assert body == {"pseudonym": city.pseudonym, "names": [{"name": SUSPECT, "incidents": ["T:A"]}]}
    assert city.person_id not in response.text  # the keyed hash stays in the vault
    (entry,) = entries(city, "identity.reveal")[before:]
    assert (entry["actor"], entry["role"], entry["motive"]) == ("investigator", "investigator", MOTIVE)
    assert entry["objects"] == [f"person:{city.pseudonym}", "case:PV 2025/0303"]
    assert SUSPECT not in json.dumps(entry)  # the journal says who was revealed by pseudonym only


@pytest.mark.parametrize("role", [r for r in ROLES if r != "investigator"])
def test_every_other_role_is_refused_and_journalled(city: City, role: str) -> None:
    response = city.app.test_client().post(url(city), json={"motive": MOTIVE}, headers=bearer(city, role))
    assert checked(response, 403)["error"]["code"] == "forbidden"
    assert "BENALI" not in response.text
    entry = entries(city, "denied.identity.reveal")[-1]
    assert (entry["actor"], entry["role"], entry["motive"]) == (role, role, MOTIVE)
    assert entry["objects"] == [f"person:{city.pseudonym}"]


def test_no_login_is_refused_and_journalled(city: City) -> None:
    response = city.app.test_client().post(url(city), json={"motive": MOTIVE})
    assert checked(response, 401)["error"]["code"] == "unauthenticated"
    entry = entries(city, "denied.identity.reveal")[-1]
    assert (entry["actor"], entry["motive"]) == ("anonymous", MOTIVE)


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "motive"), ({"motive": "parce que"}, "motive"), ({"motive": 12345678901}, "motive"),
     ({"motive": MOTIVE, "case": "x" * 201}, "case"), ({"motive": MOTIVE, "name": "x"}, "name")],
)  # fmt: skip
def test_a_motive_is_required(city: City, body: dict[str, Any], field: str) -> None:
    before = len(entries(city, "refused.identity.reveal"))
    response = city.app.test_client().post(url(city), json=body, headers=bearer(city, "investigator"))
    error = checked(response, 400)["error"]
    assert error["code"] == "invalid_input" and field in error["fields"] and "BENALI" not in response.text
    (entry,) = entries(city, "refused.identity.reveal")[before:]
    assert entry["actor"] == "investigator" and entry["objects"][0] == f"person:{city.pseudonym}"


def test_an_unknown_pseudonym_is_404_and_journalled(city: City) -> None:
    response = city.app.test_client().post(
        "/api/persons/P-00000000/identity", json={"motive": MOTIVE}, headers=bearer(city, "investigator")
    )
    assert checked(response, 404)["error"]["code"] == "not_found"
    assert entries(city, "refused.identity.reveal")[-1]["objects"] == ["person:P-00000000"]


def test_a_session_needs_its_csrf_token(city: City) -> None:
    client: FlaskClient = city.app.test_client()
    assert login(client, "investigator").status_code == 302
    refused = client.post(url(city), json={"motive": MOTIVE})
    assert checked(refused, 403)["error"]["code"] == "csrf"
    token = client.get("/api/me").get_json()["csrf_token"]
    allowed = client.post(url(city), json={"motive": MOTIVE}, headers={"X-CSRF-Token": token})
    assert checked(allowed, 200)["names"][0]["name"] == SUSPECT


def test_only_an_investigator_sees_the_form(city: City) -> None:
    page = f"/entites/person/{city.pseudonym}"
    for role in ROLES:
        client: FlaskClient = city.app.test_client()
        login(client, role)
        response = client.get(page)
        if role in ("analyst", "investigator", "admin"):
            assert response.status_code == 200 and city.pseudonym in response.text
            assert ("Révéler l'identité" in response.text) == (role == "investigator"), role
        assert "BENALI" not in response.text


def test_the_operator_reveals_from_the_command_line(
    run_cli: Callable[..., CliResult], cli_env: dict[str, str]
) -> None:
    home = Path(cli_env["RECOUPE_HOME"])
    Vault(home).keep([Sighting("c" * 24, "P-CCCCCCCC", "Nadia DUPONT", "PM:7")])
    me = f"cli:{audit.os_user()}"
    shown = run_cli("identity", "reveal", "P-CCCCCCCC", "--motive", MOTIVE, "--json", env=cli_env)
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "pseudonym": "P-CCCCCCCC",
        "names": [{"name": "Nadia DUPONT", "incidents": ["PM:7"]}],
    }
    short = run_cli("identity", "reveal", "P-CCCCCCCC", "--motive", "vu", env=cli_env)
    assert short.code == 1 and "DUPONT" not in short.stdout + short.stderr
    journal = [(e["actor"], e["action"], e["objects"], e["motive"]) for e in audit.Journal(home).entries()]
    assert journal == [
        (me, "identity.reveal", ["person:P-CCCCCCCC"], MOTIVE),
        (me, "refused.identity.reveal", ["person:P-CCCCCCCC"], "vu"),
    ]


def test_the_person_page_reveals_in_the_browser(city: City, visit: Visit) -> None:
    visit.login(f"/entites/person/{city.pseudonym}", "investigator")
    page = visit.page
    assert SUSPECT not in page.content()
    page.fill("#reveal input[name=motive]", MOTIVE)
    page.fill("#reveal input[name=case]", "PV 2025/0303")
    page.click("#reveal button[type=submit]")
    page.wait_for_selector("#reveal[data-state=ready]", timeout=WAIT_MS)
    assert page.locator("#reveal-names li").all_inner_texts() == [f"{SUSPECT} — lu dans T:A"]
    assert "journalisée" in page.locator("#reveal-status").inner_text()
    visit.screenshot("identite")
    assert entries(city, "identity.reveal")[-1]["objects"][-1] == "case:PV 2025/0303"


@pytest.mark.parametrize("role", [r for r in ROLES if r != "auditor"])
def test_the_incident_never_shows_the_name(city: City, role: str) -> None:
    """The page and the API: the pseudonym in the text for a role that reads persons, « [personne] » for one
    that does not; the marks still on the right words."""
    answer = test_api.get(city.app.test_client(), city, "/api/incidents/T%3AA", role=role)
    client: FlaskClient = city.app.test_client()
    login(client, role)
    page = client.get("/incidents/T:A").text
    shown = city.pseudonym if role != "viewer" else "[personne]"
    assert f"Le mis en cause, M. {shown}, a pris la fuite" in answer["text"]
    assert f'">{shown}</mark>' in page
    if role == "viewer":
        assert city.pseudonym not in answer["text"] + page
    place = next(m for m in answer["mentions"] if m["label"] == "Place")
    assert answer["text"][place["start"] : place["end"]] == "rue Paradis"
    assert all(answer["text"][m["start"] : m["end"]] == city.pseudonym
               for m in answer["mentions"] if m["label"] == "Person")  # fmt: skip
    assert "BENALI" not in json.dumps(answer) and "BENALI" not in page


def test_an_investigator_reads_the_original_text_with_a_motive_and_it_is_journalled(city: City) -> None:
    before = len(entries(city, "identity.original"))
    response = city.app.test_client().post(
        ORIGINAL, json={"motive": MOTIVE, "case": "PV 2025/0303"}, headers=bearer(city, "investigator")
    )
    assert checked(response, 200) == {"incident": "T:A", "text": LOGS[0][2]}
    assert SUSPECT in LOGS[0][2]  # the text as written, with the name the graph does not hold
    (entry,) = entries(city, "identity.original")[before:]
    assert (entry["actor"], entry["role"], entry["motive"]) == ("investigator", "investigator", MOTIVE)
    assert entry["objects"] == ["incident:T:A", "case:PV 2025/0303"] and "BENALI" not in json.dumps(entry)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "investigator"])
def test_the_original_text_is_refused_to_every_other_role_and_journalled(city: City, role: str) -> None:
    response = city.app.test_client().post(ORIGINAL, json={"motive": MOTIVE}, headers=bearer(city, role))
    assert checked(response, 403)["error"]["code"] == "forbidden" and "BENALI" not in response.text
    entry = entries(city, "denied.identity.original")[-1]
    assert (entry["actor"], entry["role"], entry["motive"], entry["objects"]) == (
        role, role, MOTIVE, ["incident:T:A"])  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [(ORIGINAL, {"case": "PV 1"}, 400), (ORIGINAL, {"motive": "parce que"}, 400),
     ("/api/incidents/T%3AZ/original", {"motive": MOTIVE}, 404)],
)  # fmt: skip
def test_the_original_text_needs_a_motive_and_a_known_incident(
    city: City, path: str, body: dict[str, Any], status: int
) -> None:
    before = len(entries(city, "refused.identity.original"))
    response = city.app.test_client().post(path, json=body, headers=bearer(city, "investigator"))
    assert response.status_code == status and "BENALI" not in response.text
    (entry,) = entries(city, "refused.identity.original")[before:]
    assert entry["objects"][0] == ("incident:T:Z" if status == 404 else "incident:T:A")


def test_the_operator_reads_an_original_text_from_the_command_line(
    run_cli: Callable[..., CliResult], cli_env: dict[str, str]
) -> None:
    home = Path(cli_env["RECOUPE_HOME"])
    Vault(home).keep([Sighting("c" * 24, "P-CCCCCCCC", "Nadia DUPONT", "PM:7")], {"PM:7": "Vu Nadia DUPONT."})
    me = f"cli:{audit.os_user()}"
    shown = run_cli(
        "identity", "original", "PM:7", "--motive", MOTIVE, "--case", "PV 7", "--json", env=cli_env
    )
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.stdout) == {"incident": "PM:7", "text": "Vu Nadia DUPONT."}
    plain = run_cli("identity", "original", "PM:7", "--motive", MOTIVE, env=cli_env)
    assert plain.code == 0 and plain.stdout.strip() == "Vu Nadia DUPONT."
    short = run_cli("identity", "original", "PM:7", "--motive", "vu", env=cli_env)
    assert short.code == 1 and "DUPONT" not in short.stdout + short.stderr
    journal = [(e["actor"], e["action"], e["objects"], e["motive"]) for e in audit.Journal(home).entries()]
    assert journal == [
        (me, "identity.original", ["incident:PM:7", "case:PV 7"], MOTIVE),
        (me, "identity.original", ["incident:PM:7"], MOTIVE),
        (me, "refused.identity.original", ["incident:PM:7"], "vu"),
    ]


def test_the_operator_rotates_the_vault_key_and_it_is_journalled(
    run_cli: Callable[..., CliResult], cli_env: dict[str, str]
) -> None:
    home = Path(cli_env["RECOUPE_HOME"])
    Vault(home).keep([Sighting("c" * 24, "P-CCCCCCCC", "Nadia DUPONT", "PM:7")], {"PM:7": "Vu Nadia DUPONT."})
    key = home / "secrets" / "vault.key"
    old = key.read_text()
    rotated = run_cli("identity", "rotate-key", "--json", env=cli_env)
    assert rotated.code == 0, rotated.stderr
    assert json.loads(rotated.stdout) == {"persons": 1, "texts": 1, "key": str(key)}
    assert key.read_text() != old
    shown = run_cli("identity", "original", "PM:7", "--motive", MOTIVE, env=cli_env)
    assert shown.code == 0 and shown.stdout.strip() == "Vu Nadia DUPONT."
    (entry, _) = audit.Journal(home).entries()
    assert (entry["action"], entry["objects"]) == ("identity.rotate_key", ["persons=1", "texts=1"])
