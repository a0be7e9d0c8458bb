"""Who and what a log involves: its source and delay, the asset damaged, suspects, vehicles, callers."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import datetime, timedelta

from recoupe.ingest.democity import phrases
from recoupe.ingest.democity.dynamics import Event
from recoupe.ingest.democity.params import (
    ASSET_TYPES_FOR,
    DELAY_MINUTES,
    SEEN_ON_CAMERA,
    SOURCES,
    SUSPECT_ODDS,
    VEHICLE_ODDS,
)
from recoupe.ingest.democity.sampling import WeightedChoice
from recoupe.ingest.democity.world import Asset, Person, Vehicle, World, random_plate
from recoupe.ontology.geo import distance_m


class Cast:
    """Draws each log's participants; `damage` counts the hits each asset took (repeat targets draw more)."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.damage: Counter[str] = Counter()

    def source(self, event: Event, seen: bool) -> str:
        if seen and event.category in SEEN_ON_CAMERA and self.rng.random() < 0.55:
            return "csu"
        table = SOURCES[event.category]
        return self.rng.choices(list(table), list(table.values()))[0]

    def reported(self, event: Event, source: str) -> datetime:
        lo, hi = DELAY_MINUTES[source]
        if event.category == "burglary":
            lo, hi = max(lo, 60), max(hi, 600)
        minutes = math.exp(self.rng.uniform(math.log(lo), math.log(hi)))
        return (event.at + timedelta(minutes=minutes)).replace(second=0, microsecond=0)

    def asset(self, event: Event) -> Asset | None:
        kinds = ASSET_TYPES_FOR.get(event.category)
        if not kinds:
            return None
        near = [
            (a, d)
            for a, d in self.world.assets_near(event.lon, event.lat, 150)
            if a.type in kinds and a.installed_at <= event.at
        ]
        if not near:
            return None
        # repeat offenders: an asset already damaged draws more damage
        pick = WeightedChoice([(1 + 3 * self.damage[a.id]) * math.exp(-d / 60) for a, d in near])
        return near[pick.draw(self.rng)][0]

    def suspect(self, event: Event, vehicle: Vehicle | None) -> Person | None:
        if self.rng.random() >= SUSPECT_ODDS.get(event.category, 0.0):
            return None
        if vehicle is not None and vehicle.crew and self.rng.random() < 0.6:
            return self.rng.choice(vehicle.crew)
        for _ in range(8):
            person = self.world.suspects[self.world.suspect_weights.draw(self.rng)]
            if person.home and distance_m(person.home.lon, person.home.lat, event.lon, event.lat) < 2000:
                return person
        return None

    def vehicle(self, event: Event) -> Vehicle | None:
        if self.rng.random() >= VEHICLE_ODDS.get(event.category, 0.0):
            return None
        recurring = 0.6 if event.category in ("robbery", "suspicious_activity", "drugs") else 0.2
        if self.rng.random() < recurring:
            return self.world.vehicles[self.world.vehicle_weights.draw(self.rng)]
        kind = "VL" if self.rng.random() < 0.8 else "scooter"
        model = self.rng.choice(phrases.VEHICLE_MODELS if kind == "VL" else phrases.SCOOTER_MODELS)
        return Vehicle(
            f"x{event.number}", kind, model, self.rng.choice(phrases.COLOURS), random_plate(self.rng), ()
        )

    def caller(self, event: Event) -> Person | None:
        near = self.world.callers_near(event.lon, event.lat, 500)
        return self.rng.choice(near) if near and self.rng.random() < 0.4 else None

    def new_person(self, event: Event, tag: str) -> Person:
        female = self.rng.random() < 0.5
        first = self.rng.choice(phrases.FIRST_NAMES_F if female else phrases.FIRST_NAMES_M)
        return Person(f"p{event.number}{tag}", first, self.rng.choice(phrases.SURNAMES), female)
