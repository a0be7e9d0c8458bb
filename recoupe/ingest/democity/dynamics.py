"""When, where and what: a self-exciting incident process on the demo city, one day at a time (streamed).

Daily totals follow weekly and seasonal cycles and sum exactly to the requested number of logs. Each incident
is either a background one — at a hotspot (persistent, emerging or fading), inside the wedge of a camera that
is out, or anywhere in the city, weighted towards the centre — or a near-repeat of a recent incident (same or
related category, a few hundred metres away, within days): a self-exciting process, not independent draws.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from recoupe.ingest.democity.params import (
    CITY_WEIGHT,
    HOURS,
    MIX,
    OUTAGE_WEIGHT,
    P_REPEAT,
    RELATED,
    REPEAT_WINDOW_DAYS,
    SUMMER,
    VISIBLE,
    WEEKDAY,
)
from recoupe.ingest.democity.sampling import WeightedChoice
from recoupe.ingest.democity.world import Camera, Site, World
from recoupe.ontology.geo import distance_m, offset

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Event:
    """One incident as it really happened (the texts then say it in their own ways)."""

    number: int
    category: str
    at: datetime
    lon: float
    lat: float
    site: Site
    hotspot: str | None = None
    parent: int | None = None
    outage_camera: str | None = None


def category_weight(category: str, day: datetime) -> float:
    weekday = WEEKDAY.get(category, (1.0,) * 7)[day.weekday()]
    season = 1.0 + SUMMER.get(category, 0.0) * math.cos(
        2 * math.pi * (day.timetuple().tm_yday - 200) / 365.25
    )
    return weekday * season


def daily_totals(n_logs: int, start: datetime, days: int, rng: random.Random) -> list[int]:
    """Integer counts per day that sum to `n_logs`: weekly and seasonal cycles with day-to-day noise."""
    weights = []
    for d in range(days):
        day = start + timedelta(days=d)
        weekly = 1.15 if day.weekday() >= 4 else 1.0
        season = 1.0 + 0.1 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 200) / 365.25)
        weights.append(weekly * season * math.exp(rng.gauss(0, 0.15)))
    total = sum(weights)
    exact = [n_logs * w / total for w in weights]
    counts = [int(x) for x in exact]
    for d in sorted(range(days), key=lambda i: (exact[i] - counts[i], -i), reverse=True)[
        : n_logs - sum(counts)
    ]:
        counts[d] += 1
    return counts


class Process:
    """Generates the incidents of each day in turn, remembering recent ones for near-repeats.

    `world.start` is an aware datetime (midnight, Europe/Paris); every datetime here is aware.
    """

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.recent: deque[list[Event]] = deque()  # one list per day, newest last
        self.number = 0
        self.outages_by_day: dict[int, list[Camera]] = {}
        for cam in world.cameras:
            for begin, end in cam.outages:
                first = max(0, (begin - world.start).days)
                for d in range(first, min(world.days, (end - world.start).days + 1)):
                    self.outages_by_day.setdefault(d, []).append(cam)
        self.hotspot_sites = [
            [(s, d) for s, d in world.sites_near(h.lon, h.lat, h.radius_m)]
            or [(min(world.sites, key=lambda s: distance_m(h.lon, h.lat, s.lon, s.lat)), 0.0)]
            for h in world.hotspots
        ]

    def days(self, n_logs: int) -> Iterator[list[Event]]:
        totals = daily_totals(n_logs, self.world.start, self.world.days, self.rng)
        for d, count in enumerate(totals):
            self.recent.append([])
            if len(self.recent) > REPEAT_WINDOW_DAYS + 1:
                self.recent.popleft()
            yield [self._event(d) for _ in range(count)]

    def _event(self, d: int) -> Event:
        day = self.world.start + timedelta(days=d)
        self.number += 1
        if any(self.recent) and self.rng.random() < P_REPEAT:
            event = self._repeat(d, day)
        else:
            event = self._background(d, day)
        self.recent[-1].append(event)
        return event

    def _at(self, day: datetime, category: str) -> datetime:
        hour = self.rng.choices(range(24), HOURS[category])[0]
        local = datetime(day.year, day.month, day.day, hour, self.rng.randrange(60), tzinfo=PARIS)
        return local.astimezone(UTC).astimezone(PARIS)  # normalises the missing hour of the spring change

    def _jitter(self, site: Site) -> tuple[float, float]:
        r = site.extent_m * math.sqrt(self.rng.random()) * 0.7
        angle = self.rng.uniform(0, 2 * math.pi)
        lon, lat = offset(site.lon, site.lat, r * math.cos(angle), r * math.sin(angle))
        return round(lon, 6), round(lat, 6)

    def _pick(self, weights: Mapping[str, float], day: datetime) -> str:
        names = list(weights)
        return self.rng.choices(names, [weights[c] * category_weight(c, day) for c in names])[0]

    def _background(self, d: int, day: datetime) -> Event:
        hotspots = self.world.hotspots
        outages = [c for c in self.outages_by_day.get(d, []) if c.installed_at <= day]
        zone_weights = [h.intensity(d) for h in hotspots] + [OUTAGE_WEIGHT] * len(outages) + [CITY_WEIGHT]
        zone = WeightedChoice(zone_weights).draw(self.rng)
        if zone < len(hotspots):
            hotspot = hotspots[zone]
            candidates = self.hotspot_sites[zone]
            pick = WeightedChoice([math.exp(-dist / (hotspot.radius_m / 2)) for _, dist in candidates])
            site = candidates[pick.draw(self.rng)][0]
            category = self._pick(hotspot.mix, day)
            lon, lat = self._jitter(site)
            return Event(self.number, category, self._at(day, category), lon, lat, site, hotspot=hotspot.name)
        if zone < len(hotspots) + len(outages):
            cam = outages[zone - len(hotspots)]
            category = self._pick(VISIBLE, day)
            at = self._at(day, category)
            r = cam.range_m * math.sqrt(self.rng.uniform(0.05, 0.9))
            bearing = math.radians(cam.bearing_deg + self.rng.uniform(-0.45, 0.45) * cam.fov_deg)
            lon, lat = offset(cam.lon, cam.lat, r * math.sin(bearing), r * math.cos(bearing))
            near = self.world.sites_near(lon, lat, 300)
            site = (
                min(near, key=lambda x: x[1])[0]
                if near
                else self.world.sites[self.world.centrality.draw(self.rng)]
            )
            return Event(self.number, category, at, round(lon, 6), round(lat, 6), site, outage_camera=cam.id)
        site = self.world.sites[self.world.centrality.draw(self.rng)]
        category = self._pick({c: float(w) for c, w in MIX.items()}, day)
        lon, lat = self._jitter(site)
        return Event(self.number, category, self._at(day, category), lon, lat, site)

    def _repeat(self, d: int, day: datetime) -> Event:
        # the parent's day: recent days weigh more (e-folding 1.5 days), then any incident of that day
        days = [(age, events) for age, events in enumerate(reversed(self.recent)) if events]
        weights = [math.exp(-age / 1.5) * len(events) for age, events in days]
        parent = self.rng.choice(days[WeightedChoice(weights).draw(self.rng)][1])
        category = parent.category
        if category in RELATED and self.rng.random() < 0.3:
            category = self.rng.choice(RELATED[category])
        near = self.world.sites_near(parent.lon, parent.lat, 300) or [(parent.site, 0.0)]
        site = near[WeightedChoice([math.exp(-dist / 120) for _, dist in near]).draw(self.rng)][0]
        lon, lat = self._jitter(site)
        at = self._at(day, category)
        if at <= parent.at:  # a repeat follows its parent
            at = parent.at + timedelta(minutes=self.rng.randint(30, 720))
        return Event(self.number, category, at, lon, lat, site, parent.hotspot, parent.number)
