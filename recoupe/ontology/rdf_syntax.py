"""The three RDF syntaxes of the export, written block by block (one subject's triples at a time) with their
own escaping: N-Triples, Turtle (prefixed names, IRIs relative to the base) and JSON-LD (one `@graph`)."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, BinaryIO

from rdflib.namespace import RDF, XSD
from rdflib.term import Literal, Node, URIRef

Triple = tuple[Node, Node, Node]
LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# Characters that may not appear in an IRIREF (besides controls and space).
IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
ECHAR = {"\t": "\\t", "\b": "\\b", "\n": "\\n", "\r": "\\r", "\f": "\\f", '"': '\\"', "\\": "\\\\"}


ESCAPES = str.maketrans({**{chr(c): f"\\u{c:04X}" for c in (*range(0x20), 0x7F)}, **ECHAR})
CACHED_NAMES = (
    10_000  # predicates, classes, concepts, datatypes: a few hundred IRIs written millions of times
)


def escape_string(text: str) -> str:
    """A string's body in N-Triples / Turtle quotes."""
    return text.translate(ESCAPES)


def iri_text(iri: str) -> str:
    """An IRI as it may stand between < and >: forbidden characters percent-encoded."""
    return IRI_FORBIDDEN.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), iri)


def _grouped(triples: Iterable[Triple]) -> dict[Node, list[tuple[Node, Node]]]:
    subjects: dict[Node, list[tuple[Node, Node]]] = {}
    for s, p, o in triples:
        subjects.setdefault(s, []).append((p, o))
    return subjects


class Writer(ABC):
    """Writes blocks of triples to a binary file; `close` ends the document (not the file)."""

    def __init__(self, out: BinaryIO, base: str, prefixes: dict[str, str]) -> None:
        self.out, self.base, self.prefixes = out, base, prefixes
        self.relative = base.endswith("/")  # a base ending with # cannot resolve relative paths
        self.names: dict[str, str] = {}

    @abstractmethod
    def block(self, triples: list[Triple]) -> None:
        """Write one subject's triples (each syntax its own way)."""

    def close(self) -> None:  # noqa: B027 (most syntaxes need no closing)
        """End the document (JSON-LD closes its array); nothing by default."""

    def write(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))


class NTriples(Writer):
    def block(self, triples: list[Triple]) -> None:
        self.write("".join(f"{self.term(s)} {self.term(p)} {self.term(o)} .\n" for s, p, o in triples))

    def term(self, node: Node) -> str:
        if isinstance(node, Literal):
            text = f'"{escape_string(str(node))}"'
            if node.language:
                return f"{text}@{node.language}"
            if node.datatype is not None and node.datatype != XSD.string:
                return f"{text}^^<{iri_text(str(node.datatype))}>"
            return text
        return f"<{iri_text(str(node))}>"


class Turtle(NTriples):
    def __init__(self, out: BinaryIO, base: str, prefixes: dict[str, str]) -> None:
        super().__init__(out, base, prefixes)
        head = [f"@prefix {name}: <{iri}> ." for name, iri in prefixes.items()]
        if self.relative:
            head.insert(0, f"@base <{iri_text(base)}> .")
        self.write("\n".join(head) + "\n\n")

    def block(self, triples: list[Triple]) -> None:
        lines = []
        for subject, pairs in _grouped(triples).items():
            body = " ;\n    ".join(
                f"{'a' if p == RDF.type else self.term(p)} {self.term(o)}" for p, o in pairs
            )
            lines.append(f"{self.term(subject)} {body} .\n")
        self.write("".join(lines) + "\n")

    def term(self, node: Node) -> str:
        if isinstance(node, Literal):
            text = f'"{escape_string(str(node))}"'
            if node.language:
                return f"{text}@{node.language}"
            if node.datatype is not None and node.datatype != XSD.string:
                return f"{text}^^{self.term(URIRef(node.datatype))}"
            return text
        iri = str(node)
        if self.relative and iri.startswith(self.base):
            return f"<{iri_text(iri[len(self.base) :])}>"
        name = self.names.get(iri)
        if name is None:
            name = compact(iri, self.prefixes) or f"<{iri_text(iri)}>"
            if len(self.names) < CACHED_NAMES:
                self.names[iri] = name
        return name


class JsonLd(Writer):
    def __init__(self, out: BinaryIO, base: str, prefixes: dict[str, str]) -> None:
        super().__init__(out, base, prefixes)
        context: dict[str, str] = dict(prefixes)
        if self.relative:
            context["@base"] = base
        self.first = True
        self.write('{\n"@context": ' + json.dumps(context, ensure_ascii=False) + ',\n"@graph": [\n')

    def block(self, triples: list[Triple]) -> None:
        for subject, pairs in _grouped(triples).items():
            item: dict[str, Any] = {"@id": self.iri(str(subject))}
            for p, o in pairs:
                if p == RDF.type:
                    item.setdefault("@type", []).append(compact(str(o), self.prefixes) or str(o))
                else:
                    key = compact(str(p), self.prefixes) or str(p)
                    item.setdefault(key, []).append(self.value(o))
            self.write(("" if self.first else ",\n") + json.dumps(item, ensure_ascii=False))
            self.first = False

    def close(self) -> None:
        self.write("\n]\n}\n")

    def iri(self, iri: str) -> str:
        if self.relative and iri.startswith(self.base):
            return iri[len(self.base) :]
        name = self.names.get(iri)
        if name is None:
            name = compact(iri, self.prefixes) or iri
            if len(self.names) < CACHED_NAMES:
                self.names[iri] = name
        return name

    def value(self, node: Node) -> dict[str, str]:
        if not isinstance(node, Literal):
            return {"@id": self.iri(str(node))}
        if node.language:
            return {"@value": str(node), "@language": node.language}
        if node.datatype is not None and node.datatype != XSD.string:
            return {
                "@value": str(node),
                "@type": compact(str(node.datatype), self.prefixes) or str(node.datatype),
            }
        return {"@value": str(node)}


def compact(iri: str, prefixes: dict[str, str]) -> str | None:
    """`prefix:local` when a prefix covers the IRI and the rest is a plain local name."""
    for name, namespace in prefixes.items():
        if iri.startswith(namespace) and LOCAL_NAME.match(iri[len(namespace) :]):
            return f"{name}:{iri[len(namespace) :]}"
    return None


WRITERS: dict[str, type[Writer]] = {"turtle": Turtle, "nt": NTriples, "json-ld": JsonLd}
