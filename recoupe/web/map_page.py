"""The map ("Carte"): the city drawn from Recoupe's own data with Leaflet, and the files Leaflet needs.

No tile layer: no tile server is reachable from where the viewer runs, so the quartiers' polygons (from
`/api/quartiers`, GeoJSON built here from their WKT) are the background; incidents and camera wedges come from
the existing API (`static/map.js`). Leaflet is an npm package served by `/vendor/` (`vendor.py`); without
node_modules the page still renders and says how to install it.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.wkt import parse_wkt
from recoupe.web import auth, vendor
from recoupe.web.api import answer, endpoint, graph
from recoupe.web.pages import PARIS, data_now

map_page = Blueprint("map_page", __name__)
log = logging.getLogger(__name__)

DEFAULT_DAYS = 30  # the period shown first: the last 30 days of data


def categories() -> list[tuple[str, str]]:
    """The incident categories as (code, French label), in French alphabetical order."""
    from recoupe.ontology.loader import ontology

    concepts = ontology().vocabulary("IncidentCategory").concepts
    return sorted(((code, c.labels.fr) for code, c in concepts.items()), key=lambda pair: pair[1].casefold())


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@map_page.get("/carte")
@auth.require("read.incidents")
def carte() -> ResponseReturnValue:
    """The map page; the period defaults to the last 30 days of data (up to the latest incident's day)."""
    from recoupe.graph import store

    clock = datetime.now(UTC)
    with graph().session() as session:
        latest = store.api_incidents(session, 0, 1, high=clock)
    _, end, _ = data_now(clock, latest)
    last = _day(request.args.get("to")) or (end.astimezone(PARIS) - timedelta(microseconds=1)).date()
    first = _day(request.args.get("from")) or last - timedelta(days=DEFAULT_DAYS - 1)
    chosen = request.args.get("category", "")
    known = categories()
    return render_template(
        "map.html",
        installed=vendor.installed("leaflet/dist/leaflet.js"),
        categories=known,
        category=chosen if chosen in dict(known) else "",
        first=first.isoformat(),
        last=last.isoformat(),
    )


def quartier_feature(row: dict[str, Any]) -> dict[str, Any]:
    """A quartier as a GeoJSON feature (MultiPolygon; coordinates longitude then latitude, as in WKT)."""
    polygons = parse_wkt(row["geometry"])
    return {
        "type": "Feature",
        "id": row["id"],
        "properties": {"id": row["id"], "name": row["name"], "arrondissement": row["arrondissement"]},
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [[[list(point) for point in ring] for ring in polygon] for polygon in polygons],
        },
    }


@endpoint("GET", "/quartiers", "Les quartiers et leur contour, en GeoJSON (FeatureCollection, WGS84).",
          ("read.incidents",))  # fmt: skip
def quartiers(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph import store

    with graph().session() as session:
        rows = store.map_quartiers(session)
    features = []
    for row in rows:
        try:
            features.append(quartier_feature(row))
        except (InvalidInput, TypeError, ValueError, AttributeError):  # a missing or broken geometry
            log.warning("quartier %s: unreadable geometry, left off the map", row["id"])
    return answer({"type": "FeatureCollection", "features": features})
