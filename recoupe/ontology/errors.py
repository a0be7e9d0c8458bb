"""The RecoupeError family: library code raises these; the CLI and the web app turn them into one answer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


class RecoupeError(Exception):
    """Base of every error Recoupe raises on purpose; `hint` says what to do next."""

    code = "recoupe_error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and the hint, on one line, as the command line prints it."""
        return f"{self.message} — {self.hint}" if self.hint else self.message

    def as_dict(self) -> dict[str, object]:
        """The JSON error shape shared by the CLI (`--json`) and the API."""
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        return body


class InvalidInput(RecoupeError):
    """Input that cannot be used as given; `fields` maps each bad field to its problem."""

    code = "invalid_input"

    def __init__(self, message: str, hint: str = "", fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message, hint)
        self.fields = dict(fields or {})

    def as_dict(self) -> dict[str, object]:
        body = super().as_dict()
        if self.fields:
            body["fields"] = dict(self.fields)
        return body


class NotFound(RecoupeError):
    """A named object does not exist."""

    code = "not_found"


class OntologyError(RecoupeError):
    """The ontology files are inconsistent: names the file and the term."""

    code = "ontology_error"

    def __init__(self, file: Path | str, term: str, problem: str) -> None:
        super().__init__(
            f"{Path(file).name}: {term}: {problem}",
            "fix the ontology file; every term it uses must be declared with French and English labels",
        )
        self.file = str(file)
        self.term = term


class UnknownTerm(InvalidInput):
    """A label, relationship type or vocabulary term that the ontology does not define."""

    code = "unknown_term"


class GraphUnavailable(RecoupeError):
    """The graph server cannot be reached."""

    code = "graph_unavailable"


class GraphAuthError(GraphUnavailable):
    """The graph server refused the credentials."""

    code = "graph_auth"


class GraphQueryError(RecoupeError):
    """The graph server rejected a statement (syntax, constraint, permission or time limit)."""

    code = "graph_query"


class ServerError(RecoupeError):
    """The embedded graph server could not be started, stopped or found."""

    code = "server_error"


class DataDirError(ServerError):
    """The Recoupe data directory is missing pieces, corrupt or not Recoupe's."""

    code = "data_dir"


class IngestError(RecoupeError):
    """A file could not be ingested; names the file and, where known, the line."""

    code = "ingest_error"

    def __init__(self, file: Path | str, message: str, line: int | None = None, hint: str = "") -> None:
        where = f"{file}:{line}" if line is not None else str(file)
        super().__init__(f"{where}: {message}", hint)
        self.file = str(file)
        self.line = line
