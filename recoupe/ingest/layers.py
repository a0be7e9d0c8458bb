"""Loading the city's inventories into the graph: cameras, their outages, street assets, quartiers.

Each loader reads its file with `recoupe.ingest.inventories` (bad rows go to `<file>.rejects.csv`), compares
every row with the node the graph already holds, writes only what is new or changed (a second load of the same
file reports 0 created, 0 updated), then runs the link rules the layer feeds: cameras and outages → `seen_by`,
assets → `damaged` and `in`, quartiers → `in`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recoupe.graph import store
from recoupe.graph.connection import Graph
from recoupe.graph.links import RuleResult, run_rules
from recoupe.ingest.inventories import (
    AssetRow,
    Bounds,
    CameraRow,
    OutageRow,
    QuartierRow,
    read_assets,
    read_cameras,
    read_outages,
    read_quartiers,
)
from recoupe.ingest.readers import Rejected, write_rejects

BATCH = 2_000


@dataclass
class LayerSummary:
    file: str
    kind: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    seconds: float = 0.0
    rejects_file: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    links: list[RuleResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "kind": self.kind, "read": self.read, "created": self.created,
            "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
            "seconds": round(self.seconds, 2), "rejects_file": self.rejects_file, "reasons": self.reasons,
            "links": [r.as_dict() for r in self.links],
        }  # fmt: skip


def load_cameras(graph: Graph, path: Path, bounds: Bounds | None = None, link: bool = True) -> LayerSummary:
    def props(row: CameraRow) -> dict[str, Any]:
        return {
            "source_id": row.id, "lat": row.lat, "lon": row.lon, "bearing_deg": row.bearing_deg,
            "fov_deg": row.fov_deg, "range_m": row.range_m, "installed_at": row.installed_at,
            "removed_at": row.removed_at, "label": row.label,
        }  # fmt: skip

    return _load(graph, path, "cameras", "Camera", read_cameras(path, bounds), props, ["seen_by", "in"], link)


def load_assets(graph: Graph, path: Path, bounds: Bounds | None = None, link: bool = True) -> LayerSummary:
    def props(row: AssetRow) -> dict[str, Any]:
        return {
            "source_id": row.id, "asset_type": row.type, "lat": row.lat, "lon": row.lon,
            "installed_at": row.installed_at, "label": row.label,
        }  # fmt: skip

    return _load(
        graph, path, "assets", "StreetAsset", read_assets(path, bounds), props, ["damaged", "in"], link
    )


def load_quartiers(
    graph: Graph,
    path: Path,
    name_property: str | None = None,
    district_property: str | None = None,
    link: bool = True,
) -> LayerSummary:
    """Quartiers (polygons as WKT) and, when the file names them, their arrondissements (IN)."""
    rows: list[QuartierRow] = []
    rejects: list[Rejected] = []
    for item in read_quartiers(path, name_property, district_property):
        (rejects if isinstance(item, Rejected) else rows).append(item)  # type: ignore[arg-type]

    def props(row: QuartierRow) -> dict[str, Any]:
        return {"name": row.name, "geometry": row.wkt, "lat": row.lat, "lon": row.lon}

    summary = _load(graph, path, "quartiers", "Quartier", [*rows, *rejects], props, [], False)
    districts: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.district:
            members = districts.setdefault(row.district, {"name": row.district, "points": []})
            members["points"].append((row.lat, row.lon))
            if row.postcode:
                members["postcode"] = row.postcode
    arrondissements = [
        {
            "id": name,
            "props": {
                "name": name,
                "postcode": d.get("postcode"),
                "lat": sum(p[0] for p in d["points"]) / len(d["points"]),
                "lon": sum(p[1] for p in d["points"]) / len(d["points"]),
            },
        }
        for name, d in districts.items()
    ]
    with graph.session() as session:
        for chunk in _chunks(arrondissements):
            session.execute_write(store.merge_nodes, "Arrondissement", _no_nulls(chunk))
        belongs = [{"quartier": r.name, "district": r.district} for r in rows if r.district]
        for chunk in _chunks(belongs):
            session.execute_write(store.quartiers_in_arrondissements, chunk)
    if link:
        summary.links = run_rules(graph, ["in"])
    return summary


def load_outages(graph: Graph, path: Path, link: bool = True) -> LayerSummary:
    """Outage periods join the camera's `outages` (ISO 8601 intervals, kept sorted, each once)."""
    summary = LayerSummary(str(path), "outages")
    began = time.perf_counter()
    rejects: list[Rejected] = []
    by_camera: dict[str, set[str]] = {}
    rows: list[OutageRow] = []
    for item in read_outages(path):
        if isinstance(item, Rejected):
            rejects.append(item)
        else:
            rows.append(item)
    summary.read = len(rows) + len(rejects)
    with graph.session() as session:
        cameras = store.node_properties(session, "Camera", sorted({r.camera_id for r in rows}))
        for row in rows:
            if row.camera_id not in cameras:
                rejects.append(Rejected(row.line, row.camera_id, "unknown camera (load the cameras first)"))
                continue
            interval = f"{row.start.isoformat()}/{row.end.isoformat() if row.end else ''}"
            by_camera.setdefault(row.camera_id, set()).add(interval)
        updates = []
        for camera_id, intervals in by_camera.items():
            held = set(cameras[camera_id].get("outages") or ())
            merged = sorted(held | intervals)
            new = len(intervals - held)
            summary.created += new
            summary.unchanged += len(intervals) - new
            if new:
                updates.append({"id": camera_id, "props": {"outages": merged}})
        for chunk in _chunks(updates):
            session.execute_write(store.merge_nodes, "Camera", chunk)
    _finish(path, summary, rejects, began)
    if link and summary.created:
        summary.links = run_rules(graph, ["seen_by"])
    return summary


def _load(
    graph: Graph,
    path: Path,
    kind: str,
    label: str,
    items: Iterable[Any],
    props: Callable[[Any], dict[str, Any]],
    rules: Sequence[str],
    link: bool,
) -> LayerSummary:
    summary = LayerSummary(str(path), kind)
    began = time.perf_counter()
    rejects: list[Rejected] = []
    rows: list[Any] = []
    for item in items:
        (rejects if isinstance(item, Rejected) else rows).append(item)
    summary.read = len(rows) + len(rejects)

    def node_id(row: Any) -> str:
        return str(row.name if label == "Quartier" else row.id)

    with graph.session() as session:
        for n in range(0, len(rows), BATCH):
            chunk = rows[n : n + BATCH]
            held = store.node_properties(session, label, [node_id(r) for r in chunk])
            writes = []
            for row in chunk:
                wanted = {k: v for k, v in props(row).items() if v is not None}
                before = held.get(node_id(row))
                if before is None:
                    summary.created += 1
                elif all(before.get(k) == v for k, v in wanted.items()):
                    summary.unchanged += 1
                    continue
                else:
                    summary.updated += 1
                writes.append({"id": node_id(row), "props": wanted})
            if writes:
                session.execute_write(store.merge_nodes, label, writes)
    _finish(path, summary, rejects, began)
    if link and rules and (summary.created or summary.updated):
        summary.links = run_rules(graph, rules)
    return summary


def _finish(path: Path, summary: LayerSummary, rejects: list[Rejected], began: float) -> None:
    summary.rejected = len(rejects)
    for r in rejects:
        reason = r.reason.split(" (")[0]
        summary.reasons[reason] = summary.reasons.get(reason, 0) + 1
    summary.rejects_file = write_rejects(path, rejects)
    summary.seconds = time.perf_counter() - began


def _no_nulls(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "props": {k: v for k, v in r["props"].items() if v is not None}} for r in rows]


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for n in range(0, len(rows), BATCH):
        yield rows[n : n + BATCH]
