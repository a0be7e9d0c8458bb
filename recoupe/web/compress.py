"""gzip for the API's JSON answers, which are the bulk of what the map and the forecasts pages transfer (the
quartiers' outlines alone are about 600 kB, 5 to 10 times less compressed).

Only JSON under /api/ is compressed, and never `/api/me` (it carries the session's CSRF token): pages (HTML)
mix secrets and echoed input, which compression would expose to a BREACH-style length attack, and the
libraries are files that browsers keep (max-age). Small answers stay as they are.
"""

from __future__ import annotations

import gzip

from flask import Flask, request
from werkzeug.wrappers import Response

MIN_BYTES = 1024
LEVEL = 5  # most of level 9's gain at a third of its time
NEVER = frozenset({"/api/me"})


def init_app(app: Flask) -> None:
    app.after_request(compress)


def compress(response: Response) -> Response:
    if (
        not request.path.startswith("/api/")
        or request.path in NEVER
        or response.direct_passthrough
        or response.mimetype not in ("application/json", "application/geo+json")
        or "gzip" not in request.headers.get("Accept-Encoding", "").lower()
        or "Content-Encoding" in response.headers
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response
