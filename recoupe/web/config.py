"""Every setting, declared once with its default and one line of help; read at the composition root only.

Order: defaults, then the instance file (TOML, `RECOUPE_CONFIG`), then `RECOUPE_*` environment variables, then
the test configuration given to `create_app`. The README's table is `recoupe settings --markdown`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recoupe.ontology.errors import InvalidInput


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, default, type and help."""

    name: str
    default: str | int | float
    help: str
    secret: bool = False

    @property
    def file_key(self) -> str:
        """The key in the TOML instance file: the name without RECOUPE_, lower case."""
        return self.name.removeprefix("RECOUPE_").lower()

    def parse(self, raw: Any, origin: str) -> str | int | float:
        kind = type(self.default)
        try:
            if kind is int and not isinstance(raw, bool):
                return int(raw)
            if kind is float and not isinstance(raw, bool):
                return float(raw)
            if kind is str and isinstance(raw, str | int | float) and not isinstance(raw, bool):
                return str(raw)
        except ValueError:
            pass
        expected = {int: "an integer", float: "a number"}.get(kind, "text")
        raise InvalidInput(
            f"{self.name} = {raw!r} (from {origin}) is not {expected}",
            f"fix {self.name} in {origin}",
            {self.name: f"expected {kind.__name__}"},
        )


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "RECOUPE_HOME", ".recoupe", "Data directory: embedded graph, secrets (mode 0600), logs, pid file."
    ),
    Setting(
        "RECOUPE_CONFIG", "recoupe.toml", "Instance file (TOML, keys like `graph_heap`); read when it exists."
    ),
    Setting(
        "RECOUPE_GRAPH_URL", "", "Bolt URL of an external graph (Neo4j 5, …); empty: the embedded server."
    ),
    Setting("RECOUPE_GRAPH_USER", "neo4j", "User for RECOUPE_GRAPH_URL."),
    Setting("RECOUPE_GRAPH_PASSWORD", "", "Password for RECOUPE_GRAPH_URL.", secret=True),
    Setting(
        "RECOUPE_GRAPH_DATABASE", "", "Database; empty: `recoupe` embedded, the server's default elsewhere."
    ),
    Setting("RECOUPE_GRAPH_HOST", "127.0.0.1", "Address the embedded server listens on (keep loopback)."),
    Setting("RECOUPE_GRAPH_BOLT_PORT", 7687, "Bolt port of the embedded server (0: any free port)."),
    Setting("RECOUPE_GRAPH_HTTP_PORT", 2480, "HTTP port of the embedded server (0: any free port)."),
    Setting("RECOUPE_GRAPH_HEAP", "1g", "Java heap of the embedded server (`512m`, `2g`, …)."),
    Setting("RECOUPE_GRAPH_START_TIMEOUT", 90.0, "Seconds to wait for the embedded server to answer."),
    Setting(
        "RECOUPE_GRAPH_COMMAND_TIMEOUT", 300.0, "Longest a statement may run on the embedded server, seconds."
    ),
    Setting(
        "RECOUPE_CITY_BOUNDS",
        "",
        "`south,west,north,east`: inventory points outside are rejected; empty: no bounds (any city loads).",
    ),
    Setting(
        "RECOUPE_RDF_BASE",
        "https://w3id.org/recoupe/data/",
        "Base of the IRIs of exported nodes (`recoupe export rdf`); ends with / or #.",
    ),
    Setting(
        "RECOUPE_SESSION_IDLE_MINUTES",
        30,
        "A web session ends after this many minutes without a request (its activity is recorded once a "
        "minute, so it may end up to a minute sooner).",
    ),
    Setting(
        "RECOUPE_SESSION_MAX_HOURS", 12, "A web session ends this many hours after login, however active."
    ),
    Setting(
        "RECOUPE_COOKIE_SECURE",
        1,
        "1: session cookies are `Secure` (sent over HTTPS only); 0 only for plain-HTTP development.",
    ),
    Setting(
        "RECOUPE_CACHE_SECONDS",
        10.0,
        "Longest the viewer serves a read of the graph from memory (fleet, lists, pages' data; finished "
        "answers shared by the server's workers in `run/viewer-cache.sqlite`); 0: never.",
    ),
    Setting(
        "RECOUPE_RETENTION",
        "3y",
        "How long incidents are kept (`90d`, `18m`, `3y`): `recoupe retention purge` erases older ones.",
    ),
    Setting(
        "RECOUPE_TILE_URL",
        "",
        "Map tiles URL (`https://tiles.example.org/{z}/{x}/{y}.png`); empty: no tiles, no tile request.",
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}
BY_FILE_KEY = {s.file_key: s for s in SETTINGS}


def load_config(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The effective settings, with `_origin` telling where each value came from."""
    config: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    origin = {s.name: "default" for s in SETTINGS}
    instance = Path(environ.get("RECOUPE_CONFIG", str(BY_NAME["RECOUPE_CONFIG"].default)))
    if instance.is_file():
        for key, raw in _read_toml(instance).items():
            setting = BY_FILE_KEY.get(key)
            if setting is None or setting.name == "RECOUPE_CONFIG":
                raise InvalidInput(
                    f"{instance}: unknown setting {key!r}",
                    f"use one of: {', '.join(k for k in BY_FILE_KEY if k != 'config')}",
                    {key: "unknown setting"},
                )
            config[setting.name], origin[setting.name] = setting.parse(raw, str(instance)), str(instance)
    elif "RECOUPE_CONFIG" in environ:
        raise InvalidInput(
            f"RECOUPE_CONFIG names {instance}, which does not exist", "create it or unset RECOUPE_CONFIG"
        )
    config["RECOUPE_CONFIG"] = str(instance)
    for name, raw in environ.items():
        if name in BY_NAME and name != "RECOUPE_CONFIG":
            config[name], origin[name] = BY_NAME[name].parse(raw, "the environment"), "environment"
    for name, value in (overrides or {}).items():
        config[name], origin[name] = value, "test configuration"
    config["_origin"] = origin
    return config


def describe(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Effective settings for display, secrets masked."""
    return [
        {
            "name": s.name,
            "value": ("***" if config[s.name] else "") if s.secret else config[s.name],
            "origin": config["_origin"][s.name],
            "help": s.help,
        }
        for s in SETTINGS
    ]


def markdown_table() -> str:
    """The README's configuration table, generated from the declarations."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    rows += [
        f"| `{s.name}` | `{s.default}` | {s.help} |"
        if s.default != ""
        else f"| `{s.name}` | (empty) | {s.help} |"
        for s in SETTINGS
    ]
    return "\n".join(rows) + "\n"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(
            f"{path}: cannot be read as TOML ({exc})", f"fix {path} or unset RECOUPE_CONFIG"
        ) from exc
