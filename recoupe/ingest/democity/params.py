"""The demo city's parameters in one place: hotspots, category mixes and cycles, sources, delays, odds."""

from __future__ import annotations

import math

# ------------------------------------------------------------------ the world

# How far from a street's single point an incident may lie, by street type (metres).
EXTENT_M = {
    "Boulevard": 300, "Avenue": 300, "Cours": 250, "Corniche": 400, "Route": 350, "Chemin": 300,
    "Quai": 150, "Rue": 120, "Allée": 80, "Allées": 120, "Impasse": 40, "Traverse": 60, "Passage": 30,
    "Escalier": 20, "Place": 30, "Square": 30, "Rond-Point": 25, "Esplanade": 50, "Montée": 80,
}  # fmt: skip

# Hotspots named after real places (a name absent from the gazetteer is skipped):
# (name, radius in metres, category mix, strength[, fraction of the period when it starts to rise or fade])
PERSISTENT = (
    (
        "Gare Saint-Charles",
        250,
        {"theft": 3, "robbery": 2, "public_disorder": 2, "drugs": 1, "suspicious_activity": 1},
        1.6,
    ),
    ("La Canebière", 300, {"theft": 2, "robbery": 2, "public_disorder": 2, "assault": 1, "drugs": 1}, 1.5),
    ("Cours Belsunce", 200, {"drugs": 3, "theft": 1, "public_disorder": 1, "assault": 1}, 1.0),
    ("Rue Longue des Capucins", 150, {"theft": 3, "illegal_dumping": 2, "robbery": 1}, 1.0),
    (
        "Cours Julien",
        200,
        {"noise": 3, "brawl": 2, "graffiti": 2, "drugs": 1, "assault": 1, "vandalism": 1},
        1.2,
    ),
    ("Place Jean Jaurès", 200, {"noise": 2, "brawl": 1, "illegal_dumping": 2, "vandalism": 1}, 0.9),
    ("Quai du Port", 250, {"theft": 2, "brawl": 1, "public_disorder": 1, "noise": 1}, 1.0),
    ("Place Castellane", 200, {"traffic_accident": 2, "theft": 1, "robbery": 1}, 0.7),
)
EMERGING = (
    ("Rue Félix Pyat", 250, {"drugs": 3, "assault": 1, "public_disorder": 1}, 1.3, 0.45),
    ("Avenue de la Capelette", 300, {"robbery": 2, "theft": 1, "vandalism": 1}, 1.0, 0.62),
)
FADING = (
    ("Place Sébastopol", 200, {"vandalism": 2, "illegal_dumping": 1, "drugs": 2}, 0.9, 0.30),
    ("Place de la Joliette", 200, {"vandalism": 2, "graffiti": 2, "theft": 1}, 0.8, 0.35),
)

ASSET_COUNTS = {
    "bus_shelter": 400, "street_light": 700, "bench": 300, "bin": 400, "parking_meter": 250,
    "traffic_light": 150, "road_sign": 200, "bollard": 150, "fountain": 40, "public_toilet": 25,
    "bike_station": 60, "playground": 60,
}  # fmt: skip
# Street types an asset type stands on (absent: any street, weighted towards the centre).
ASSET_SITE_KINDS = {
    "bus_shelter": {"Boulevard", "Avenue", "Cours", "Route"},
    "traffic_light": {"Boulevard", "Avenue", "Rond-Point"},
    "bench": {"Place", "Square", "Cours", "Esplanade", "Allée", "Allées"},
    "fountain": {"Place", "Square", "Cours"},
    "public_toilet": {"Place", "Square", "Esplanade", "Quai"},
    "playground": {"Square", "Place", "Allée"},
}

# ------------------------------------------------------------------ the incident process

P_REPEAT = 0.3  # share of incidents that are near-repeats of a recent one
REPEAT_WINDOW_DAYS = 7
CITY_WEIGHT = 16.0  # background weight of the whole city against the hotspots' strengths
OUTAGE_WEIGHT = 0.08  # extra weight of the wedge of each camera that is out

# City-wide mix of categories (relative frequencies).
MIX = {
    "theft": 14, "burglary": 9, "robbery": 5, "assault": 6, "brawl": 4, "vandalism": 10, "graffiti": 6,
    "arson": 3, "noise": 12, "drugs": 5, "illegal_dumping": 9, "road_hazard": 6, "traffic_accident": 5,
    "public_disorder": 6, "suspicious_activity": 6, "other": 4,
}  # fmt: skip
# What happens in front of a camera while it is out.
VISIBLE = {
    "vandalism": 3,
    "graffiti": 2,
    "theft": 2,
    "robbery": 1,
    "drugs": 2,
    "brawl": 1,
    "public_disorder": 1,
}
# Near-repeats keep their parent's category, or switch to a related one.
RELATED = {
    "theft": ("robbery", "burglary"), "burglary": ("theft",), "robbery": ("theft", "assault"),
    "assault": ("brawl", "robbery"), "brawl": ("assault", "public_disorder"),
    "vandalism": ("graffiti", "arson"), "graffiti": ("vandalism",), "arson": ("vandalism",),
    "noise": ("public_disorder",), "drugs": ("public_disorder",),
    "public_disorder": ("brawl", "noise", "drugs"), "road_hazard": ("traffic_accident",),
    "traffic_accident": ("road_hazard",),
}  # fmt: skip


def hourly(peaks: dict[int, float], floor: float = 0.15) -> tuple[float, ...]:
    """24 hourly weights: a floor plus Gaussian bumps (hour → height), wrapping around midnight."""
    return tuple(
        floor
        + sum(h * math.exp(-(min(abs(hour - p), 24 - abs(hour - p)) ** 2) / 4.5) for p, h in peaks.items())
        for hour in range(24)
    )


HOURS = {
    "theft": hourly({12: 1.0, 17: 1.2}, 0.05),
    "burglary": hourly({11: 1.0, 15: 1.0, 3: 0.3}, 0.1),
    "robbery": hourly({19: 1.0, 22: 0.8}),
    "assault": hourly({21: 1.0, 1: 0.8}),
    "brawl": hourly({1: 1.2, 23: 1.0}, 0.05),
    "vandalism": hourly({1: 1.0, 23: 0.8}),
    "graffiti": hourly({2: 1.0}),
    "arson": hourly({0: 1.0, 22: 0.6}),
    "noise": hourly({0: 1.4, 23: 1.0, 2: 0.8}, 0.03),
    "drugs": hourly({17: 1.0, 21: 1.0}),
    "illegal_dumping": hourly({8: 1.0, 14: 0.8}, 0.05),
    "road_hazard": hourly({9: 1.0, 15: 0.8}, 0.05),
    "traffic_accident": hourly({8: 1.0, 18: 1.2}, 0.1),
    "public_disorder": hourly({19: 1.0, 23: 1.0}),
    "suspicious_activity": hourly({3: 1.0, 15: 0.5}),
    "other": hourly({11: 1.0, 16: 0.8}, 0.1),
}
# Monday … Sunday (absent: flat).
WEEKDAY = {
    "noise": (0.7, 0.7, 0.8, 0.9, 1.3, 1.8, 1.5),
    "brawl": (0.7, 0.7, 0.8, 0.9, 1.3, 1.9, 1.4),
    "burglary": (1.1, 1.1, 1.1, 1.1, 1.1, 0.8, 0.7),
    "illegal_dumping": (1.2, 1.1, 1.0, 1.0, 1.0, 0.9, 0.8),
    "public_disorder": (0.8, 0.8, 0.9, 1.0, 1.2, 1.5, 1.2),
}
# Mild seasonality: relative rise at the height of summer (negative: a winter rise).
SUMMER = {
    "noise": 0.35,
    "arson": 0.5,
    "brawl": 0.3,
    "public_disorder": 0.2,
    "theft": 0.1,
    "road_hazard": -0.2,
}

# ------------------------------------------------------------------ how incidents are reported

SOURCES = {
    "theft": {"police_nationale": 45, "police_municipale": 35, "citoyen": 20},
    "burglary": {"police_nationale": 70, "citoyen": 20, "police_municipale": 10},
    "robbery": {"police_nationale": 60, "police_municipale": 40},
    "assault": {"police_nationale": 50, "police_municipale": 40, "mediation": 10},
    "brawl": {"police_municipale": 70, "mediation": 20, "citoyen": 10},
    "vandalism": {"police_municipale": 30, "voirie": 30, "citoyen": 20, "proprete": 10, "mediation": 10},
    "graffiti": {"proprete": 50, "citoyen": 30, "police_municipale": 20},
    "arson": {"police_municipale": 60, "citoyen": 20, "proprete": 20},
    "noise": {"citoyen": 50, "police_municipale": 40, "mediation": 10},
    "drugs": {"police_municipale": 40, "police_nationale": 30, "citoyen": 20, "mediation": 10},
    "illegal_dumping": {"proprete": 60, "citoyen": 40},
    "road_hazard": {"voirie": 60, "citoyen": 40},
    "traffic_accident": {"police_municipale": 60, "police_nationale": 30, "citoyen": 10},
    "public_disorder": {"police_municipale": 60, "mediation": 30, "citoyen": 10},
    "suspicious_activity": {"citoyen": 50, "police_municipale": 50},
    "other": {"police_municipale": 50, "citoyen": 30, "mediation": 20},
}
# Categories the CSU's operators report when a working camera sees them (55 % of such incidents).
SEEN_ON_CAMERA = {
    "theft", "robbery", "assault", "brawl", "vandalism", "graffiti", "arson", "drugs", "traffic_accident",
    "public_disorder", "suspicious_activity",
}  # fmt: skip
# Delay between the incident and its log, by source: (shortest, longest) in minutes, log-uniform.
DELAY_MINUTES = {
    "csu": (2, 25), "police_municipale": (5, 90), "mediation": (10, 180), "citoyen": (10, 1200),
    "proprete": (60, 1000), "voirie": (60, 1400), "police_nationale": (30, 5000),
}  # fmt: skip
ID_FORMATS = {
    "police_municipale": "PM-{year}-{n:06d}", "police_nationale": "MC{year}{n:07d}", "csu": "CSU-{n:07d}",
    "proprete": "PROP-{year}-{n:05d}", "citoyen": "APP-{n:08X}", "mediation": "MED-{year}-{n:05d}",
    "voirie": "VOI-{year}-{n:05d}",
}  # fmt: skip
# Asset types an incident of the category may damage (nearest first, repeat targets preferred).
ASSET_TYPES_FOR = {
    "vandalism": (
        "bus_shelter", "street_light", "bench", "bin", "parking_meter", "traffic_light", "road_sign",
        "bollard",
        "fountain", "public_toilet", "bike_station", "playground",
    ),
    "graffiti": ("bus_shelter", "bench", "public_toilet", "road_sign", "bin", "parking_meter"),
    "arson": ("bin",),
    "road_hazard": ("street_light", "traffic_light", "road_sign", "bollard"),
}  # fmt: skip
VEHICLE_ODDS = {
    "robbery": 0.5, "suspicious_activity": 0.4, "traffic_accident": 0.9, "theft": 0.15, "drugs": 0.2,
    "arson": 0.15, "burglary": 0.1,
}  # fmt: skip
SUSPECT_ODDS = {
    "robbery": 0.35, "assault": 0.4, "theft": 0.25, "drugs": 0.45, "vandalism": 0.15, "brawl": 0.2,
    "public_disorder": 0.2, "suspicious_activity": 0.2, "burglary": 0.1, "graffiti": 0.1,
}  # fmt: skip
# Categories after which "the author fled" may be written.
FLEEING = {"theft", "robbery", "assault", "burglary", "vandalism", "graffiti", "arson", "brawl"}
