"""Schemathesis against /api/openapi.json: every operation of the real app (WSGI), on the small test city of
test_api.py, with the admin's bearer token, fed valid and invalid requests (positive and negative modes).
No answer may be a 5xx, and every answer must match the document: a declared status code, its content
type, its schema, and invalid input refused.

(Schemathesis's own `from_fixture(...).parametrize()` needs a pytest attribute that pytest 9 removed, so the
operations are parametrized here from the app's declarations and each one is driven through Hypothesis.)
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from recoupe.web import api, endpoints
from tests.web import test_api
from tests.web.test_api import City, bearer

city = test_api.city
EXAMPLES = 60  # per operation and mode
FEWER = {("POST", "/api/reports"): 10}  # a citizen report runs spaCy and writes to the graph
DECLARED = (*api.OTHERS, *endpoints.OPERATIONS)
OPERATIONS = sorted({(op.method, op.path) for op in DECLARED})
# Negative mode needs something to make invalid: a query parameter or a body (a bare path string has none).
NEGATABLE = {(op.method, op.path) for op in DECLARED if op.params or op.body}
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or (method, path) in NEGATABLE
]
# Not checked: that every schema-valid request is accepted. The server also refuses, with a documented 400,
# what a JSON schema cannot say: a period whose end is not after its start, a Cypher statement that does not
# parse, a report date that is not a date, a node key of an unknown kind.
UNCHECKED = [positive_data_acceptance]


@pytest.fixture(scope="module")
def api_schema(city: City) -> Any:
    """The document as the app serves it; every request carries the admin's token (so the checks know the
    credentials and probe the operation without them and with a wrong one), and asks for no compression
    (schemathesis's WSGI client does not undo the gzip that recoupe.web.compress applies)."""
    headers = {**bearer(city, "admin"), "Accept-Encoding": "identity"}
    loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", city.app, headers=headers)
    loaded.config.update(headers=headers)
    loaded.config.generation.update(with_security_parameters=False)
    return loaded


def test_the_document_lists_every_declared_operation(api_schema: Any) -> None:
    listed = {
        (method.upper(), path) for path, item in api_schema.raw_schema["paths"].items() for method in item
    }
    assert listed == set(OPERATIONS) and len(OPERATIONS) >= 15


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=lambda v: str(v))
def test_every_operation_answers_as_documented(
    api_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=FEWER.get((method, path), EXAMPLES),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case: Any) -> None:
        case.call_and_validate(excluded_checks=UNCHECKED)

    answers_as_documented()


def test_what_the_first_runs_found(city: City) -> None:
    """Each answer that broke the document before it was fixed (see the closing note of issue 9)."""
    with city.app.test_client() as client:
        # a 500: the period before year 36 fell off the calendar; now any date outside 1900–2200 is a 400
        url = "/api/hotspots?unit=cell&from=0036-09-14T12:43:29-22:00&to=0187-11-26T15:51:10Z"
        refused = client.get(url, headers=bearer(city, "admin"))
        assert refused.status_code == 400
        assert refused.get_json()["error"]["fields"] == {
            "from": "outside the years 1900 to 2200",
            "to": "outside the years 1900 to 2200",
        }
        # an empty optional parameter means "absent", and the document says so
        assert (
            client.get("/api/forecasts?category=&offset=", headers=bearer(city, "admin")).status_code == 200
        )
        document = client.get("/api/openapi.json", headers=bearer(city, "admin")).get_json()
    forecasts = document["paths"]["/api/forecasts"]["get"]
    assert {p["name"]: p.get("allowEmptyValue") for p in forecasts["parameters"]} == {
        "category": True,
        "limit": True,
        "offset": True,
    }
    # downloads declare their own media type, not JSON
    answers = {path: item["get"]["responses"]["200"]["content"] for path, item in document["paths"].items()
               if path.startswith("/api/exports/")}  # fmt: skip
    assert {path: list(content) for path, content in answers.items()} == {
        "/api/exports/csv": ["application/zip"],
        "/api/exports/geojson": ["application/geo+json"],
        "/api/exports/gexf": ["application/gexf+xml"],
        "/api/exports/graphml": ["application/graphml+xml"],
    }
