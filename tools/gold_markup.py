"""Write a gold file from marked-up logs, so a hand annotator never counts characters.

Input: one JSON object per line, as the gold format (GOLD_GUIDELINES.md) but with `marked` instead of `text`
and `entities`: each mention is written `[mention]{LABEL}`, a person `[mention]{PERSON:role}`. The place's
`lat` and `lon` may be left out: they are filled from the gazetteer's point of `place.name` (for a corner
"angle A / B", the midpoint of the two streets; for "Marseille", the city's point).

    {"id": "h-1", "marked": "[Hier soir]{DATETIME}, [Mme Nadia B.]{PERSON:victim} …", "reported_at": "…", …}

Run: .venv/bin/python tools/gold_markup.py MARKED.jsonl OUT.jsonl   (then tools/check_gold.py OUT.jsonl)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from recoupe.nlp.gazetteer import marseille
from recoupe.nlp.gold import known_places

MENTION = re.compile(r"\[([^\[\]]+)\]\{([A-Z]+)(?::([a-z]+))?\}")
CITY = (5.3698, 43.2965)


def unmark(marked: str) -> tuple[str, list[dict[str, Any]]]:
    """The plain text and its entities' character offsets."""
    text, entities, at = [], [], 0
    length = 0
    for match in MENTION.finditer(marked):
        before = marked[at : match.start()]
        text.append(before)
        length += len(before)
        mention, label, role = match.groups()
        entity: dict[str, Any] = {"start": length, "end": length + len(mention), "label": label}
        if role:
            entity["role"] = role
        entities.append(entity)
        text.append(mention)
        length += len(mention)
        at = match.end()
    text.append(marked[at:])
    plain = "".join(text)
    if "[" in plain and "]{" in plain:
        raise ValueError(f"unparsed markup left in {plain!r}")
    return plain, entities


def point(name: str, precision: str, known: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """(lon, lat) of a gold place name."""
    if precision == "city":
        return CITY
    if name.startswith("angle "):
        points = [known[part] for part in name[6:].split(" / ")]
        return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
    key = name.split(" ", 1)[1] if precision == "address" and name[:1].isdigit() else name
    return known[key]


def convert(record: dict[str, Any], known: dict[str, tuple[float, float]]) -> dict[str, Any]:
    text, entities = unmark(record.pop("marked"))
    place = record["place"]
    if "lat" not in place or "lon" not in place:
        lon, lat = point(place["name"], place["precision"], known)
        place["lat"], place["lon"] = round(lat, 5), round(lon, 5)
    out = {"id": record["id"], "text": text}
    out |= {k: v for k, v in record.items() if k not in ("id", "text")}
    out["entities"] = entities
    return out


def main(source: Path, target: Path) -> int:
    known = known_places(marseille())
    lines = []
    for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            lines.append(json.dumps(convert(json.loads(line), known), ensure_ascii=False))
        except (KeyError, ValueError) as exc:
            print(f"{source}:{n}: {type(exc).__name__}: {exc}")
            return 1
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} records written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
