"""One incident becomes one log: a source and its voice, a template, slots filled, extras, and the truth."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recoupe.ingest.democity import phrases
from recoupe.ingest.democity.cast import Cast
from recoupe.ingest.democity.dynamics import Event
from recoupe.ingest.democity.mentions import Renderer
from recoupe.ingest.democity.params import (
    FLEEING,
    ID_FORMATS,
)
from recoupe.ingest.democity.templates import Context, Template, lowered, parse
from recoupe.ingest.democity.text import Builder, Phrase, TimeExpression, time_expressions
from recoupe.ingest.democity.world import Camera, World


@dataclass
class LogRecord:
    reported_at: datetime
    row: dict[str, str]
    truth: dict[str, Any]


class Composer:
    def __init__(
        self,
        world: World,
        rng: random.Random,
        postcodes: dict[str, str],
        asset_labels: dict[str, tuple[str, ...]],
    ) -> None:
        self.world, self.rng = world, rng
        self.render = Renderer(rng, postcodes)
        self.postcodes = postcodes
        self.asset_labels = asset_labels
        self.core = {cat: [parse(t, v) for v, t in items] for cat, items in phrases.CORE.items()}
        self.openings = {src: [parse(t) for t in items] for src, items in phrases.OPENINGS.items()}
        self.extras = {key: [parse(t) for t in items] for key, items in phrases.EXTRAS.items()}
        self.cast = Cast(world, rng)
        self.log_ids: dict[int, str] = {}
        self.counters: Counter[str] = Counter()
        self.templates_used: Counter[str] = Counter()

    def _log_id(self, source: str, reported: datetime) -> str:
        self.counters[source] += 1
        return ID_FORMATS[source].format(year=reported.year, n=self.counters[source])

    # ------------------------------------------------------------------ compose

    def compose(self, event: Event) -> LogRecord:
        rng, world = self.rng, self.world
        cams = world.cameras_seeing(event.lon, event.lat)
        working = [c for c in cams if c.working(event.at)]
        out = [c for c in cams if c.installed_at <= event.at and not c.working(event.at)]
        source = self.cast.source(event, bool(working))
        reported = self.cast.reported(event, source)
        vehicle = self.cast.vehicle(event)
        context = Context(
            camera=rng.choice(working) if working else None,
            asset=self.cast.asset(event),
            vehicle=vehicle,
            suspect=self.cast.suspect(event, vehicle),
            complainant=self.cast.caller(event)
            if event.category in ("noise", "public_disorder", "drugs", "suspicious_activity")
            else None,
        )
        builder = Builder()
        time_expr = self._time(event, reported, source)
        template = self._template(event.category, source, context, time_expr is not None)
        self.templates_used[template.text] += 1
        place_phrase, place_name, precision = self._place(event, bare="place" not in template.slots)
        self._opening(builder, source, context, event)
        if source in ("police_municipale", "csu") and rng.random() < 0.3:
            builder.text(rng.choice(phrases.HEADLINES[event.category]) + rng.choice((" - ", " : ", ". ")))
            builder.sentence()
        time_expr_used = "time" not in template.slots and time_expr is not None and rng.random() < 0.5
        if time_expr_used and time_expr is not None:
            builder.phrase(Phrase().add(time_expr.text, "DATETIME"))
            builder.text(", ")
            template = lowered(template)  # "Vers 23h, tapage…", not "Vers 23h, Tapage…"
        self._fill(builder, template, context, event, time_expr, place_phrase)
        if "place" not in template.slots:
            builder.text(" ")
            builder.sentence()
            builder.text(rng.choice(("Lieu : ", "Adresse : ", "Localisation : ", "Secteur : ")))
            builder.phrase(place_phrase)
            builder.text(".")
        if "time" not in template.slots and time_expr is not None and not time_expr_used:
            builder.text(" ")
            builder.sentence()
            builder.text(rng.choice(("Faits survenus ", "Faits constatés ", "Les faits se sont produits ")))
            builder.phrase(Phrase().add(time_expr.text, "DATETIME"))
            builder.text(".")
        self._after(builder, template, context, event, source, cams, working, out)
        damaged = context.asset if context.asset_used else None  # truth names only an asset the text names
        if damaged is not None:
            self.cast.damage[damaged.id] += 1
        text, mentions = builder.build()
        if source == "police_municipale" and rng.random() < 0.08 and len(text.upper()) == len(text):
            text = text.upper()
        log_id = self._log_id(source, reported)
        self.log_ids[event.number] = log_id
        if len(self.log_ids) > 200_000:
            for number in sorted(self.log_ids)[:100_000]:
                del self.log_ids[number]
        truth = {
            "id": log_id,
            "text": text,
            "reported_at": reported.isoformat(),
            "source": phrases.SOURCES[source],
            "category": event.category,
            "occurred_from": time_expr.start.isoformat() if time_expr and time_expr.start else None,
            "occurred_to": time_expr.end.isoformat() if time_expr and time_expr.end else None,
            "occurred_at": event.at.isoformat(),
            "place": {
                "name": place_name,
                "precision": precision,
                "lat": event.lat,
                "lon": event.lon,
                "quartier": event.site.quartier,
            },
            "entities": [m.as_dict() for m in mentions],
            "cameras_seeing": sorted(c.id for c in working),
            "cameras_out": sorted(c.id for c in out),
            "asset_id": damaged.id if damaged else None,
            "near_repeat_of": self.log_ids.get(event.parent) if event.parent else None,
            "hotspot": event.hotspot,
        }
        return LogRecord(
            reported, self._row(log_id, source, reported, text, event, place_name, precision), truth
        )

    def _row(
        self,
        log_id: str,
        source: str,
        reported: datetime,
        text: str,
        event: Event,
        place: str,
        precision: str,
    ) -> dict[str, str]:
        when = reported.strftime("%d/%m/%Y %H:%M") if source == "police_municipale" else reported.isoformat()
        row = {
            "id": log_id,
            "reported_at": when,
            "source": phrases.SOURCES[source],
            "text": text,
            "address": "",
            "lat": "",
            "lon": "",
        }
        if source == "citoyen" and self.rng.random() < 0.6:  # the phone's position, a little off
            row["lat"] = f"{event.lat + self.rng.gauss(0, 0.00015):.5f}"
            row["lon"] = f"{event.lon + self.rng.gauss(0, 0.0002):.5f}"
        elif (
            source == "police_municipale" and precision in ("address", "street") and self.rng.random() < 0.25
        ):
            row["address"] = f"{place}, {self.postcodes.get(event.site.quartier, '13000')} Marseille"
        return row

    def _template(self, category: str, source: str, context: Context, has_time: bool) -> Template:
        available = context.available() - (set() if has_time else {"time"})
        pool = self.core[category]
        fits = [t for t in pool if t.slots <= available and (t.voices is None or source in t.voices)]
        fits = fits or [t for t in pool if t.slots <= available] or pool
        return self.rng.choice(fits)

    def _time(self, event: Event, reported: datetime, source: str) -> TimeExpression | None:
        if self.rng.random() < 0.06:
            return None
        options = time_expressions(self.rng, event.at, reported, event.category)
        if not options:
            return None
        if source in ("csu", "police_municipale", "mediation"):
            precise = [o for o in options if o.text.startswith(("à ", "vers ")) or o.text[:1].isdigit()]
            if precise and self.rng.random() < 0.7:
                return self.rng.choice(precise)
        return self.rng.choice(options)

    def _place(self, event: Event, bare: bool) -> tuple[Phrase, str, str]:
        rng, site = self.rng, event.site
        if rng.random() < 0.05:
            return self.render.quartier_only(site.quartier), site.quartier, "quartier"
        corner = None
        if site.street is not None and rng.random() < 0.1:
            others = [
                s
                for s, d in self.world.sites_near(site.lon, site.lat, 250)
                if s.street is not None and s.name != site.name
            ]
            corner = rng.choice(others) if others else None
        phrase, name, precision = self.render.place(site, corner, bare)
        if rng.random() < 0.25:
            phrase.extend(self.render.district(site.quartier))
        return phrase, name, precision

    def _opening(self, builder: Builder, source: str, context: Context, event: Event) -> None:
        options = [
            t
            for t in self.openings.get(source, [])
            if t.slots <= context.available() | {"officer", "complainant"}
        ]
        if options and self.rng.random() < 0.7:
            self._fill(builder, self.rng.choice(options), context, event, None, None)
        builder.sentence()

    def _fill(
        self,
        builder: Builder,
        template: Template,
        context: Context,
        event: Event,
        time_expr: TimeExpression | None,
        place: Phrase | None,
    ) -> None:
        for i, piece in enumerate(template.pieces):
            if i % 2 == 0:
                builder.text(piece)
                if re.search(r"[.!?:]\s*$", piece) and piece.strip()[-1:] != ":":
                    builder.sentence()
                continue
            builder.phrase(self._slot(piece, context, event, time_expr, place))

    def _slot(
        self,
        slot: str,
        context: Context,
        event: Event,
        time_expr: TimeExpression | None,
        place: Phrase | None,
    ) -> Phrase:
        rng, r = self.rng, self.render
        if slot == "time" and time_expr is not None:
            return Phrase().add(time_expr.text, "DATETIME")
        if slot == "place" and place is not None:  # a second {place} in one template refers back
            if context.place_used:
                return Phrase().add("sur place")
            context.place_used = True
            return place
        if slot in ("victim", "witness"):
            named = rng.random() < (0.75 if slot == "victim" else 0.8)
            return r.role(self.cast.new_person(event, slot[0]) if named else None, slot)
        if slot == "complainant":
            person = context.complainant or (self.cast.new_person(event, "c") if rng.random() < 0.8 else None)
            return r.role(person, "complainant")
        if slot == "suspect":
            context.suspect_used = True
            return r.role(
                context.suspect or (self.cast.new_person(event, "s") if rng.random() < 0.3 else None),
                "suspect",
            )
        if slot == "officer":
            return r.officer(rng.choice(self.world.officers))
        if slot == "suspects":
            return Phrase().add(
                rng.choice(
                    (
                        "deux individus",
                        "trois individus",
                        "un groupe de jeunes",
                        "plusieurs individus",
                        "deux jeunes",
                        "quatre individus cagoulés",
                        "des individus",
                    )
                )
            )
        if slot == "vehicle" and context.vehicle is not None:
            context.vehicle_used = True
            with_plate = not context.plate_used and rng.random() < 0.5
            context.plate_used |= with_plate
            return r.vehicle(context.vehicle, with_plate)[0]
        if slot == "plate" and context.vehicle is not None:
            context.plate_used = True
            return Phrase().add(r.plate(context.vehicle.plate), "PLATE", ref=context.vehicle.ref)
        if slot == "camera" and context.camera is not None:
            context.camera_used = True
            return r.camera(context.camera)
        if slot == "asset" and context.asset is not None:
            context.asset_used = True
            return r.asset(context.asset, self.asset_labels[context.asset.type])
        if slot == "object":
            return r.item(rng.choice(phrases.OBJECTS))
        if slot == "weapon":
            return r.item(rng.choice(phrases.WEAPONS))
        if slot == "drug":
            return r.item(rng.choice(phrases.DRUGS))
        if slot == "org":
            return r.organisation()
        if slot == "n":
            return Phrase().add(
                rng.choice(("deux", "trois", "quatre", "cinq", "2", "3", "4", "6", "plusieurs"))
            )
        raise KeyError(f"slot {slot!r} cannot be filled")

    def _after(
        self,
        builder: Builder,
        template: Template,
        context: Context,
        event: Event,
        source: str,
        cams: list[Camera],
        working: list[Camera],
        out: list[Camera],
    ) -> None:
        rng = self.rng
        extras: list[str] = []
        if (
            context.camera is not None
            and not context.camera_used
            and rng.random() < (0.8 if source == "csu" else 0.25)
        ):
            extras.append("camera")
        if context.vehicle is not None and not context.vehicle_used and rng.random() < 0.6:
            extras.append("vehicle")
        elif context.vehicle is not None and not context.plate_used and rng.random() < 0.3:
            extras.append("plate")
        if context.suspect is not None and not context.suspect_used and rng.random() < 0.5:
            extras.append("suspect")
        if rng.random() < 0.15 and "témoin" not in template.text.lower():
            extras.append("witness")
        if source in ("police_municipale", "police_nationale") and rng.random() < 0.15:
            extras.append("officer")
        for key in extras:
            builder.text(" ")
            builder.sentence()
            self._fill(builder, rng.choice(self.extras[key]), context, event, None, None)
        negations = []
        if out and not working and rng.random() < 0.4:
            negations.append("camera_out")
        elif not cams and not self.world.cameras_seeing(event.lon, event.lat) and rng.random() < 0.15:
            negations.append("no_camera")
        if "witness" not in extras and rng.random() < 0.1:
            negations.append("no_witness")
        if event.category in FLEEING and context.suspect is None and rng.random() < 0.15:
            negations.append("suspect_fled")
        for key in negations:
            builder.text(" ")
            builder.sentence()
            builder.text(rng.choice(phrases.NEGATIONS[key]))
        if rng.random() < 0.6:
            builder.text(" ")
            builder.sentence()
            builder.text(rng.choice(phrases.CLOSINGS[source]))
