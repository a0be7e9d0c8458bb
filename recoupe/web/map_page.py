"""The map ("Carte"): the city drawn from Recoupe's own data with Leaflet, its layers' endpoints, and the
incident page's small map.

No tile layer by default: no tile server is reachable from where the viewer runs, so the quartiers' polygons
(`/api/quartiers`) and the gazetteer's streets (`/api/map/streets`) are the background; incidents, cameras,
street assets and the latest forecasts' cells come from the API (`static/map.js`). Where a network has a tile
server, `RECOUPE_TILE_URL` adds it (and its origin to the CSP's img-src). Leaflet and its clustering plugin
are npm packages served by `/vendor/` (`vendor.py`); without node_modules the page says how to install them.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from recoupe.ontology.errors import InvalidInput
from recoupe.ontology.wkt import parse_wkt
from recoupe.web import auth, vendor
from recoupe.web.api import SEE_ENTITIES
from recoupe.web.cache import cached
from recoupe.web.endpoints import answer, cached_answer, endpoint
from recoupe.web.french import PARIS, term
from recoupe.web.openapi import CATEGORY, SCHEMAS, Param, fields
from recoupe.web.pages import can, data_now
from recoupe.web.resources import graph

map_page = Blueprint("map_page", __name__)
log = logging.getLogger(__name__)

DEFAULT_DAYS = 30  # the period shown first: the last 30 days of data
STREETS_FROM_ZOOM = 16  # below, the street layer would be thousands of dots and hundreds of kB
HEAT_STEPS = (0.10, 0.25, 0.50, 0.75)  # a cell's fill class: heat-1 below 10 % … heat-5 from 75 %
# How far from its point a place may lie, by precision (metres): the small map's circle. An address is exact;
# a street is its centre (Marseille's streets run a few hundred metres); a district, its centre at best.
PRECISION_RADIUS_M = {"address": 0, "landmark": 100, "street": 250, "quartier": 800, "arrondissement": 2500,
                      "city": 8000}  # fmt: skip
WORLD = (-180.0, -90.0, 180.0, 90.0)
BBOX = Param("bbox", "string", "Emprise « ouest,sud,est,nord » en degrés WGS84 (longitudes puis latitudes, "
             "comme GeoJSON et Leaflet) ; absente : partout.")  # fmt: skip
LEAFLET, CLUSTER = "leaflet/dist/leaflet.js", "leaflet.markercluster/dist/leaflet.markercluster.js"
SCHEMAS.update(  # the layers' answers, in the API's document
    MapAsset=fields(
        "id asset_type type label lat:number lon:number removed_at:date-time damage_count:integer"
    ),
    MapAssets=fields("total:integer limit:integer bbox:number[] items:MapAsset[]"),
    MapStreet=fields("name lat:number lon:number"),
    MapStreets=fields("total:integer limit:integer bbox:number[] items:MapStreet[]"),
    ForecastCells=fields("type total:integer limit:integer bbox:number[] features:any[]"),
)


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


def percent(value: float) -> str:
    return f"{100 * value:g} %"


def heat_legend() -> list[tuple[int, str]]:
    """The heat layer's steps as (class number, French range): (1, "moins de 10 %") … (5, "75 % et plus")."""
    bounds = [percent(t) for t in HEAT_STEPS]
    middle = [f"{low.removesuffix(' %')} à {high}" for low, high in itertools.pairwise(bounds)]
    labels = [f"moins de {bounds[0]}", *middle, f"{bounds[-1]} et plus"]
    return list(enumerate(labels, 1))


def heat_step(probability: float) -> int:
    return 1 + sum(probability >= t for t in HEAT_STEPS)


@map_page.get("/carte")
@auth.require("read.incidents")
def carte() -> ResponseReturnValue:
    """The map page; the period defaults to the last 30 days of data (up to the latest incident's day)."""
    from recoupe.graph import store

    clock = datetime.now(UTC)

    def read() -> list[dict[str, Any]]:
        with graph().session() as session:
            return store.api_incidents(session, 0, 1, high=clock)

    _, end, _ = data_now(clock, cached(("latest-incident",), read))
    last = _day(request.args.get("to")) or (end.astimezone(PARIS) - timedelta(microseconds=1)).date()
    first = _day(request.args.get("from")) or last - timedelta(days=DEFAULT_DAYS - 1)
    first = min(first, last)
    chosen = request.args.get("category", "")
    known = categories()
    return render_template(
        "map.html",
        installed=vendor.installed(LEAFLET) and vendor.installed(CLUSTER),
        categories=known,
        category=chosen if chosen in dict(known) else "",
        first=first.isoformat(),
        last=last.isoformat(),
        days=(last - first).days,
        entities=can(SEE_ENTITIES) and can("explorer"),  # the entity pages need both
        forecasts=can("forecasts"),
        heat=heat_legend(),
        streets_from=STREETS_FROM_ZOOM,
        tile_url=current_app.config.get("RECOUPE_TILE_URL", ""),
    )


# ---------------------------------------------------------------- the layers


def quartier_feature(row: dict[str, Any]) -> dict[str, Any]:
    """A quartier as a GeoJSON feature (MultiPolygon; coordinates longitude then latitude, as in WKT)."""
    return {
        "type": "Feature",
        "id": row["id"],
        "properties": {"id": row["id"], "name": row["name"], "arrondissement": row["arrondissement"]},
        "geometry": {"type": "MultiPolygon", "coordinates": _coordinates(row["geometry"])},
    }


def _coordinates(wkt: str) -> list[Any]:
    """GeoJSON MultiPolygon coordinates from WKT, to 1e-5 degree (about a metre: what a map can show)."""
    return [[[[round(x, 5), round(y, 5)] for x, y in ring] for ring in polygon] for polygon in parse_wkt(wkt)]


@endpoint("GET", "/quartiers", "Les quartiers et leur contour, en GeoJSON (FeatureCollection, WGS84) ; "
          "name : un seul quartier.", ("read.incidents",),
          (Param("name", "string", "Nom d'un quartier (casse indifférente)."),))  # fmt: skip
def quartiers(q: dict[str, Any]) -> ResponseReturnValue:
    features = cached(("quartier-features",), quartier_features)
    if q["name"] is None:  # about 600 kB of outlines, the same for every map: parsed and encoded once
        return cached_answer("quartiers", lambda: {"type": "FeatureCollection", "features": features})
    name = q["name"].casefold()
    features = [f for f in features if str(f["properties"]["name"]).casefold() == name]
    return answer({"type": "FeatureCollection", "features": features})


def quartier_features() -> list[dict[str, Any]]:
    from recoupe.graph import store

    with graph().session() as session:
        rows = store.map_quartiers(session)
    features = []
    for row in rows:
        try:
            features.append(quartier_feature(row))
        except (InvalidInput, TypeError, ValueError, AttributeError):  # a missing or broken geometry
            log.warning("quartier %s: unreadable geometry, left off the map", row["id"])
    return features


def parse_box(raw: str | None) -> tuple[float, float, float, float]:
    """(west, south, east, north) from "west,south,east,north"; the whole world when absent."""
    if raw is None or not raw.strip():
        return WORLD
    try:
        values = [float(part) for part in raw.split(",")]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput("Paramètre « bbox » invalide.", BBOX.description,
                           {"bbox": "expected four numbers: west,south,east,north"})  # fmt: skip
    west, south, east, north = values
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidInput("Paramètre « bbox » invalide.", BBOX.description,
                           {"bbox": "expected west <= east, south <= north, in degrees"})  # fmt: skip
    return west, south, east, north


def _limit(default: int, maximum: int) -> Param:
    return Param(
        "limit", "integer", f"Éléments au plus, de 1 à {maximum}.", default, minimum=1, maximum=maximum
    )


@endpoint("GET", "/map/assets", "Le mobilier urbain dans l'emprise, avec le nombre d'incidents qui l'ont "
          "endommagé, le plus endommagé d'abord.", ("read.incidents",), (BBOX, _limit(2000, 5000)),
          response="MapAssets")  # fmt: skip
def map_assets(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph import store

    box = parse_box(q["bbox"])
    with graph().session() as session:
        total = store.map_count_assets(session, box)
        rows = store.map_assets(session, box, q["limit"])
    items = [{**row, "type": term("AssetType", row["asset_type"])} for row in rows]
    return answer({"total": total, "limit": q["limit"], "bbox": list(box), "items": items})


@endpoint("GET", "/map/streets", "Les rues du géocodeur dans l'emprise (un point par nom de rue, au "
          "centre de la rue), dans l'ordre du répertoire.", ("read.incidents",), (BBOX, _limit(500, 2000)),
          response="MapStreets")  # fmt: skip
def map_streets(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.nlp.gazetteer import marseille

    west, south, east, north = box = parse_box(q["bbox"])
    inside = [s for s in marseille().streets if west <= s.lon <= east and south <= s.lat <= north]
    items = [{"name": s.name, "lat": s.lat, "lon": s.lon} for s in inside[: q["limit"]]]  # small: no more
    return answer({"total": len(inside), "limit": q["limit"], "bbox": list(box), "items": items})


def cell_feature(row: Mapping[str, Any]) -> dict[str, Any]:
    """A forecast cell as a GeoJSON feature with its most probable forecast and its heat step."""
    polygons = _coordinates(row["geometry"])
    probability = float(row["probability"])
    properties = {
        k: row[k] for k in ("unit", "category", "rank", "horizon", "valid_from", "valid_to", "forecasts")
    }
    properties |= {"probability": probability, "step": heat_step(probability),
                   "category_label": term("IncidentCategory", row["category"])}  # fmt: skip
    return {
        "type": "Feature",
        "id": row["cell"],
        "properties": properties,
        "geometry": {"type": "MultiPolygon", "coordinates": polygons},
    }


@endpoint("GET", "/map/forecasts", "Les mailles des prévisions les plus récentes dans l'emprise, en "
          "GeoJSON : pour chacune la catégorie la plus probable (ou celle demandée) et son palier (step, 1 à "
          "5).", ("forecasts",), (CATEGORY, BBOX, _limit(2000, 5000)),
          response="ForecastCells")  # fmt: skip
def map_forecasts(q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph import store

    box = parse_box(q["bbox"])
    with graph().session() as session:
        total = store.map_count_forecast_cells(session, box, q["category"])
        rows = store.map_forecast_cells(session, box, q["category"], q["limit"])
    features = []
    for row in rows:
        try:
            features.append(cell_feature(row))
        except (InvalidInput, TypeError, ValueError, AttributeError):  # written without its outline
            log.warning("forecast cell %s: no readable geometry, left off the map", row["cell"])
    collection = {"type": "FeatureCollection", "total": total, "limit": q["limit"], "bbox": list(box)}
    return answer({**collection, "features": features})


# ---------------------------------------------------------------- the tile option and the small map

_HOST = re.compile(r"[A-Za-z0-9.*-]+(:\d+)?")


def tile_origin(url: str) -> str:
    """The origin a tile URL template loads from, as the CSP writes it ("https://*.tile.example.org" for a
    `{s}` subdomain); "" when no URL is set. InvalidInput for anything but an http(s) URL with a host."""
    if not url.strip():
        return ""
    parts = urlsplit(url.strip())
    host = parts.netloc.replace("{s}", "*")
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(host) or "*" in host.lstrip("*."):
        raise InvalidInput(f"RECOUPE_TILE_URL = {url!r} is not an http(s) tile URL",
                           "give e.g. https://tiles.example.org/{z}/{x}/{y}.png, or leave it empty",
                           {"RECOUPE_TILE_URL": "expected an http(s) URL template"})  # fmt: skip
    return f"{parts.scheme}://{host}"


@map_page.app_template_global("small_map")
def small_map(facts: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the incident page's small map draws (its container's data attributes), or None when the incident
    has no position or Leaflet is not installed."""
    if facts.get("lat") is None or facts.get("lon") is None or not vendor.installed(LEAFLET):
        return None
    precision = facts.get("precision")
    return {
        "lat": f"{facts['lat']:.6f}",
        "lon": f"{facts['lon']:.6f}",
        "precision": precision or "",
        "precision-label": term("PlacePrecision", precision) if precision else "inconnue",
        "radius": str(PRECISION_RADIUS_M.get(precision or "", 0)),
        "place": facts.get("place_name") or "",
        "quartier": facts.get("quartier") or "",
        "quartiers-url": url_for("api.quartiers"),
        "streets-url": url_for("api.map_streets"),
    }
