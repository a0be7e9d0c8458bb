"""The packaged Marseille gazetteer: real streets, landmarks and quartier polygons, found offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from recoupe.nlp.gazetteer import load_gazetteer, marseille
from recoupe.ontology.errors import InvalidInput


def test_sizes_match_the_shared_data() -> None:
    g = marseille()
    assert (len(g.streets), len(g.landmarks), len(g.quartiers)) == (5190, 113, 111)
    assert {q.arrondissement for q in g.quartiers} == set(range(1, 17))


def test_quartier_of_known_places() -> None:
    g = marseille()
    station = next(lm for lm in g.landmarks if lm.name == "Gare Saint-Charles")
    quartier = g.quartier_at(station.lon, station.lat)
    assert quartier is not None and quartier.postcode == "13001" and quartier.arrondissement == 1
    julien = next(s for s in g.streets if s.name == "Cours Julien")
    assert g.quartier_at(julien.lon, julien.lat).name == "NOTRE-DAME-DU-MONT"  # type: ignore[union-attr]
    assert g.quartier_at(2.35, 48.85) is None  # Paris is not in Marseille


def test_streets_assigned_to_a_quartier_lie_in_it() -> None:
    g = marseille()
    inside = sum(
        1 for s in g.streets if (q := g.quartier_at(s.lon, s.lat)) is not None and q.name == s.quartier
    )
    assert inside / len(g.streets) > 0.99  # the simplified polygons keep the streets' quartiers


def test_streets_near_a_point() -> None:
    g = marseille()
    julien = next(s for s in g.streets if s.name == "Cours Julien")
    names = {s.name for s, d in g.streets_near(julien.lon, julien.lat, 150)}
    assert "Cours Julien" in names and len(names) >= 3
    assert all(d <= 150 for _, d in g.streets_near(julien.lon, julien.lat, 150))


def test_missing_gazetteer_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"streets\.json is missing"):
        load_gazetteer(tmp_path, "Nowhere")
