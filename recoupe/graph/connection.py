"""Connections to a Bolt graph server through the official neo4j driver, with its errors made Recoupe's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors

from recoupe.graph import store
from recoupe.graph.dialect import Dialect, dialect_for
from recoupe.ontology.errors import GraphAuthError, GraphQueryError, GraphUnavailable, InvalidInput

BOLT_SCHEMES = {f"{base}{tls}" for base in ("bolt", "neo4j") for tls in ("", "+s", "+ssc")}


@dataclass(frozen=True)
class Target:
    """Where the graph is and who Recoupe is there; `hint` says what to do when it cannot be reached."""

    url: str
    user: str
    password: str
    database: str | None
    hint: str

    def __repr__(self) -> str:  # never print a password by accident
        return f"Target(url={self.url!r}, user={self.user!r}, database={self.database!r})"


class Graph:
    """A driver bound to one database, with the server's dialect; close it, or use it as a context manager."""

    def __init__(
        self, driver: neo4j.Driver, target: Target, dialect: Dialect, protocol: tuple[int, ...] = (0, 0)
    ) -> None:
        self.driver = driver
        self.target = target
        self.dialect = dialect
        self.protocol = protocol  # the Bolt version the server speaks (values.packed reads it)

    @contextmanager
    def session(self, **config: Any) -> Iterator[neo4j.Session]:
        """A session on the target database; driver errors come out as Recoupe errors."""
        with (
            translated_errors(self.target),
            self.driver.session(database=self.target.database, **config) as s,
        ):
            yield s

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(target: Target, connection_timeout_s: float = 10.0) -> Graph:
    """Open a driver, check the server answers and accepts the credentials, and detect its dialect."""
    scheme = target.url.split("://", 1)[0] if "://" in target.url else ""
    if scheme not in BOLT_SCHEMES:
        raise InvalidInput(
            f"The graph URL {target.url!r} is not a Bolt URL",
            "use bolt://host:port or neo4j://host:port (+s or +ssc for TLS)",
            {"url": "expected a bolt:// or neo4j:// URL"},
        )
    try:
        driver = neo4j.GraphDatabase.driver(
            target.url,
            auth=(target.user, target.password),
            connection_timeout=connection_timeout_s,
            max_transaction_retry_time=connection_timeout_s,
            user_agent="recoupe",
        )
    except (ValueError, neo4j_errors.ConfigurationError) as exc:
        raise InvalidInput(
            f"The graph URL {target.url!r} is not a Bolt URL ({exc})",
            "use bolt://host:port or neo4j://host:port",
            {"url": str(exc)},
        ) from exc
    try:
        with translated_errors(target):
            info = driver.get_server_info()
            graph = Graph(driver, target, dialect_for(info.agent), tuple(info.protocol_version))
            with graph.session() as session:
                store.ping(session)  # also proves the database exists and may be read
    except BaseException:
        driver.close()
        raise
    return graph


@contextmanager
def translated_errors(target: Target) -> Iterator[None]:
    """Turn the driver's exceptions into RecoupeErrors that say what happened and what to do."""
    try:
        yield
    except neo4j_errors.AuthError as exc:
        raise GraphAuthError(
            f"The graph at {target.url} refused the credentials of user {target.user!r}",
            "check RECOUPE_GRAPH_USER and RECOUPE_GRAPH_PASSWORD"
            if "RECOUPE_GRAPH_URL" in target.hint
            else "the stored password no longer matches the server's: restore the data directory's secrets/",
        ) from exc
    except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
        raise GraphUnavailable(f"Cannot reach the graph at {target.url}", target.hint) from exc
    except neo4j_errors.Neo4jError as exc:
        code = exc.code or ""
        if "DatabaseNotFound" in code:
            raise GraphUnavailable(
                f"The graph at {target.url} has no database {target.database!r}",
                "set RECOUPE_GRAPH_DATABASE to an existing database",
            ) from exc
        raise GraphQueryError(_first_line(exc.message or code), _hint_for(code)) from exc
    except neo4j_errors.DriverError as exc:
        raise GraphUnavailable(f"The graph connection to {target.url} failed: {exc}", target.hint) from exc


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else "the graph server rejected the statement"


def _hint_for(code: str) -> str:
    if "Security" in code:
        return "this account may only read; use an account with write rights for changes"
    if "Timeout" in code or "TimedOut" in code:
        return "the statement ran past the server's time limit; narrow it"
    if "Constraint" in code:
        return "a node with the same key already exists"
    if "Syntax" in code:
        return "check the Cypher syntax"
    return "see the graph server's log"
