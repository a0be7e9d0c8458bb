"""The selection's records (`export.nodes`, `export.relationships`) written for analysts' other tools: GraphML
and GEXF (Gephi) through networkx's writers, CSV (one file of nodes, one of relationships) and GeoJSON
(incidents, cameras with their field-of-view wedge, street assets, forecast cells).

CSV and GeoJSON are written as the records stream in; GraphML and GEXF go through a networkx graph held in
memory (its writers need the whole graph), so their callers bound the selection. Values are typed by the
ontology's datatypes (a `float` property is a float in every row), dates as ISO 8601 text. Persons come as
the records give them: by pseudonym, never by name or keyed id. GeoJSON carries no person, plate or vehicle,
and no incident text.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from recoupe.ontology.cells import spreadsheet_safe
from recoupe.ontology.geo import offset
from recoupe.ontology.loader import ontology
from recoupe.ontology.wkt import parse_wkt

if TYPE_CHECKING:  # networkx loads with the first GraphML or GEXF export
    import networkx as nx  # type: ignore[import-untyped]

    from recoupe.graph.export import EdgeRecord, NodeRecord

FORMATS = ("graphml", "gexf", "csv", "geojson")
WEDGE_STEP_DEG = 5.0  # one arc point every 5 degrees, as the map draws it
GEO_CLASSES = ("Incident", "Camera", "StreetAsset", "Cell")
# What a GeoJSON feature keeps of each class: no free text (an incident's text may name a pseudonym).
GEO_PROPERTIES = {
    "Incident": ("id", "category", "occurred_from", "occurred_to", "reported_at", "precision", "source"),
    "Camera": ("id", "label", "bearing_deg", "fov_deg", "range_m", "installed_at", "removed_at", "outages"),
    "StreetAsset": ("id", "asset_type", "label", "condition", "installed_at", "removed_at"),
    "Cell": ("id", "unit"),
}
FORECAST_FIELDS = ("category", "probability", "rank", "horizon", "valid_from", "valid_to", "issued_at")


@dataclass
class Written:
    """What an export wrote."""

    nodes: int = 0
    relationships: int = 0
    features: int = 0
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "relationships": self.relationships, "features": self.features,
                "files": self.files}  # fmt: skip


def node_id(label: str, key: str) -> str:
    """A node's id in GraphML, GEXF and CSV: `Incident:T:A`, `Person:P-3F2A…`."""
    return f"{label}:{key}"


def text(value: Any) -> str:
    """A value as one CSV cell: ISO dates, `;`-joined lists, "" for nothing."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def scalar(name: str, value: Any) -> str | int | float | bool | None:
    """A property as GraphML and GEXF hold it: the ontology's numeric and boolean types kept, else text."""
    prop = ontology().properties.get(name)
    kind = prop.datatype if prop is not None else "string"
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    return text(value)


# ---------------------------------------------------------------- GraphML and GEXF


def to_networkx(
    nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord], written: Written
) -> nx.MultiDiGraph:
    """The records as a networkx multigraph: node ids `Label:key`, attributes `class`, `node_key`, `label`
    (what Gephi shows) and the properties; edges with `relationship` (the type) and theirs, ids `e0`, `e1`…
    (GEXF reads a node's `id` attribute as its id, hence `node_key`)."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    for record in nodes:
        attrs = {k: v for k, v in ((k, scalar(k, v)) for k, v in record.properties.items()) if v is not None}
        attrs |= {
            "class": record.label,
            "node_key": record.key,
            "label": str(attrs.get("label") or record.key),
        }
        graph.add_node(node_id(record.label, record.key), **attrs)
        written.nodes += 1
    for edge in edges:
        source, target = node_id(*edge.source), node_id(*edge.target)
        for end, (label, key) in ((source, edge.source), (target, edge.target)):
            if end not in graph:  # an end outside the selection: named, without its properties
                graph.add_node(end, **{"class": label, "node_key": key, "label": key})
                written.nodes += 1
        attrs = {k: v for k, v in ((k, scalar(k, v)) for k, v in edge.properties.items()) if v is not None}
        edge_id = f"e{written.relationships}"
        graph.add_edge(source, target, key=edge_id, id=edge_id, relationship=edge.type, **attrs)
        written.relationships += 1
    return graph


def write_graphml(nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord], out: IO[bytes]) -> Written:
    import networkx as nx

    written = Written()
    nx.write_graphml(to_networkx(nodes, edges, written), out, infer_numeric_types=True)
    return written


def write_gexf(nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord], out: IO[bytes]) -> Written:
    import networkx as nx

    written = Written()
    nx.write_gexf(to_networkx(nodes, edges, written), out)
    return written


# ---------------------------------------------------------------- CSV


def node_columns() -> list[str]:
    """The nodes file's columns: id, class, key, then every node property of the ontology."""
    names = sorted({p for t in ontology().node_types.values() for p in t.properties})
    return ["node_id", "class", "key", *names]


def relationship_columns() -> list[str]:
    names = sorted({p for t in ontology().rel_types.values() for p in t.properties})
    return ["type", "source", "target", "source_class", "source_key", "target_class", "target_key", *names]


def write_csv(nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord], node_file: IO[str],
              edge_file: IO[str]) -> Written:  # fmt: skip
    """Two CSV files (UTF-8, header row): nodes, then relationships between them by node id."""
    written = Written()
    columns = node_columns()
    writer = csv.DictWriter(node_file, columns, extrasaction="ignore")
    writer.writeheader()
    for record in nodes:
        row = {k: text(v) for k, v in record.properties.items()}
        row |= {"node_id": node_id(record.label, record.key), "class": record.label, "key": record.key}
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
        written.nodes += 1
    writer = csv.DictWriter(edge_file, relationship_columns(), extrasaction="ignore")
    writer.writeheader()
    for edge in edges:
        row = {k: text(v) for k, v in edge.properties.items()}
        row |= {"type": edge.type, "source": node_id(*edge.source), "target": node_id(*edge.target),
                "source_class": edge.source[0], "source_key": edge.source[1], "target_class": edge.target[0],
                "target_key": edge.target[1]}  # fmt: skip
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
        written.relationships += 1
    return written


# ---------------------------------------------------------------- GeoJSON


def wedge(lon: float, lat: float, bearing: float, fov: float, range_m: float) -> list[list[float]]:
    """A camera's field of view as a closed GeoJSON ring (counter-clockwise, [lon, lat]): the apex, then the
    arc from bearing − fov/2 to bearing + fov/2 (the whole circle from 360°)."""
    fov = min(max(fov, 1.0), 360.0)
    steps = max(2, math.ceil(fov / WEDGE_STEP_DEG))
    arc = []
    for i in range(steps + 1):
        angle = math.radians(bearing - fov / 2 + fov * i / steps)
        arc.append(list(offset(lon, lat, range_m * math.sin(angle), range_m * math.cos(angle))))
    ring = arc if fov >= 360 else [[lon, lat], *arc]
    ring.reverse()  # the arc turns clockwise; RFC 7946 wants exterior rings counter-clockwise
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


def _point(properties: dict[str, Any]) -> dict[str, Any] | None:
    lat, lon = properties.get("lat"), properties.get("lon")
    if lat is None or lon is None:
        return None
    return {"type": "Point", "coordinates": [float(lon), float(lat)]}


def _geometry(record: NodeRecord) -> dict[str, Any] | None:
    p = record.properties
    if record.label == "Camera" and _point(p) is not None:
        ring = wedge(float(p["lon"]), float(p["lat"]), float(p.get("bearing_deg") or 0.0),
                     float(p.get("fov_deg") or 90.0), float(p.get("range_m") or 60.0))  # fmt: skip
        return {"type": "Polygon", "coordinates": [ring]}
    if record.label == "Cell" and p.get("geometry"):
        try:
            polygons = parse_wkt(str(p["geometry"]))
        except ValueError:
            return _point(p)
        coordinates = [[[list(point) for point in ring] for ring in polygon] for polygon in polygons]
        return {"type": "MultiPolygon", "coordinates": coordinates}
    return _point(p)


def feature(record: NodeRecord, forecasts: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """One GeoJSON feature for an incident, a camera (its wedge), a street asset or a cell; None for the rest
    and for a record without a position."""
    geometry = _geometry(record) if record.label in GEO_CLASSES else None
    if geometry is None:
        return None
    p = record.properties
    properties: dict[str, Any] = {"class": record.label, "key": record.key}
    properties |= {k: _json(p.get(k)) for k in GEO_PROPERTIES[record.label] if p.get(k) is not None}
    if record.label == "Camera":
        properties |= {"lat": p["lat"], "lon": p["lon"]}  # the wedge's apex, for tools that want the point
    if record.label == "Incident" and p.get("category"):
        concept = ontology().vocabulary("IncidentCategory").concepts.get(str(p["category"]))
        properties["category_label"] = concept.labels.fr if concept else p["category"]
    if record.label == "Cell":
        properties["forecasts"] = sorted(forecasts or [], key=lambda f: (f.get("rank") or 0, f["category"]))
    return {"type": "Feature", "id": node_id(record.label, record.key), "geometry": geometry,
            "properties": properties}  # fmt: skip


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def geojson_features(nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord], written: Written) -> Iterator[
        dict[str, Any]]:  # fmt: skip
    """Features as they stream, the cells last (with their forecasts, joined through FORECAST_FOR)."""
    cells: list[NodeRecord] = []
    forecasts: dict[str, dict[str, Any]] = {}
    for record in nodes:
        written.nodes += 1
        if record.label == "Cell":
            cells.append(record)
        elif record.label == "Forecast":
            forecasts[record.key] = {k: _json(record.properties.get(k)) for k in FORECAST_FIELDS}
        elif (found := feature(record)) is not None:
            written.features += 1
            yield found
    by_cell: dict[str, list[dict[str, Any]]] = {}
    if cells:
        for edge in edges:
            if edge.type == "FORECAST_FOR" and edge.source[1] in forecasts:
                by_cell.setdefault(edge.target[1], []).append(forecasts[edge.source[1]])
    for cell in cells:
        if (found := feature(cell, by_cell.get(cell.key))) is not None:
            written.features += 1
            yield found


def write_geojson(nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord], out: IO[str]) -> Written:
    """A FeatureCollection (RFC 7946, WGS84), written one feature at a time."""
    written = Written()
    out.write('{"type": "FeatureCollection", "features": [')
    for n, found in enumerate(geojson_features(nodes, edges, written)):
        out.write(("," if n else "") + "\n" + json.dumps(found, ensure_ascii=False))
    out.write("\n]}\n")
    return written


def write_files(fmt: str, nodes: Iterable[NodeRecord], edges: Iterable[EdgeRecord], out: Path) -> Written:
    """The export in `fmt` to the file `out` (for csv: the folder `out`, holding nodes.csv and
    relationships.csv)."""
    if fmt == "csv":
        out.mkdir(parents=True, exist_ok=True)
        names = [out / "nodes.csv", out / "relationships.csv"]
        with (
            open(names[0], "w", newline="", encoding="utf-8") as a,
            open(names[1], "w", newline="", encoding="utf-8") as b,
        ):
            written = write_csv(nodes, edges, a, b)
    elif fmt == "geojson":
        names = [out]
        with open(out, "w", encoding="utf-8") as fh:
            written = write_geojson(nodes, edges, fh)
    elif fmt in ("graphml", "gexf"):
        names = [out]
        with open(out, "wb") as fb:
            written = (write_graphml if fmt == "graphml" else write_gexf)(nodes, edges, fb)
    else:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    written.files = [str(name) for name in names]
    return written
