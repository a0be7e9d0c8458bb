"""The latest backtest kept in the data directory (its metrics as JSON, its hit-rate chart as PNG) for the
viewer: each `recoupe backtest` replaces both, atomically, and a reader never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LATEST_JSON, LATEST_PNG = "backtest-latest.json", "backtest-latest.png"


def reports_dir(home: Path) -> Path:
    """Where forecasting reports live: RECOUPE_HOME/forecasts."""
    return home / "forecasts"


def staging_chart(directory: Path) -> Path:
    """A fresh path in `directory` for the chart while the backtest draws it (then `save_latest` moves it)."""
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".backtest-", suffix=".png", dir=directory)
    os.close(handle)
    return Path(name)


def save_latest(directory: Path, results: dict[str, Any], chart: Path | None) -> Path:
    """Write `results` (with the time it was saved) as the latest report and move `chart` (a file in the same
    directory) to the latest chart; without one, an earlier chart goes. Returns the JSON's path."""
    directory.mkdir(parents=True, exist_ok=True)
    png = directory / LATEST_PNG
    if chart is not None:
        os.replace(chart, png)
    else:
        png.unlink(missing_ok=True)
    report = {**results, "saved_at": datetime.now(UTC).isoformat(timespec="seconds")}
    handle, name = tempfile.mkstemp(prefix=".backtest-", suffix=".json", dir=directory)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(report, out, ensure_ascii=False, indent=2)
    target = directory / LATEST_JSON
    os.replace(name, target)
    return target


def read_latest(directory: Path) -> dict[str, Any] | None:
    """The latest report, or None when no backtest has been saved (or its file is unreadable)."""
    try:
        report = json.loads((directory / LATEST_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and isinstance(report.get("models"), dict) else None


def latest_chart(directory: Path) -> Path | None:
    """The latest chart's path, when there is one."""
    png = directory / LATEST_PNG
    return png if png.is_file() else None
