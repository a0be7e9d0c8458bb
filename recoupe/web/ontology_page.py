"""Ontologie — the model documented from the ontology files, and the files themselves.

`/ontologie` answers by content negotiation: the page (text/html) lists the classes, relationships, properties
and vocabularies with their French and English labels, definitions and alignments to public vocabularies
(schema.org, SOSA/SSN, GeoSPARQL, OWL-Time, PROV-O), read through `recoupe.ontology`'s loader; `text/turtle`
answers the Turtle file as written, `application/ld+json` the same graph as JSON-LD. `/ontologie.ttl` and
`/ontologie.jsonld` name a syntax outright; the SHACL shapes are served the same way at `/ontologie/shapes`.
The model is not secret, but like every page of the viewer these need a login (`read.incidents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from recoupe.ontology.errors import RecoupeError
from recoupe.web import auth
from recoupe.web.pages import page_error

ontology_page = Blueprint("ontology_page", __name__)
ontology_page.register_error_handler(RecoupeError, page_error)

PERMISSION = "read.incidents"
HTML, TURTLE, JSONLD = "text/html", "text/turtle", "application/ld+json"
SYNTAX = {TURTLE: "turtle", JSONLD: "json-ld", "application/json": "json-ld"}
DATATYPE_NAMES = {"string": "texte", "integer": "entier", "float": "nombre", "boolean": "booléen",
                  "datetime": "date et heure", "date": "date", "wkt": "géométrie (WKT)",
                  "concept": "terme d'un vocabulaire"}  # fmt: skip


def _files() -> dict[str, Path]:
    from recoupe.ontology import loader  # read at each request: a test may point it at a copy

    return {"ontology": loader.ONTOLOGY_FILE, "shapes": loader.SHAPES_FILE}


def _file(which: str, syntax: str) -> ResponseReturnValue:
    from recoupe.ontology.docs import MEDIA_TYPES, serialise

    path = _files()[which]
    extension = "ttl" if syntax == "turtle" else "jsonld"
    response = Response(serialise(path, syntax), mimetype=MEDIA_TYPES[syntax])
    response.headers["Content-Disposition"] = f'inline; filename="recoupe-{which}.{extension}"'
    response.headers["Vary"] = "Accept"
    return response


def _negotiated(which: str) -> ResponseReturnValue:
    """The page for browsers (and by default), a file for clients that ask for Turtle or JSON-LD."""
    chosen = request.accept_mimetypes.best_match([HTML, TURTLE, JSONLD, "application/json"], default=HTML)
    if chosen in SYNTAX and request.accept_mimetypes[chosen] > request.accept_mimetypes[HTML]:
        return _file(which, SYNTAX[chosen])
    if which == "shapes":
        return _file(which, "turtle")  # no page of its own: the shapes' constraints show on the page
    response = Response(render_template("ontology.html", **documentation()))
    response.headers["Vary"] = "Accept"
    return response


@ontology_page.get("/ontologie")
@auth.require(PERMISSION)
def page() -> ResponseReturnValue:
    return _negotiated("ontology")


@ontology_page.get("/ontologie.ttl")
@auth.require(PERMISSION)
def turtle() -> ResponseReturnValue:
    return _file("ontology", "turtle")


@ontology_page.get("/ontologie.jsonld")
@auth.require(PERMISSION)
def jsonld() -> ResponseReturnValue:
    return _file("ontology", "json-ld")


@ontology_page.get("/ontologie/shapes")
@auth.require(PERMISSION)
def shapes() -> ResponseReturnValue:
    return _negotiated("shapes")


@ontology_page.get("/ontologie/shapes.ttl")
@auth.require(PERMISSION)
def shapes_turtle() -> ResponseReturnValue:
    return _file("shapes", "turtle")


@ontology_page.get("/ontologie/shapes.jsonld")
@auth.require(PERMISSION)
def shapes_jsonld() -> ResponseReturnValue:
    return _file("shapes", "json-ld")


# ---------------------------------------------------------------- what the page shows


@dataclass(frozen=True)
class Term:
    """One row of the page: a term with its labels, definitions, alignments and what else the page says."""

    name: str
    iri: str
    fr: str
    en: str
    definition_fr: str
    definition_en: str
    alignments: tuple[Any, ...]
    details: tuple[tuple[str, str], ...] = ()  # (French heading, value)


def documentation() -> dict[str, Any]:
    """The page's sections, from the loaded model and the ontology file's alignments."""
    from recoupe.ontology.docs import alignments
    from recoupe.ontology.loader import ontology

    model, aligned = ontology(), alignments(_files()["ontology"])

    def term(name: str, iri: str, labels: Any, *details: tuple[str, str]) -> Term:
        kept = tuple((heading, value) for heading, value in details if value)
        return Term(name, iri, labels.fr, labels.en, labels.definition_fr, labels.definition_en,
                    aligned.get(iri, ()), kept)  # fmt: skip

    classes = [term(t.name, t.iri, t.labels, ("Clé", t.key or ""), ("Obligatoires", ", ".join(t.required)),
                    ("Propriétés", ", ".join(t.properties)))
               for t in model.node_types.values()]  # fmt: skip
    relations = [term(r.name, r.iri, r.labels, ("De", ", ".join(r.sources)), ("Vers", ", ".join(r.targets)),
                      ("Propriétés", ", ".join(r.properties)))
                 for r in model.rel_types.values()]  # fmt: skip
    properties = [term(p.name, p.iri, p.labels, ("Type", DATATYPE_NAMES[p.datatype]),
                       ("Vocabulaire", p.vocabulary or ""),
                       ("Portée par", ", ".join((*p.node_types, *p.rel_types))))
                  for p in model.properties.values()]  # fmt: skip
    vocabularies = [
        (term(v.name, v.iri, v.labels),
         [term(c.notation, c.iri, c.labels, ("Aussi appelé", ", ".join(c.alt_labels_fr)),
               ("Plus large", ", ".join(c.broader)), ("Voisins", ", ".join(c.related)))
          for c in v.concepts.values()])
        for v in model.vocabularies.values()
    ]  # fmt: skip
    return {"iri": model.iri, "classes": classes, "relations": relations, "properties": properties,
            "vocabularies": vocabularies}  # fmt: skip
