"""The demo city's fixed world: sites on real streets and landmarks, hotspots, cameras and their outages,
street assets, and the recurring people and vehicles that make entity links findable."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from recoupe.ingest.democity import phrases
from recoupe.ingest.democity.params import (
    ASSET_COUNTS,
    ASSET_SITE_KINDS,
    EMERGING,
    EXTENT_M,
    FADING,
    PERSISTENT,
)
from recoupe.ingest.democity.sampling import WeightedChoice, poisson
from recoupe.nlp.gazetteer import Gazetteer, Landmark, Street
from recoupe.ontology.geo import PointGrid, angle_between, bearing_deg, distance_m, offset, roughly_within

CENTRE = (5.3738, 43.2951)  # the Vieux-Port


@dataclass(frozen=True)
class Site:
    """Where an incident can be placed: a real street (its centroid) or a real landmark."""

    index: int
    name: str
    lon: float
    lat: float
    quartier: str
    extent_m: float
    street: Street | None = None
    landmark: Landmark | None = None


@dataclass(frozen=True)
class Hotspot:
    """A place of concentrated incidents: persistent, emerging (from `start_day`, ramping up) or fading."""

    name: str
    lon: float
    lat: float
    radius_m: float
    mix: Mapping[str, float]
    strength: float
    profile: str = "persistent"
    start_day: int = 0
    ramp_days: int = 60

    def intensity(self, day: int) -> float:
        if self.profile == "emerging":
            return (
                0.0
                if day < self.start_day
                else self.strength * min(1.0, (day - self.start_day + 1) / self.ramp_days)
            )
        if self.profile == "fading" and day > self.start_day:
            return self.strength * math.pow(0.5, (day - self.start_day) / self.ramp_days)
        return self.strength


@dataclass(frozen=True)
class Camera:
    id: str
    number: int
    lon: float
    lat: float
    bearing_deg: float
    fov_deg: float
    range_m: float
    installed_at: datetime
    label: str
    outages: tuple[tuple[datetime, datetime], ...] = ()

    def sees(self, lon: float, lat: float) -> bool:
        """Within range and inside the field-of-view wedge (whether working or not)."""
        if not roughly_within(self.lon, self.lat, lon, lat, self.range_m):
            return False
        d = distance_m(self.lon, self.lat, lon, lat)
        if d > self.range_m:
            return False
        return (
            d < 3.0
            or angle_between(bearing_deg(self.lon, self.lat, lon, lat), self.bearing_deg) <= self.fov_deg / 2
        )

    def working(self, at: datetime) -> bool:
        return at >= self.installed_at and not any(start <= at < end for start, end in self.outages)


@dataclass(frozen=True)
class Asset:
    id: str
    type: str
    lon: float
    lat: float
    installed_at: datetime


@dataclass(frozen=True)
class Person:
    ref: str
    first: str
    last: str
    female: bool
    home: Site | None = None


@dataclass(frozen=True)
class Vehicle:
    ref: str
    kind: str  # "VL", "scooter", "utilitaire"
    model: str
    colour: tuple[str, str]
    plate: str  # canonical: "AB-123-CD" or "1234 ABC 13"
    crew: tuple[Person, ...]


@dataclass
class World:
    start: datetime
    days: int
    sites: list[Site]
    site_grid: PointGrid
    centrality: WeightedChoice
    hotspots: list[Hotspot]
    cameras: list[Camera]
    camera_grid: PointGrid
    assets: list[Asset]
    asset_grid: PointGrid
    suspects: list[Person]
    suspect_weights: WeightedChoice
    callers: list[Person]
    officers: list[Person]
    vehicles: list[Vehicle]
    vehicle_weights: WeightedChoice
    caller_grid: PointGrid = field(default_factory=PointGrid)

    def __post_init__(self) -> None:
        for i, person in enumerate(self.callers):
            if person.home is not None:
                self.caller_grid.add(i, person.home.lon, person.home.lat)

    def callers_near(self, lon: float, lat: float, radius_m: float) -> list[Person]:
        near = (self.callers[i] for i in self.caller_grid.near(lon, lat, radius_m))
        return [p for p in near if p.home and distance_m(lon, lat, p.home.lon, p.home.lat) <= radius_m]

    def sites_near(self, lon: float, lat: float, radius_m: float) -> list[tuple[Site, float]]:
        found = []
        # equirectangular prefilter, inlined: this is the generator's hottest loop
        kx, ky, reach = 111_320.0 * math.cos(math.radians(lat)), 110_574.0, (radius_m * 1.01 + 1.0) ** 2
        for index in self.site_grid.near(lon, lat, radius_m):
            site = self.sites[index]
            dx, dy = (site.lon - lon) * kx, (site.lat - lat) * ky
            if dx * dx + dy * dy > reach:
                continue
            d = distance_m(lon, lat, site.lon, site.lat)
            if d <= radius_m:
                found.append((site, d))
        return found

    def cameras_seeing(self, lon: float, lat: float) -> list[Camera]:
        return [c for i in self.camera_grid.near(lon, lat, 150) if (c := self.cameras[i]).sees(lon, lat)]

    def assets_near(
        self, lon: float, lat: float, radius_m: float, kind: str | None = None
    ) -> list[tuple[Asset, float]]:
        found = []
        for index in self.asset_grid.near(lon, lat, radius_m):
            asset = self.assets[index]
            if (kind is None or asset.type == kind) and roughly_within(
                lon, lat, asset.lon, asset.lat, radius_m
            ):
                d = distance_m(lon, lat, asset.lon, asset.lat)
                if d <= radius_m:
                    found.append((asset, d))
        return found


def build_world(gazetteer: Gazetteer, rng: random.Random, start: datetime, days: int, n_logs: int) -> World:
    """Everything that does not change day to day, drawn once from the seed."""
    sites = _sites(gazetteer)
    grid = PointGrid()
    for site in sites:
        grid.add(site.index, site.lon, site.lat)
    centrality = WeightedChoice([0.12 + math.exp(-distance_m(*CENTRE, s.lon, s.lat) / 2500.0) for s in sites])
    by_name = {s.name: s for s in sites}
    hotspots = [
        Hotspot(n, by_name[n].lon, by_name[n].lat, r, m, s) for n, r, m, s in PERSISTENT if n in by_name
    ]
    hotspots += [
        Hotspot(n, by_name[n].lon, by_name[n].lat, r, m, s, "emerging", int(days * f))
        for n, r, m, s, f in EMERGING
        if n in by_name
    ]
    hotspots += [
        Hotspot(n, by_name[n].lon, by_name[n].lat, r, m, s, "fading", int(days * f), 90)
        for n, r, m, s, f in FADING
        if n in by_name
    ]
    cameras = _cameras(rng, sites, grid, hotspots, centrality, start, days)
    camera_grid = PointGrid()
    for i, cam in enumerate(cameras):
        camera_grid.add(i, cam.lon, cam.lat)
    assets = _assets(rng, sites, centrality, start, days)
    asset_grid = PointGrid()
    for i, asset in enumerate(assets):
        asset_grid.add(i, asset.lon, asset.lat)
    people = _People(rng)
    near_hotspots = [s for s in sites if any(distance_m(h.lon, h.lat, s.lon, s.lat) < 1500 for h in hotspots)]
    suspects = [people.new("s", rng.choice(near_hotspots)) for _ in range(max(40, n_logs // 80))]
    callers = [people.new("c", sites[centrality.draw(rng)]) for _ in range(max(10, n_logs // 400))]
    officers = [people.new("o") for _ in range(60)]
    vehicles = _vehicles(rng, max(30, n_logs // 60), suspects)
    return World(
        start,
        days,
        sites,
        grid,
        centrality,
        hotspots,
        cameras,
        camera_grid,
        assets,
        asset_grid,
        suspects,
        WeightedChoice([1.0 / (i + 1) ** 0.8 for i in range(len(suspects))]),
        callers,
        officers,
        vehicles,
        WeightedChoice([1.0 / (i + 1) ** 0.7 for i in range(len(vehicles))]),
    )


def _sites(gazetteer: Gazetteer) -> list[Site]:
    sites = [
        Site(i, s.name, s.lon, s.lat, s.quartier, EXTENT_M.get(s.kind, 100), street=s)
        for i, s in enumerate(gazetteer.streets)
    ]
    for landmark in gazetteer.landmarks:
        quartier = gazetteer.quartier_at(landmark.lon, landmark.lat)
        sites.append(
            Site(
                len(sites),
                landmark.name,
                landmark.lon,
                landmark.lat,
                quartier.name if quartier else "",
                40.0,
                landmark=landmark,
            )
        )
    return sites


def _cameras(
    rng: random.Random,
    sites: list[Site],
    grid: PointGrid,
    hotspots: list[Hotspot],
    centrality: WeightedChoice,
    start: datetime,
    days: int,
) -> list[Camera]:
    """Most cameras near hotspots, facing them; the rest on central streets, facing a nearby street."""
    numbers = rng.sample(range(1000, 9999), 300)
    persistent = [h for h in hotspots if h.profile != "emerging"]
    hotspot_pick = WeightedChoice([h.strength for h in persistent])
    cameras = []
    for number in numbers:
        if rng.random() < 0.6:
            hotspot = persistent[hotspot_pick.draw(rng)]
            lon, lat = offset(hotspot.lon, hotspot.lat, rng.uniform(-180, 180), rng.uniform(-180, 180))
            target = (hotspot.lon, hotspot.lat)
            label = hotspot.name
        else:
            site = sites[centrality.draw(rng)]
            lon, lat = offset(site.lon, site.lat, rng.uniform(-30, 30), rng.uniform(-30, 30))
            neighbours = [sites[i] for i in grid.near(lon, lat, 150) if sites[i].index != site.index]
            other = rng.choice(neighbours) if neighbours else site
            target = (other.lon, other.lat)
            label = site.name
        bearing = bearing_deg(lon, lat, *target) if distance_m(lon, lat, *target) > 5 else rng.uniform(0, 360)
        bearing = (bearing + rng.gauss(0, 12)) % 360
        installed = (
            start - timedelta(days=rng.randint(30, 3000))
            if rng.random() < 0.85
            else (start + timedelta(days=rng.randint(0, days - 1)))
        )
        outages = []
        for _ in range(poisson(rng, 1.5 * days / 365)):
            begin = start + timedelta(days=rng.uniform(0, days), hours=rng.uniform(0, 24))
            length = timedelta(days=rng.uniform(0.5, 3) if rng.random() < 0.7 else rng.uniform(7, 45))
            outages.append((begin, begin + length))
        cameras.append(
            Camera(
                f"CAM-{number}",
                number,
                round(lon, 6),
                round(lat, 6),
                round(bearing, 1),
                float(rng.choice([60, 70, 80, 90, 100])),
                float(rng.choice([50, 60, 70, 80, 100, 110])),
                installed.replace(second=0, microsecond=0),
                label,
                tuple(
                    sorted(
                        (a.replace(second=0, microsecond=0), b.replace(second=0, microsecond=0))
                        for a, b in outages
                    )
                ),
            )
        )
    return cameras


def _assets(
    rng: random.Random, sites: list[Site], centrality: WeightedChoice, start: datetime, days: int
) -> list[Asset]:
    assets: list[Asset] = []
    streets = [s for s in sites if s.street is not None]
    for kind, count in ASSET_COUNTS.items():
        allowed = ASSET_SITE_KINDS.get(kind)
        pool = [s for s in streets if s.street and s.street.kind in allowed] if allowed else None
        for _ in range(count):
            site = rng.choice(pool) if pool else sites[centrality.draw(rng)]
            lon, lat = offset(site.lon, site.lat, rng.uniform(-60, 60), rng.uniform(-60, 60))
            installed = (
                start - timedelta(days=rng.randint(100, 5000))
                if rng.random() < 0.95
                else (start + timedelta(days=rng.randint(0, days - 1)))
            )
            assets.append(
                Asset(
                    f"{kind.upper()}-{len(assets) + 1:05d}",
                    kind,
                    round(lon, 6),
                    round(lat, 6),
                    installed.replace(microsecond=0),
                )
            )
    return assets


class _People:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def new(self, prefix: str, home: Site | None = None) -> Person:
        self.count += 1
        female = self.rng.random() < (0.5 if prefix != "s" else 0.15)
        first = self.rng.choice(phrases.FIRST_NAMES_F if female else phrases.FIRST_NAMES_M)
        return Person(f"{prefix}{self.count}", first, self.rng.choice(phrases.SURNAMES), female, home)


def random_plate(rng: random.Random, old: bool = False) -> str:
    letters = "ABCDEFGHJKLMNPQRSTVWXYZ"
    if old:
        return f"{rng.randint(1, 9999)} {''.join(rng.choice(letters) for _ in range(rng.choice((2, 3))))} 13"
    left, right = ("".join(rng.choice(letters) for _ in range(2)) for _ in range(2))
    return f"{left}-{rng.randint(1, 999):03d}-{right}"


def _vehicles(rng: random.Random, count: int, suspects: list[Person]) -> list[Vehicle]:
    vehicles = []
    for i in range(count):
        kind = rng.choices(("scooter", "VL", "utilitaire"), (0.4, 0.5, 0.1))[0]
        model = rng.choice(phrases.SCOOTER_MODELS if kind == "scooter" else phrases.VEHICLE_MODELS)
        crew = tuple(rng.sample(suspects[: max(5, len(suspects) // 3)], rng.choice((1, 1, 2))))
        plate = random_plate(rng, old=kind != "scooter" and rng.random() < 0.1)
        vehicles.append(Vehicle(f"v{i + 1}", kind, model, rng.choice(phrases.COLOURS), plate, crew))
    return vehicles
