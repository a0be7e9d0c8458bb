"""Relational edges between cells: near repeats and shared people, plates or vehicles link two cells when at
least two pairs of incidents join them; pairs within one cell, or outside the cells, make none."""

from __future__ import annotations

from datetime import date

import numpy as np

from recoupe.gnn.backtest import relational_edges
from recoupe.gnn.frame import Events
from recoupe.gnn.units import grid_units
from recoupe.ontology.geo import offset


def test_two_pairs_make_an_edge_one_does_not() -> None:
    centres = [offset(5.30, 43.25, 250 + 500 * i, 250) for i in range(3)]  # three cells in a row
    lat = np.array([c[1] for c in centres])
    lon = np.array([c[0] for c in centres])
    events = Events(
        lat, lon, np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64), ("theft",), date(2025, 1, 1), 1
    )
    units = grid_units(events, 500)
    far = offset(5.30, 43.25, 50_000, 0)
    pairs = {
        # cells 0–2 twice (an edge), 0–1 once (none), within cell 1 (none), to a point outside (none)
        "NEAR_REPEAT": np.array(
            [
                [lat[0], lon[0], lat[2], lon[2]],
                [lat[2], lon[2], lat[0], lon[0]],
                [lat[0], lon[0], lat[1], lon[1]],
                [lat[1], lon[1], lat[1], lon[1]],
                [lat[1], lon[1], far[1], far[0]],
                [lat[1], lon[1], far[1], far[0]],
            ]
        ),
        "INVOLVES": np.array([[lat[1], lon[1], lat[2], lon[2]]] * 3),
    }
    edges = relational_edges(pairs, units)
    index = {k: n for n, k in enumerate(units.keys)}
    cells = [index[k] for k in sorted(units.keys, key=lambda k: int(k.split(":")[2]))]
    assert sorted(edges) == ["INVOLVES", "NEAR_REPEAT"]
    assert {tuple(sorted(p)) for p in edges["NEAR_REPEAT"].T.tolist()} == {
        tuple(sorted((cells[0], cells[2])))
    }
    assert {tuple(sorted(p)) for p in edges["INVOLVES"].T.tolist()} == {tuple(sorted((cells[1], cells[2])))}
    assert relational_edges({"NEAR_REPEAT": np.zeros((0, 4))}, units) == {}
