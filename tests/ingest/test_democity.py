"""The demo city: exact spans, real places, and the statistical structure of real crime — each with a threshold.

The city is generated once for this module with a seed that is not the default one, so nothing here is tuned
to the default demo.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import json
import random
import re
import statistics
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from recoupe.ingest.democity.params import EMERGING, FADING, PERSISTENT
from recoupe.ingest.democity.writer import DemoSettings, DemoSummary, generate
from recoupe.nlp.gazetteer import marseille
from recoupe.nlp.gold import LABELS
from recoupe.ontology.geo import distance_m
from recoupe.ontology.loader import ontology

START = datetime.fromisoformat("2024-01-01T00:00:00+01:00")
DAYS = 730


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("city")
    summary = generate(DemoSettings(out=out, logs=12_000, days=DAYS, seed=2027))
    truth = [json.loads(line) for line in (out / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    return out, summary, truth


def _when(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["occurred_at"])


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return int(lat / 0.00225), int(lon / 0.0031)  # about 250 m × 250 m


# ------------------------------------------------------------------------------------------ files and truth


def test_files_and_counts(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    out, summary, truth = city
    with open(out / "logs.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "reported_at", "source", "text", "address", "lat", "lon"]
    assert len(rows) == len(truth) == summary.logs == 12_000
    assert len({r["id"] for r in rows}) == 12_000
    assert [r["id"] for r in rows] == [t["id"] for t in truth]
    located = sum(1 for r in rows if r["address"] or r["lat"])
    assert 0.03 * len(rows) < located < 0.4 * len(rows)  # a minority carry an address or coordinates
    assert "SYNTHETIC DATA" in (out / "README.txt").read_text(encoding="utf-8")
    assert len(json.loads((out / "quartiers.geojson").read_text(encoding="utf-8"))["features"]) == 111
    with open(out / "assets.csv", encoding="utf-8") as fh:
        types = {r["type"] for r in csv.DictReader(fh)}
    assert types == set(ontology().vocabulary("AssetType").notations)
    assert {t["category"] for t in truth} == set(ontology().vocabulary("IncidentCategory").notations)


def test_spans_match_the_text_exactly(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    roles = set(ontology().vocabulary("PersonRole").notations)
    seen: collections.Counter[str] = collections.Counter()
    for record in city[2]:
        text = record["text"]
        previous_end = 0
        for e in sorted(record["entities"], key=lambda e: e["start"]):
            surface = text[e["start"] : e["end"]]
            assert surface and surface == surface.strip(), (record["id"], e)
            assert e["start"] >= previous_end, f"overlapping spans in {record['id']}"
            previous_end = e["end"]
            assert e["label"] in LABELS
            seen[e["label"]] += 1
            if e["label"] == "PERSON":
                assert e["role"] in roles
                assert not re.match(r"(Mme|M\.|Mr|Monsieur|Madame)\b", surface), surface
            else:
                assert "role" not in e
            if e["label"] == "ADDRESS":
                assert not re.search(r"\b13\d{3}\b", surface), surface
    assert set(seen) == LABELS  # every label occurs


def test_time_intervals_hold_the_actual_time(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    with_interval = 0
    for record in city[2]:
        at, reported = _when(record), datetime.fromisoformat(record["reported_at"])
        assert reported >= at.replace(second=0)
        if record["occurred_from"] is not None:
            with_interval += 1
            assert (
                datetime.fromisoformat(record["occurred_from"])
                <= at
                <= datetime.fromisoformat(record["occurred_to"]) + timedelta(minutes=1)
            )
        else:
            assert not any(e["label"] == "DATETIME" for e in record["entities"])
    assert with_interval > 0.85 * len(city[2])


def test_every_place_is_a_real_street_or_landmark(
    city: tuple[Path, DemoSummary, list[dict[str, Any]]],
) -> None:
    g = marseille()
    streets = {s.name: s for s in g.streets}
    landmarks = {lm.name: lm for lm in g.landmarks}
    quartiers = {q.name for q in g.quartiers}
    for record in city[2]:
        place = record["place"]
        lat, lon = place["lat"], place["lon"]
        if place["precision"] == "quartier":
            assert place["name"] in quartiers
            continue
        if place["precision"] == "landmark":
            points = [landmarks[place["name"]]]
        elif place["name"].startswith("angle "):
            points = [streets[n] for n in place["name"][6:].split(" / ")]
        else:
            points = [streets[re.sub(r"^\d+ ", "", place["name"])]]
        assert min(distance_m(p.lon, p.lat, lon, lat) for p in points) < 650, record["id"]


# ------------------------------------------------------------------------------------------ dynamics


def test_hotspots_concentrate_incidents(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    cells = collections.Counter(_cell(r["place"]["lat"], r["place"]["lon"]) for r in city[2])
    counts = sorted(cells.values(), reverse=True)
    top = counts[: max(1, len(counts) // 100)]
    assert sum(top) / len(city[2]) >= 0.15  # the busiest 1 % of 250 m cells hold at least 15 % of incidents


def _near_pairs(
    points: list[tuple[datetime, float, float, str]], metres: float = 200, hours: float = 72
) -> int:
    grid: dict[tuple[int, int], list[int]] = collections.defaultdict(list)
    for i, (_, lat, lon, _) in enumerate(points):
        grid[_cell(lat, lon)].append(i)
    pairs = 0
    for i, (t, lat, lon, cat) in enumerate(points):
        cx, cy = _cell(lat, lon)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in grid.get((cx + dx, cy + dy), ()):
                    t2, lat2, lon2, cat2 = points[j]
                    if (
                        j > i
                        and cat2 == cat
                        and abs((t2 - t).total_seconds()) <= hours * 3600
                        and distance_m(lon, lat, lon2, lat2) <= metres
                    ):
                        pairs += 1
    return pairs


def test_near_repeats_exceed_a_shuffled_timeline(
    city: tuple[Path, DemoSummary, list[dict[str, Any]]],
) -> None:
    points = [(_when(r), r["place"]["lat"], r["place"]["lon"], r["category"]) for r in city[2]]
    observed = _near_pairs(points)
    rng = random.Random(5)
    shuffled = []
    for _ in range(3):
        times = [p[0] for p in points]
        rng.shuffle(times)
        shuffled.append(_near_pairs([(times[i], *points[i][1:]) for i in range(len(points))]))
    assert observed >= 1.3 * statistics.mean(shuffled), (observed, shuffled)
    assert sum(1 for r in city[2] if r["near_repeat_of"]) > 0.2 * len(city[2])


def _count_near(
    truth: list[dict[str, Any]], lon: float, lat: float, begin: datetime, days: int, metres: float = 300
) -> int:
    end = begin + timedelta(days=days)
    return sum(
        1
        for r in truth
        if begin <= _when(r) < end and distance_m(lon, lat, r["place"]["lon"], r["place"]["lat"]) <= metres
    )


def test_emerging_hotspots_rise_after_their_start(
    city: tuple[Path, DemoSummary, list[dict[str, Any]]],
) -> None:
    streets = {s.name: s for s in marseille().streets}
    for name, _radius, _mix, _strength, fraction in EMERGING:
        s, day = streets[name], START + timedelta(days=int(DAYS * fraction))
        before = _count_near(city[2], s.lon, s.lat, day - timedelta(days=90), 90)
        after = _count_near(city[2], s.lon, s.lat, day + timedelta(days=30), 90)
        assert after >= 20 and after >= 3 * before, (name, before, after)


def test_fading_hotspots_fade(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    streets = {s.name: s for s in marseille().streets}
    for name, _radius, _mix, _strength, fraction in FADING:
        s, day = streets[name], START + timedelta(days=int(DAYS * fraction))
        before = _count_near(city[2], s.lon, s.lat, day - timedelta(days=90), 90)
        later = _count_near(city[2], s.lon, s.lat, day + timedelta(days=270), 90)
        assert before >= 1.5 * later and before >= 10, (name, before, later)


def test_hour_profiles_differ_by_category(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    hours: dict[str, list[int]] = collections.defaultdict(lambda: [0] * 24)
    weekend: collections.Counter[str] = collections.Counter()
    for r in city[2]:
        at = _when(r)
        hours[r["category"]][at.hour] += 1
        weekend[r["category"]] += at.weekday() >= 5 or (at.weekday() == 4 and at.hour >= 18)

    def share(category: str, selected: list[int]) -> float:
        return sum(hours[category][h] for h in selected) / sum(hours[category])

    def profile(category: str) -> list[float]:
        return [v / sum(hours[category]) for v in hours[category]]

    assert share("noise", [20, 21, 22, 23, 0, 1, 2, 3]) >= 0.6
    assert share("theft", list(range(9, 20))) >= 0.6
    assert share("burglary", list(range(8, 19))) >= 0.6
    tvd = 0.5 * sum(abs(a - b) for a, b in zip(profile("noise"), profile("theft"), strict=True))
    assert tvd >= 0.4
    assert weekend["noise"] / sum(hours["noise"]) >= 0.4 > weekend["burglary"] / sum(hours["burglary"])


def test_cameras_cluster_near_hotspots_and_outages_matter(
    city: tuple[Path, DemoSummary, list[dict[str, Any]]],
) -> None:
    out, _, truth = city
    with open(out / "cameras.csv", encoding="utf-8") as fh:
        cameras = list(csv.DictReader(fh))
    with open(out / "camera_outages.csv", encoding="utf-8") as fh:
        outages = list(csv.DictReader(fh))
    streets = {s.name: s for s in marseille().streets}
    landmarks = {lm.name: lm for lm in marseille().landmarks}
    hot = [streets.get(n) or landmarks[n] for n, *_ in PERSISTENT]

    def nearest(lon: float, lat: float) -> float:
        return min(distance_m(h.lon, h.lat, lon, lat) for h in hot)

    camera_distance = statistics.median(nearest(float(c["lon"]), float(c["lat"])) for c in cameras)
    street_distance = statistics.median(nearest(s.lon, s.lat) for s in list(streets.values())[::5])
    assert camera_distance < 0.5 * street_distance

    end = START + timedelta(days=DAYS)
    out_days = sum(
        (
            min(datetime.fromisoformat(o["end"]), end) - max(datetime.fromisoformat(o["start"]), START)
        ).total_seconds()
        / 86400
        for o in outages
    )
    installed = {c["id"]: max(datetime.fromisoformat(c["installed_at"]), START) for c in cameras}
    working_days = sum((end - i).total_seconds() / 86400 for i in installed.values() if i < end) - out_days
    in_wedge_out = sum(len(r["cameras_out"]) for r in truth)
    in_wedge_working = sum(len(r["cameras_seeing"]) for r in truth)
    assert in_wedge_out / out_days >= 1.5 * in_wedge_working / working_days  # outages raise local incidents
    csu = [r for r in truth if r["source"] == "Centre de supervision urbain"]
    assert csu and all(r["cameras_seeing"] for r in csu)  # operators report only what a working camera saw


def test_assets_are_hit_repeatedly(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    hits = collections.Counter(r["asset_id"] for r in city[2] if r["asset_id"])
    counts = sorted(hits.values(), reverse=True)
    assert sum(counts[: max(1, len(counts) // 20)]) / sum(counts) >= 0.2
    asset_mentions = [e for r in city[2] for e in r["entities"] if e["label"] == "ASSET"]
    assert all(e["ref"] in hits for e in asset_mentions)


def test_people_and_vehicles_recur(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    plates: dict[str, set[str]] = collections.defaultdict(set)
    plate_logs: collections.Counter[str] = collections.Counter()
    people: collections.Counter[tuple[str, str]] = collections.Counter()
    for r in city[2]:
        for e in r["entities"]:
            if e["label"] == "PLATE":
                plates[e["ref"]].add(r["text"][e["start"] : e["end"]])
                plate_logs[e["ref"]] += 1
            if e["label"] == "PERSON":
                people[(e["ref"][0], e["ref"])] += 1
    assert any(
        n >= 3 and len(plates[ref]) >= 2 for ref, n in plate_logs.items()
    )  # one plate, several spellings
    assert max(n for (kind, _), n in people.items() if kind == "s") >= 5  # repeat suspects
    assert max(n for (kind, _), n in people.items() if kind == "c") >= 3  # a caller who calls often


def test_texts_are_varied(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    _, summary, truth = city
    assert summary.distinct_templates >= 40
    shapes = {
        re.sub(r"\d+", "9", r["text"][e["start"] : e["end"]].lower())
        for r in truth
        for e in r["entities"]
        if e["label"] == "DATETIME"
    }
    assert (
        len({re.sub(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)", "J", s) for s in shapes}) >= 25
    )
    sources = collections.Counter(r["source"] for r in truth)
    assert len(sources) == 7 and min(sources.values()) > 0.02 * len(truth)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    def digest(out: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}

    a, b, c = (
        generate(DemoSettings(out=tmp_path / n, logs=400, days=30, seed=s)).out
        for n, s in (("a", 1), ("b", 1), ("c", 2))
    )
    assert digest(a) == digest(b)
    assert digest(a)["logs.csv"] != digest(c)["logs.csv"]


def test_brackets_are_balanced(city: tuple[Path, DemoSummary, list[dict[str, Any]]]) -> None:
    unbalanced = [r["id"] for r in city[2] if r["text"].count("(") != r["text"].count(")")]
    assert unbalanced == []
