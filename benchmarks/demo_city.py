"""Generation rate and peak memory of `recoupe demo-data` for several sizes (each size in its own process).

Run: .venv/bin/python benchmarks/demo_city.py [--logs 20000 1000000] [--keep DIR]
Prints a table and one JSON line; peak memory is the child's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys
from pathlib import Path
from recoupe.ingest.democity.writer import DemoSettings, generate
s = generate(DemoSettings(out=Path(sys.argv[1]), logs=int(sys.argv[2])))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": s.seconds, "logs": s.logs, "peak_mib": peak}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logs", type=int, nargs="+", default=[20_000, 1_000_000])
    parser.add_argument("--keep", type=Path, help="keep the generated files under this directory")
    args = parser.parse_args()
    rows = []
    for n in args.logs:
        out = (args.keep / f"city-{n}") if args.keep else Path(tempfile.mkdtemp(prefix="recoupe-city-"))
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(out), str(n)], capture_output=True, text=True, check=True
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        size = sum(p.stat().st_size for p in out.iterdir()) / 2**20
        rows.append(
            {
                "logs": n,
                "seconds": round(result["seconds"], 1),
                "logs_per_s": round(n / result["seconds"]),
                "peak_mib": round(result["peak_mib"]),
                "files_mib": round(size),
            }
        )
        if not args.keep:
            shutil.rmtree(out)
    print(f"{'logs':>10} {'seconds':>9} {'logs/s':>8} {'peak MiB':>9} {'files MiB':>10}")
    for r in rows:
        line = f"{r['logs']:>10,} {r['seconds']:>9} {r['logs_per_s']:>8,}"
        print(f"{line} {r['peak_mib']:>9} {r['files_mib']:>10}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
