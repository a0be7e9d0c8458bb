"""gzip of the API's JSON answers (recoupe/web/compress.py) through the real app on the API tests' city: a
large answer is compressed when the client accepts it and decompresses to the same JSON; `/api/me` (the CSRF
token), pages (HTML) and small answers never are.
"""

from __future__ import annotations

import gzip
import json

from flask.testing import FlaskClient

from tests.web import test_api
from tests.web.test_api import City
from tests.web.test_auth import login

city = test_api.city
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_a_large_json_answer_is_gzipped_when_accepted(city: City) -> None:
    client: FlaskClient = city.app.test_client()
    headers = test_api.bearer(city, "viewer")
    plain = client.get("/api/quartiers", headers=headers)
    packed = client.get("/api/quartiers", headers={**headers, **GZIP})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()
    assert len(plain.data) > 100_000 and len(packed.data) < len(plain.data) / 3  # 111 quartiers' outlines


def test_secrets_pages_and_small_answers_are_never_compressed(city: City) -> None:
    client: FlaskClient = city.app.test_client()
    assert login(client, "analyst").status_code == 302
    me = client.get("/api/me", headers=GZIP)
    assert "csrf_token" in me.get_json() and "Content-Encoding" not in me.headers
    page = client.get("/", headers=GZIP)
    assert page.mimetype == "text/html" and "Content-Encoding" not in page.headers
    small = client.get("/api/health", headers=GZIP)
    assert len(small.data) < 1024 and "Content-Encoding" not in small.headers
