"""The graph rows of one log and its extraction: the incident's properties, its place, the entities it
involves with their roles and evidence spans, and the keys that make them one node each (persons under a keyed
hash of their name, plates normalised)."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from recoupe.graph.incidents import IncidentBatch
from recoupe.graph.links import LOCATED
from recoupe.ingest.readers import LogRow
from recoupe.nlp.extract import Extraction
from recoupe.nlp.folding import fold_chars
from recoupe.nlp.geocoder import Geocoder, Place
from recoupe.ontology.geo import geo_key
from recoupe.ontology.loader import ontology
from recoupe.ontology.plates import normalise_plate

ENTITY_LABELS = {
    "PERSON": "Person",
    "PLATE": "Plate",
    "VEHICLE": "Vehicle",
    "OBJECT": "Object",
    "ORG": "Organisation",
}


def person_key(name: str, key: bytes) -> str:
    """The same person however the name is written ('Nadia BENALI', 'BENALI Nadia'), never the name itself."""
    tokens = sorted(t for t in re.split(r"[^a-z0-9]+", fold_chars(name)) if t)
    return hmac.new(key, " ".join(tokens).encode(), hashlib.sha256).hexdigest()[:24]


def incident_id(row: LogRow) -> str:
    """Unique across sources: the source's name and the row's id within it."""
    return f"{row.source}:{row.id}"


def row_hash(row: LogRow, key: bytes) -> str:
    """What identifies a log's content: its text, time, and the input fields that change its facts; keyed
    (HMAC-SHA-256, the pseudonym key), so that a guessed text, names included, cannot be confirmed from it."""
    parts = [
        row.text,
        row.reported_at.isoformat(),
        row.extra.get("category", ""),
        row.extra.get("address", ""),
    ]
    if row.point is not None:  # appended only when given, so rows without one keep their earlier hash
        parts.append(f"{row.point[0]!r},{row.point[1]!r}")
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


class GraphRows:
    """Turns logs and their extractions into a batch's rows (one per log, any number of batches)."""

    def __init__(self, pseudonym_key: bytes, geocoder: Geocoder) -> None:
        self.key, self.geocoder = pseudonym_key, geocoder
        self.categories = set(ontology().vocabulary("IncidentCategory").notations)
        self.asset_labels: dict[str, str] = {}
        for concept in ontology().vocabulary("AssetType").concepts.values():
            for label in (concept.notation, concept.labels.fr, concept.labels.en, *concept.alt_labels_fr):
                self.asset_labels.setdefault(fold_chars(label).replace("_", " "), concept.notation)

    def add(self, batch: IncidentBatch, row: LogRow, extraction: Extraction) -> int:
        """One log's rows into the batch; returns how many entity mentions it added."""
        incident = extraction.id
        given = row.extra.get("category", "").strip()
        category = given if given in self.categories else extraction.category
        place, place_id, place_source = self._place(row, extraction)
        props: dict[str, Any] = {
            "source_id": row.id, "source": row.source, "text": row.text, "text_hash": row_hash(row, self.key),
            "reported_at": row.reported_at, "category": category,
            "category_source": "source" if given in self.categories else "classifier",
            "classifier_category": extraction.category, "category_confidence": extraction.category_confidence,
            "occurred_from": extraction.occurred_from or row.reported_at,
            "occurred_to": extraction.occurred_to or row.reported_at,
            "time_source": "text" if extraction.occurred_from else "reported",
            "lat": place.lat, "lon": place.lon, "precision": "address" if place.number else place.precision,
            "place_source": place_source,
        }  # fmt: skip
        if props["precision"] in LOCATED:  # a quartier's or the city's centroid locates nothing nearby
            props["geo_key"] = geo_key(place.lat, place.lon, props["occurred_from"].timestamp())
        assets = [
            (self._asset_type(row.text[m.start : m.end]), m)
            for m in extraction.mentions
            if m.label == "ASSET"
        ]
        props["asset_types"] = [t for t, _ in assets if t is not None]
        props["asset_spans"] = [f"{m.start}:{m.end}" for t, m in assets if t is not None]
        batch.incidents.append({"id": incident, "source": row.source, "props": props})
        name = _place_name(place)
        batch.places.append(
            {"id": place_id, "name": name, "precision": props["precision"],
             "lat": place.lat, "lon": place.lon, "postcode": place.postcode}
        )  # fmt: skip
        batch.place_links.append({"incident": incident, "id": place_id})
        for m in extraction.mentions:
            if place_source == "text" and m.place is not None and m.place.name == place.name:
                batch.place_evidence.append(
                    {"incident": incident, "id": place_id, "start": m.start, "end": m.end}
                )
        count = 0
        text = row.text
        plates = [
            (m, normalise_plate(text[m.start : m.end])) for m in extraction.mentions if m.label == "PLATE"
        ]
        for m in extraction.mentions:
            label = ENTITY_LABELS.get(m.label)
            if label is None:
                continue
            written = text[m.start : m.end]
            node: dict[str, Any]
            if label == "Person":
                node = {"id": person_key(written, self.key)}
                node["pseudonym"] = "P-" + node["id"][:8].upper()
            elif label == "Plate":
                node = {"id": normalise_plate(written)}
            elif label == "Vehicle":
                plate = next((p for pm, p in plates if 0 <= pm.start - m.end <= 30), None)
                node = {"id": f"plate:{plate}" if plate else f"{incident}@{m.start}", "description": written}
                if plate:
                    batch.vehicle_plates.append({"vehicle": node["id"], "plate": plate})
            elif label == "Object":
                node = {"id": f"{incident}@{m.start}", "name": fold_chars(written)}
            else:
                node = {"id": fold_chars(written), "name": written}
            batch.nodes.setdefault(label, []).append(node)
            batch.involved.setdefault(label, []).append(
                {"incident": incident, "id": node["id"], "role": m.role}
            )
            batch.evidence.setdefault(label, []).append(
                {"incident": incident, "id": node["id"], "start": m.start, "end": m.end}
            )
            count += 1
        return count

    def _asset_type(self, written: str) -> str | None:
        """'abribus', 'Bancs publics' → the asset type's notation (labels folded, a plural tolerated)."""
        key = fold_chars(written).strip()
        for candidate in (key, key.rstrip("sx"), " ".join(w.rstrip("sx") for w in key.split())):
            if candidate in self.asset_labels:
                return self.asset_labels[candidate]
        return next((n for label, n in self.asset_labels.items() if label in key), None)

    def _place(self, row: LogRow, extraction: Extraction) -> tuple[Place, str, str]:
        """The place of occurrence, its node id and where it came from: the source's own coordinates, else
        its address column when the gazetteer knows it, else the place read in the text."""
        geocoder = self.geocoder
        address = row.extra.get("address", "").strip()
        if row.point is not None:
            lat, lon = row.point
            quartier = geocoder.quartier_of(lat, lon)
            name = address or f"{lat:.6f}, {lon:.6f}"
            place = Place(
                name, "address", lat, lon,
                quartier.name if quartier else None, quartier.postcode if quartier else None,
            )  # fmt: skip
            return place, f"point:{lat:.6f},{lon:.6f}", "source"
        found = geocoder.address(address) if address else None
        if found is not None:
            place, origin = found, "source"
        else:
            place, origin = extraction.place, "text"
        precision = "address" if place.number else place.precision
        return place, f"{precision}:{_place_name(place)}", origin


def _place_name(place: Place) -> str:
    """'12 Boulevard National': the house number, when the text gave one, before the street."""
    return (f"{place.number} " if place.number else "") + place.name
