"""Check a gold file against tests/fixtures/GOLD_GUIDELINES.md; prints one line per problem, exit 1 if any.

Run: .venv/bin/python tools/check_gold.py FILE.jsonl
"""

from __future__ import annotations

import sys
from pathlib import Path

from recoupe.nlp.gazetteer import marseille
from recoupe.nlp.gold import known_places, problems, read_gold


def main(path: Path) -> int:
    known = known_places(marseille())
    bad, ids = 0, set()
    for n, record in enumerate(read_gold(path), 1):
        if record.get("id") in ids:
            print(f"{path}:{n}: duplicate id {record.get('id')}")
            bad += 1
        ids.add(record.get("id"))
        for problem in problems(record, known):
            print(f"{path}:{n} ({record.get('id')}): {problem}")
            bad += 1
    print(f"{len(ids)} records, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
