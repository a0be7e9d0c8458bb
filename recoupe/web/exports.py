"""Downloads of the viewer's current selection (docs/exports.md): `GET /api/exports/graphml|gexf|csv|geojson`
with `incident` and `depth` (a neighbourhood), `from` and `to` (a period), `bbox` (a box on the map).

Who may download what: GraphML, GEXF and CSV hold the whole selection, people (by pseudonym) and plates
included, so they need what the explorer needs (`read.entities` and `explorer`); GeoJSON holds incidents
(without their text), cameras, street assets and forecast cells, what the map shows, so `read.incidents`
suffices — but a neighbourhood (`incident`) is walked through people and plates, so asking for one needs the
explorer's permissions too. A download is bounded: a selection of more than MAX_INCIDENTS incidents is refused
(400, saying the cap); the answer says how many incidents it holds (`X-Recoupe-Incidents`).

The blueprint holds no page: it gives the map and explorer templates `export_links(...)`, the download links
for their selection that the user's role may follow.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, url_for
from flask.typing import ResponseReturnValue

from recoupe.ontology.errors import InvalidInput, NotFound
from recoupe.web import auth
from recoupe.web.api import SEE_ENTITIES, _period
from recoupe.web.endpoints import endpoint
from recoupe.web.french import PARIS
from recoupe.web.map_page import BBOX, parse_box
from recoupe.web.openapi import FROM, TO, Param
from recoupe.web.pages import can
from recoupe.web.resources import graph

if TYPE_CHECKING:
    from recoupe.graph.export import NodeRecord, Selection

exports = Blueprint("exports", __name__)

MAX_INCIDENTS = 2000
MAX_DEPTH = 3
ENTITIES = (SEE_ENTITIES, "explorer")
FORMATS = {  # format → (media type, file extension, French name, permissions)
    "graphml": ("application/graphml+xml", "graphml", "GraphML (Gephi, yEd)", ENTITIES),
    "gexf": ("application/gexf+xml", "gexf", "GEXF (Gephi)", ENTITIES),
    "csv": ("application/zip", "zip", "CSV (nœuds et relations, dans un zip)", ENTITIES),
    "geojson": ("application/geo+json", "geojson", "GeoJSON (incidents, caméras, mobilier, mailles)",
                ("read.incidents",)),
}  # fmt: skip
PARAMS = (
    Param("incident", "string", "Le voisinage de cet incident (identifiant)."),
    Param("depth", "integer", f"Avec incident : relations parcourues, de 1 à {MAX_DEPTH}.", 1, minimum=1,
          maximum=MAX_DEPTH),
    FROM,
    TO,
    BBOX,
)  # fmt: skip


class TooMany(InvalidInput):
    """The selection holds more incidents than a download may."""


def selection(q: dict[str, Any]) -> Selection:
    """The export's Selection from the parsed parameters (the map's box is west,south,east,north)."""
    from recoupe.graph.export import Selection

    _period(q)
    box = None
    if q["bbox"] is not None:
        west, south, east, north = parse_box(q["bbox"])
        if west >= east or south >= north:
            raise InvalidInput("Paramètre « bbox » invalide.", BBOX.description, {"bbox": "empty box"})
        box = (south, west, north, east)
    return Selection(incident=q["incident"], depth=q["depth"], start=q["from"], end=q["to"], bbox=box)


def bounded(records: Iterator[NodeRecord]) -> list[NodeRecord]:
    """The records, or TooMany as soon as they hold more than MAX_INCIDENTS incidents."""
    kept, incidents = [], 0
    for record in records:
        incidents += record.label == "Incident"
        if incidents > MAX_INCIDENTS:
            raise TooMany(
                f"La sélection compte plus de {MAX_INCIDENTS} incidents, le plafond d'un téléchargement.",
                "réduisez la période, l'emprise ou la profondeur (ou « recoupe export » sur le serveur)",
                {"selection": f"more than {MAX_INCIDENTS} incidents"},
            )
        kept.append(record)
    return kept


def download(fmt: str, q: dict[str, Any]) -> ResponseReturnValue:
    from recoupe.graph import formats
    from recoupe.graph.export import nodes, relationships

    if fmt == "geojson" and q["incident"] is not None and not all(can(p) for p in ENTITIES):
        raise auth.Forbidden(
            "Accès refusé : le voisinage d'un incident passe par des personnes et des plaques.",
            "sans voisinage (période ou emprise), le GeoJSON reste permis",
        )
    chosen = selection(q)
    try:
        records = bounded(nodes(graph(), chosen))
    except NotFound:
        raise NotFound(f"Aucun incident « {chosen.incident} ».", "voir GET /api/incidents") from None
    edges = list(relationships(graph(), chosen))
    if fmt == "csv":
        body = _zipped(records, edges)
    elif fmt == "geojson":
        text = io.StringIO()
        formats.write_geojson(records, edges, text)
        body = text.getvalue().encode("utf-8")
    else:
        binary = io.BytesIO()
        (formats.write_graphml if fmt == "graphml" else formats.write_gexf)(records, edges, binary)
        body = binary.getvalue()
    media, extension, _, _ = FORMATS[fmt]
    response = Response(body, mimetype=media)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename(chosen, extension)}"'
    response.headers["X-Recoupe-Incidents"] = str(sum(r.label == "Incident" for r in records))
    response.headers["X-Recoupe-Incident-Cap"] = str(MAX_INCIDENTS)
    return response


def _zipped(records: list[NodeRecord], edges: list[Any]) -> bytes:
    from recoupe.graph.formats import write_csv

    node_file, edge_file = io.StringIO(newline=""), io.StringIO(newline="")
    write_csv(records, edges, node_file, edge_file)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("nodes.csv", node_file.getvalue())
        zf.writestr("relationships.csv", edge_file.getvalue())
    return archive.getvalue()


def filename(chosen: Selection, extension: str) -> str:
    """`recoupe-T_A-2.graphml`, `recoupe-2025-03-01-2025-07-01.geojson`: the selection, filename-safe."""
    parts = []
    if chosen.incident is not None:
        parts += [
            "".join(c if c.isalnum() or c in "-." else "_" for c in chosen.incident)[:60],
            str(chosen.depth),
        ]
    for moment in (chosen.start, chosen.end):
        if moment is not None:
            parts.append(moment.astimezone(PARIS).strftime("%Y-%m-%d"))
    return "-".join(["recoupe", *(parts or ["selection"])]) + "." + extension


def _declare(fmt: str) -> None:
    media, _, name, permissions = FORMATS[fmt]

    def view(q: dict[str, Any]) -> ResponseReturnValue:
        return download(fmt, q)

    view.__name__ = f"export_{fmt}"
    summary = (f"Téléchargement de la sélection en {name} ({media}) ; au plus {MAX_INCIDENTS} incidents, "
               "sinon 400.")  # fmt: skip
    endpoint("GET", f"/exports/{fmt}", summary, permissions, PARAMS, errors=(400, 401, 403, 404),
             media_type=media)(view)  # fmt: skip


for _fmt in FORMATS:
    _declare(_fmt)


# ---------------------------------------------------------------- the links on the map and the explorer


@exports.app_template_global("export_links")
def export_links(first: str = "", last: str = "", node: str = "") -> list[tuple[str, str]]:
    """(French name, URL) of each download the user may make of a page's selection: its days `first` to
    `last` (inclusive, Paris time) and, from the explorer, its start node (an incident: its neighbourhood)."""
    args: dict[str, Any] = {}
    if node.startswith("incident:"):
        args |= {"incident": node.removeprefix("incident:"), "depth": 2}
    if (start := _day(first)) is not None:
        args["from"] = start.isoformat()
    if (end := _day(last)) is not None:
        args["to"] = (end + timedelta(days=1)).isoformat()
    links = []
    for fmt, (_, _, name, permissions) in FORMATS.items():
        needed = ENTITIES if fmt == "geojson" and "incident" in args else permissions
        if all(can(p) for p in needed):
            links.append((name, url_for(f"api.export_{fmt}", **args)))
    return links


def _day(raw: str) -> date | None:
    try:
        return datetime.strptime(raw, "%Y-%m-%d").date() if raw else None
    except ValueError:
        return None


@exports.app_template_global("export_cap")
def export_cap() -> int:
    """The most incidents a download holds, for the links' hint."""
    return MAX_INCIDENTS
