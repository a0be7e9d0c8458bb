"""Inventory readers: cameras, outages, assets, quartiers and structured events; bad rows rejected with a reason."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from recoupe.ingest.inventories import (
    AssetRow,
    CameraRow,
    EventRow,
    OutageRow,
    QuartierRow,
    read_assets,
    read_cameras,
    read_events,
    read_outages,
    read_quartiers,
)
from recoupe.ingest.readers import Rejected, write_rejects
from recoupe.ontology.errors import IngestError, InvalidInput

QUARTIERS = (
    Path(__file__).resolve().parents[2] / "recoupe" / "nlp" / "data" / "marseille" / "quartiers.geojson"
)
CHICAGO = ["occurred_at", "offense", "lat", "lon"]
CHICAGO_TIME = "%m/%d/%Y %I:%M:%S %p"
CHICAGO_MAP = {"THEFT": "theft", "BATTERY": "assault", "CRIMINAL DAMAGE": "vandalism"}


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _geojson(tmp_path: Path, name: str, features: Sequence[object]) -> Path:
    return _write(tmp_path, name, json.dumps({"type": "FeatureCollection", "features": features}))


def _point(lon: float, lat: float, **props: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def _reasons(rows: Sequence[object]) -> dict[str, str]:
    return {r.id: r.reason for r in rows if isinstance(r, Rejected)}


def test_camera_defaults_and_times(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cameras.csv",
        "id,lat,lon,bearing_deg,installed_at\nC1,43.2965,5.3698,45,2024-01-15 10:00\n",
    )
    (row,) = list(read_cameras(path))
    assert row == CameraRow(
        2,
        "C1",
        43.2965,
        5.3698,
        45.0,
        90.0,
        60.0,
        datetime.fromisoformat("2024-01-15T10:00:00+01:00"),
        None,
        None,
    )


def test_camera_bearings_ranges_and_dates(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cameras.csv",
        "id,lat,lon,bearing_deg,fov_deg,range_m,installed_at,removed_at\n"
        "N,43.3,5.4,360,,,,\n"
        "HIGH,43.3,5.4,361,,,,\n"
        "LOW,43.3,5.4,-5,,,,\n"
        "NAN,43.3,5.4,nord,,,,\n"
        "RANGE,43.3,5.4,10,,-20,,\n"
        "ZERO,43.3,5.4,10,,0,,\n"
        "FOV,43.3,5.4,10,0,,,\n"
        "DATES,43.3,5.4,10,,,2024-05-01T00:00:00+02:00,2024-04-01T00:00:00+02:00\n",
    )
    rows = list(read_cameras(path))
    assert isinstance(rows[0], CameraRow) and rows[0].bearing_deg == 0.0
    reasons = _reasons(rows)
    assert reasons["HIGH"].startswith("bearing_deg outside 0–360")
    assert reasons["LOW"].startswith("bearing_deg outside 0–360")
    assert reasons["NAN"] == "bearing_deg is not a number: 'nord'"
    assert reasons["RANGE"] == "range_m must be positive (-20)"
    assert reasons["ZERO"] == "range_m must be positive (0)"
    assert reasons["FOV"].startswith("fov_deg outside")
    assert reasons["DATES"] == "removed_at before installed_at"
    assert len(rows) == 8


def test_semicolon_cp1252_cameras(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cameras.csv",
        "id;lat;lon;bearing_deg;label\nC2;43,2965;5,3698;180;Caméra église\n",
        "cp1252",
    )
    (row,) = list(read_cameras(path))
    assert isinstance(row, CameraRow)
    assert (row.label, row.lat, row.lon, row.bearing_deg) == ("Caméra église", 43.2965, 5.3698, 180.0)


def test_geojson_cameras_and_bounds(tmp_path: Path) -> None:
    path = _geojson(
        tmp_path,
        "cameras.geojson",
        [
            _point(5.3698, 43.2965, id="G1", bearing_deg=90, range_m=80),
            _point(2.3522, 48.8566, id="PARIS", bearing_deg=90),
        ],
    )
    rows = list(read_cameras(path))
    assert [(r.id, r.lat, r.lon, r.range_m) for r in rows if isinstance(r, CameraRow)] == [
        ("G1", 43.2965, 5.3698, 80.0),
        ("PARIS", 48.8566, 2.3522, 60.0),
    ]
    bounded = list(read_cameras(path, bounds=(43.1, 5.2, 43.45, 5.6)))
    assert isinstance(bounded[0], CameraRow)
    assert _reasons(bounded)["PARIS"] == "outside the configured bounds (43.1, 5.2, 43.45, 5.6)"
    with pytest.raises(InvalidInput):
        read_cameras(path, bounds=(43.45, 5.2, 43.1, 5.6))


def test_duplicate_ids(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cameras.csv",
        "id,lat,lon,bearing_deg\nD,43.3,5.4,10\nD,43.3,5.4,10\nD,43.3,5.4,20\nE,0,0,10\n,43.3,5.4,10\n",
    )
    rows = list(read_cameras(path))
    assert [r.line for r in rows] == [2, 4, 5, 6]
    assert isinstance(rows[0], CameraRow)
    assert rows[1] == Rejected(4, "D", "duplicate id with different values in this file")
    assert rows[2].reason.startswith("absurd coordinates")  # type: ignore[union-attr]
    assert rows[3] == Rejected(6, "", "missing id")


def test_header_without_required_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "cameras.csv", "id,lat,lon\nC1,43.3,5.4\n")
    with pytest.raises(IngestError, match="bearing_deg"):
        list(read_cameras(path))
    with pytest.raises(IngestError, match="cannot be read"):
        list(read_cameras(tmp_path / "missing.csv"))


def test_outages(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "outages.csv",
        "camera_id,start,end\n"
        "C1,2024-03-01T10:00:00+01:00,\n"
        "C2,02/03/2024 10:00,01/03/2024 10:00\n"
        "C3,02/03/2024 10:00,02/03/2024 18:30\n",
    )
    rows = list(read_outages(path))
    assert rows[0] == OutageRow(2, "C1", datetime.fromisoformat("2024-03-01T10:00:00+01:00"), None)
    assert rows[1] == Rejected(3, "C2", "outage ends before it starts")
    assert isinstance(rows[2], OutageRow) and rows[2].end == datetime.fromisoformat(
        "2024-03-02T18:30:00+01:00"
    )


def test_assets_types_from_labels(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "assets.csv",
        "id,type,lat,lon,label\n"
        "A1,Abribus,43.3,5.4,Arrêt Canebière\n"
        "A2,BANC PUBLIC,43.3,5.4,\n"
        "A3,bus_shelter,43.3,5.4,\n"
        "A4,reverbere,43.3,5.4,\n"
        "A5,kiosque,43.3,5.4,\n"
        "A6,banc,48.85,2.35,\n",
    )
    rows = list(read_assets(path, bounds=(43.1, 5.2, 43.45, 5.6)))
    assets = {r.id: r for r in rows if isinstance(r, AssetRow)}
    assert {k: a.type for k, a in assets.items()} == {
        "A1": "bus_shelter",
        "A2": "bench",
        "A3": "bus_shelter",
        "A4": "street_light",
    }
    assert assets["A1"].label == "Arrêt Canebière" and assets["A2"].label is None
    reasons = _reasons(rows)
    assert reasons["A5"].startswith("unknown asset type 'kiosque' (known: bench,")
    assert reasons["A6"].startswith("outside the configured bounds")


def test_marseille_quartiers() -> None:
    rows = list(read_quartiers(QUARTIERS))
    assert len(rows) == 111 and all(isinstance(r, QuartierRow) for r in rows)
    (noailles,) = [r for r in rows if isinstance(r, QuartierRow) and r.name.lower() == "noailles"]
    assert noailles.postcode == "13001" and noailles.district == "Marseille 1er Arrondissemen"
    assert noailles.wkt.startswith(("POLYGON ((5.", "MULTIPOLYGON (((5."))
    assert (round(noailles.lat, 3), round(noailles.lon, 3)) == (43.295, 5.380)
    multi = [r for r in rows if isinstance(r, QuartierRow) and len(r.polygons) > 1]
    assert len(multi) == 14 and all(r.wkt.startswith("MULTIPOLYGON (((") for r in multi)


def test_quartiers_of_another_city(tmp_path: Path) -> None:
    square = [[-87.7, 41.8], [-87.6, 41.8], [-87.6, 41.9], [-87.7, 41.9]]  # not closed: closed by the reader
    polygon = {"type": "Polygon", "coordinates": [square]}
    features = [
        {"type": "Feature", "geometry": polygon, "properties": {"community": "Loop", "side": "Central"}},
        {"type": "Feature", "geometry": None, "properties": {"community": "Nowhere"}},
        {"type": "Feature", "geometry": polygon, "properties": {"community": ""}},
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [square[:2]]},
            "properties": {"community": "Thin"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[["a", 1]] * 4]},
            "properties": {"community": "Text"},
        },
    ]
    path = _geojson(tmp_path, "areas.geojson", features)
    rows = list(read_quartiers(path, name_property="community", district_property="side"))
    loop = rows[0]
    assert isinstance(loop, QuartierRow)
    assert (loop.name, loop.district, loop.postcode) == ("Loop", "Central", None)
    assert loop.wkt == "POLYGON ((-87.7 41.8, -87.6 41.8, -87.6 41.9, -87.7 41.9, -87.7 41.8))"
    assert (round(loop.lat, 6), round(loop.lon, 6)) == (41.85, -87.65)
    assert _reasons(rows[1:]) == {
        "Nowhere": "feature without geometry",
        "": "missing name (community)",
        "Thin": "a ring with fewer than 4 positions (2)",
        "Text": "a ring with a non-numeric position ['a', 1]",
    }
    with pytest.raises(IngestError, match="no feature has the property 'nom_qua'"):
        list(read_quartiers(path))
    with pytest.raises(IngestError, match="not a GeoJSON FeatureCollection"):
        list(read_quartiers(_write(tmp_path, "point.geojson", json.dumps(_point(5.4, 43.3)))))


def test_events_with_header(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "events.csv",
        "id,occurred_at,category,lat,lon,text\n"
        "E1,2024-07-14 23:30,theft,43.3,5.4,Vol à la tire\n"
        "E2,2024-07-14 23:45,pickpocketing,43.3,5.4,\n",
    )
    rows = list(read_events(path, default_source="PM"))
    assert rows[0] == EventRow(
        2,
        "E1",
        datetime.fromisoformat("2024-07-14T23:30:00+02:00"),
        "theft",
        "theft",
        43.3,
        5.4,
        "Vol à la tire",
        "PM",
    )
    assert rows[1] == Rejected(3, "E2", "unknown category 'pickpocketing' (add it to the category map)")


def test_chicago_style_events(tmp_path: Path) -> None:
    lines = [
        "01/15/2017 07:14:00 PM,CRIMINAL DAMAGE,41.918711651,-87.76551063",
        "07/04/2017 01:30:00 AM,THEFT,41.844510467,-87.705519454",
        "07/04/2017 01:30:00 AM,THEFT,41.844510467,-87.705519454",
        "11/23/2017 03:14:00 PM,ARSON,41.809342727,-87.619098999",
        "13/23/2017 03:14:00 PM,THEFT,41.809342727,-87.619098999",
    ]
    path = _write(tmp_path, "CHI_Crime.csv", "\n".join(lines) + "\n")
    rows = list(read_events(path, CHICAGO, CHICAGO_TIME, CHICAGO_MAP, tz="America/Chicago"))
    winter, summer, repeat = rows[:3]
    assert isinstance(winter, EventRow) and isinstance(summer, EventRow) and isinstance(repeat, EventRow)
    assert winter.line == 1 and winter.occurred_at.isoformat() == "2017-01-15T19:14:00-06:00"
    assert summer.occurred_at.utcoffset() == timedelta(hours=-5)
    assert (winter.category, winter.source_category) == ("vandalism", "CRIMINAL DAMAGE")
    assert len(winter.id) == 16 and repeat.id == summer.id + "-2"
    assert rows[3] == Rejected(4, rows[3].id, "unknown category 'ARSON' (add it to the category map)")
    assert isinstance(rows[4], Rejected) and rows[4].reason.startswith("unreadable occurred_at '13/23/2017")
    again = list(read_events(path, CHICAGO, CHICAGO_TIME, CHICAGO_MAP, tz="America/Chicago"))
    assert [r.id for r in again] == [r.id for r in rows]
    with pytest.raises(InvalidInput, match="homicide"):
        read_events(path, CHICAGO, CHICAGO_TIME, {"HOMICIDE": "homicide"})


def test_events_from_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "crimes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("CHI_Crime.csv", "05/04/2016 12:00:00 PM,THEFT,41.758461712,-87.612201241\n")
    (row,) = list(read_events(path, CHICAGO, CHICAGO_TIME, CHICAGO_MAP, tz="America/Chicago"))
    assert isinstance(row, EventRow)
    assert (row.category, row.lat, row.occurred_at.isoformat()) == (
        "theft",
        41.758461712,
        "2016-05-04T12:00:00-05:00",
    )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("other.csv", "x\n")
    with pytest.raises(IngestError, match="holds 2 CSV files"):
        list(read_events(path, CHICAGO, CHICAGO_TIME, CHICAGO_MAP))


def test_write_rejects(tmp_path: Path) -> None:
    source = tmp_path / "cameras.csv"
    written = write_rejects(source, [Rejected(3, "C2", "bearing_deg outside 0–360 (361)")])
    assert written == str(tmp_path / "cameras.csv.rejects.csv")
    assert (
        Path(written).read_text(encoding="utf-8") == "line,id,reason\n3,C2,bearing_deg outside 0–360 (361)\n"
    )
    assert write_rejects(source, []) is None
    assert not Path(written).exists()
