"""Places and incidents IN their forecasting cell, on the real graph: only what is located finely enough, each
incident once however often the forecasts are written, and nothing in a cell the forecasts did not write."""

from __future__ import annotations

from datetime import date

import numpy as np

from recoupe.gnn.forecast import link_cells
from recoupe.gnn.frame import Events
from recoupe.gnn.units import grid_units
from recoupe.graph.connection import Graph
from recoupe.graph.schema import apply_schema
from recoupe.ontology.loader import ontology

# id: (lat, lon, place precision, located: has a geo_key as ingestion sets it for address/street/landmark)
INCIDENTS = {
    "a": (43.29650, 5.36980, "address", True),
    "b": (43.29700, 5.36990, "street", True),  # 56 m north of a: the same 500 m cell
    "c": (43.29650, 5.36980, "quartier", False),  # a quartier's centroid on a's very spot: in no cell
    "d": (43.33000, 5.40000, "landmark", True),  # 4.5 km away: another cell
    "e": (43.25000, 5.45000, "address", True),  # a cell the forecasts did not write (not active)
}


def load(graph: Graph) -> None:
    apply_schema(graph, ontology())
    with graph.session() as s:
        for name, (lat, lon, precision, located) in INCIDENTS.items():
            s.run(
                "CREATE (i:Incident {id: $id, lat: $lat, lon: $lon, precision: $precision, geo_key: $key})"
                "-[:OCCURRED_AT]->(:Place {id: $place, lat: $lat, lon: $lon, precision: $precision})",
                id=name, place=f"place-{name}", lat=lat, lon=lon, precision=precision,
                key=f"k-{name}" if located else None,
            ).consume()  # fmt: skip


def test_located_places_and_incidents_go_in_their_cell_once(graph: Graph) -> None:
    load(graph)
    active = ["a", "b", "d"]  # the cells of a (and b) and of d hold incidents before the cut-off
    events = Events(
        lat=np.array([INCIDENTS[k][0] for k in active]),
        lon=np.array([INCIDENTS[k][1] for k in active]),
        day=np.zeros(3, dtype=np.int64),
        category=np.zeros(3, dtype=np.int64),
        categories=("theft",),
        start=date(2025, 1, 1),
        n_days=1,
    )
    units = grid_units(events, 500)
    assert units.n == 2
    with graph.session() as s:  # the cells, as write_forecasts merges them
        s.run("UNWIND $keys AS k CREATE (:Cell {id: k, unit: 'grid:500'})", keys=list(units.keys)).consume()

    assert link_cells(graph, units) == (3, 3)  # places of a, b, d; incidents a, b, d

    def cells() -> dict[str, list[str]]:
        with graph.session() as s:
            rows = s.run(
                "MATCH (n)-[:IN]->(c:Cell) RETURN coalesce(n.id, '') AS id, labels(n)[0] AS label, c.id AS cell"
            ).data()
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(f"{row['label']}:{row['id']}", []).append(row["cell"])
        return found

    first = cells()
    assert sorted(first) == ["Incident:a", "Incident:b", "Incident:d", "Place:place-a", "Place:place-b",
                             "Place:place-d"]  # fmt: skip
    assert first["Incident:a"] == first["Incident:b"] == first["Place:place-a"] != first["Incident:d"]
    assert first["Incident:d"] == first["Place:place-d"]
    # written again (the next forecast): the places linked again, the incidents kept, nothing doubled
    assert link_cells(graph, units) == (3, 0)
    assert cells() == first
