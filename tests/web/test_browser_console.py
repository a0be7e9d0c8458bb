"""The console page in a real Chromium (tests/web/browser.py) against the real app served over HTTP on a loopback
port, on the API tests' city (tests/web/test_api.py, rebuilt for this module): log in as an analyst, run saved
queries from the library and check that the table shows what POST /api/query answers, draw a graph result, and
type a write, which is refused with its message shown while the graph stays unchanged. Screenshots are left in
test-artifacts/console.png (a table), console-graphe.png (a graph) and console-refus.png (the refusal).
"""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from recoupe.graph.saved_queries import SAVED_QUERIES
from tests.web import test_api
from tests.web.browser import WAIT_MS, Visit
from tests.web.test_api import City

city = test_api.city
QUERIES = {q.id: q for q in SAVED_QUERIES}
COUNT = "MATCH (n) RETURN count(n) AS nodes"
WRITE = "CREATE (n:Incident {id:'x'}) RETURN n"


def answer(city: City, statement: str, parameters: dict[str, Any] | None = None) -> Any:
    """What POST /api/query answers the analyst, through the Flask test client."""
    client: FlaskClient = city.app.test_client()
    return test_api.post(client, city, "/api/query", {"statement": statement, "parameters": parameters or {}},
                         role="analyst")  # fmt: skip


def shown(value: Any) -> str:
    """A scalar or a list of strings as the console's table writes it."""
    if isinstance(value, list):
        return "[" + ", ".join(f"'{v}'" for v in value) + "]"
    return "null" if value is None else str(value)


def wait_for_result(visit: Visit, query_id: str, rows: int) -> None:
    visit.page.wait_for_function(
        "([id, rows]) => { const r = document.getElementById('resultat');"
        " return r.dataset.state === 'ready' && r.dataset.query === id && r.dataset.rows === String(rows); }",
        arg=[query_id, rows],
        timeout=WAIT_MS,
    )


def table(visit: Visit) -> tuple[list[str], list[list[str]]]:
    page = visit.page
    head = page.locator("#resultat-table thead th").all_inner_texts()
    rows = [r.locator("td").all_inner_texts() for r in page.locator("#resultat-table tbody tr").all()]
    return head, rows


def test_the_console_runs_saved_queries_and_refuses_a_write(city: City, visit: Visit) -> None:
    nodes_before = answer(city, COUNT)["rows"]
    page = visit.page
    visit.login("/console", "analyst")
    page.wait_for_selector('#bibliotheque[data-state="ready"]', timeout=WAIT_MS)
    assert page.locator("#bibliotheque li").count() == len(SAVED_QUERIES)

    # a saved query: loaded into the editor with its parameter, the threshold lowered to 2, run
    plates = QUERIES["plates-in-several-incidents"]
    page.click('#bibliotheque li[data-id="plates-in-several-incidents"] .console-query-title')
    assert page.input_value("#requete") == plates.cypher
    assert page.input_value("#parametre-min_incidents") == "3"
    page.fill("#parametre-min_incidents", "2")
    page.click("#executer")
    expected = answer(city, plates.cypher, {"min_incidents": 2})
    assert [r[0] for r in expected["rows"]] == ["AB-123-CD"]  # in T:A and T:B
    wait_for_result(visit, plates.id, len(expected["rows"]))
    head, rows = table(visit)
    assert head == expected["columns"] == ["plaque", "incidents", "liste"]
    assert rows == [[shown(v) for v in row] for row in expected["rows"]]
    assert page.inner_text("#resultat-etat").startswith("1 ligne en ")
    assert page.locator("#resultat-tronque").is_hidden()
    assert page.get_attribute("#onglet-graphe", "disabled") is not None  # scalars only: nothing to draw
    visit.screenshot("console")

    # a graph query run from the library with its defaults: a table, then the graph tab
    shared = QUERIES["shared-plates-graph"]
    page.click('#bibliotheque li[data-id="shared-plates-graph"] .console-query-run')
    expected = answer(city, shared.cypher, shared.defaults())
    wait_for_result(visit, shared.id, len(expected["rows"]))
    result = page.locator("#resultat")
    assert (result.get_attribute("data-nodes"), result.get_attribute("data-edges")) == ("3", "2")
    _, rows = table(visit)
    assert sorted(rows) == sorted(
        [[f"(:Incident {{id: '{i['properties']['id']}'}})", "[:INVOLVES]", "(:Plate {id: 'AB-123-CD'})"]
         for i, _, _ in expected["rows"]]
    )  # fmt: skip
    page.click("#onglet-graphe")
    page.wait_for_selector("#graphe canvas", timeout=WAIT_MS)
    assert page.locator("#panneau-table").is_hidden()
    assert page.inner_text("#graphe-legende") == "3 nœuds (Incident 2, Plate 1), 2 relations."
    visit.screenshot("console-graphe")

    # the row cap: a notice in French
    page.fill("#requete", "MATCH (i:Incident) RETURN i.id AS id ORDER BY id")
    page.fill("#limite", "2")
    assert page.locator("#parametres").is_hidden()  # the statement names no parameter now
    page.press("#requete", "Control+Enter")
    page.wait_for_function(
        "() => document.getElementById('resultat').dataset.truncated === 'true'", timeout=WAIT_MS
    )
    assert page.inner_text("#resultat-tronque").startswith("2 premières lignes sur plus de 2")
    assert table(visit)[1] == [["T:A"], ["T:B"]]

    # a write, typed and sent with Ctrl+Enter: refused, the message shown, the graph unchanged
    page.fill("#requete", WRITE)
    page.press("#requete", "Control+Enter")
    page.wait_for_selector('#resultat[data-state="error"]', timeout=WAIT_MS)
    alert = page.locator("#console-erreur")
    assert alert.is_visible() and alert.get_attribute("role") == "alert"
    refusal = alert.inner_text()
    visit.screenshot("console-refus")
    assert "Requête refusée : « CREATE » écrit dans le graphe (ligne 1, colonne 1)" in refusal
    assert "Statement refused: CREATE, which writes to the graph (line 1, column 1)" in refusal
    assert table(visit) == ([], []) and result.get_attribute("data-rows") == "0"  # no stale rows under it
    assert page.locator("#resultat-tronque").is_hidden()
    assert answer(city, COUNT)["rows"] == nodes_before
    assert answer(city, "MATCH (n:Incident {id: 'x'}) RETURN count(n) AS n")["rows"] == [[0]]
    assert any(url.endswith("/api/queries?limit=500") for url in visit.requests)
    # the refusal is a 400 answer, which Chromium reports on its console: expected here, and only that
    expected_problem = (
        "error: Failed to load resource: the server responded with a status of 400 (BAD REQUEST) "
        f"({visit.site.base}/api/query)"
    )
    assert visit.problems == [expected_problem]
    visit.problems.clear()
