"""Read recoupe.ttl and shapes.ttl once, check them, and build the frozen model every other package reads."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Literal, Node, URIRef

from recoupe.ontology.errors import OntologyError
from recoupe.ontology.model import (
    NODE_LABEL,
    PROPERTY_NAME,
    REL_TYPE,
    Concept,
    Datatype,
    Labels,
    NodeType,
    Ontology,
    Property,
    RelType,
    Vocabulary,
    frozen_map,
)

HERE = Path(__file__).parent
ONTOLOGY_FILE = HERE / "recoupe.ttl"
SHAPES_FILE = HERE / "shapes.ttl"

BASE = "https://w3id.org/recoupe/"
RCP = rdflib.Namespace(BASE + "ontology#")
SCHEMA = rdflib.Namespace("https://schema.org/")
GEO_WKT = URIRef("http://www.opengis.net/ont/geosparql#wktLiteral")

DATATYPES: dict[Node, Datatype] = {
    XSD.string: "string",
    XSD.integer: "integer",
    XSD.double: "float",
    XSD.boolean: "boolean",
    XSD.dateTime: "datetime",
    XSD.date: "date",
    GEO_WKT: "wkt",
    SKOS.Concept: "concept",
}


@functools.cache
def ontology() -> Ontology:
    """The ontology shipped with Recoupe, loaded once per process."""
    return load_ontology(ONTOLOGY_FILE, SHAPES_FILE)


def load_ontology(ontology_file: Path, shapes_file: Path) -> Ontology:
    """Parse and check both files; raise OntologyError naming the file and the term on any inconsistency."""
    graph = _parse(ontology_file)
    shapes = _parse(shapes_file)
    reader = _Reader(graph, ontology_file)
    reader.check_no_dangling(graph, ontology_file)
    reader.check_no_dangling(shapes, shapes_file, also_declared=shapes)
    vocabularies = reader.vocabularies()
    properties = reader.properties(vocabularies)
    required = _required_from_shapes(shapes, shapes_file, properties, reader)
    node_types = reader.node_types(properties, required, shapes_file)
    rel_types = reader.rel_types(properties, node_types)
    iri = next((str(s) for s in graph.subjects(RDF.type, OWL.Ontology)), BASE + "ontology")
    return Ontology(
        iri=iri,
        node_types=frozen_map(node_types),
        rel_types=frozen_map(rel_types),
        properties=frozen_map(properties),
        vocabularies=frozen_map(vocabularies),
        sources=(str(ontology_file), str(shapes_file)),
    )


def _parse(path: Path) -> rdflib.Graph:
    if not path.is_file():
        raise OntologyError(path, "file", "not found")
    try:
        return rdflib.Graph().parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
        raise OntologyError(path, "syntax", str(exc).splitlines()[0][:300]) from exc


def _local(iri: Node) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1] if "#" in text else text.rsplit("/", 1)[-1]


def _own(term: Node) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(BASE)


class _Reader:
    """Queries over the parsed ontology graph, each raising OntologyError with the term at fault."""

    def __init__(self, graph: rdflib.Graph, file: Path) -> None:
        self.g = graph
        self.file = file

    def fail(self, term: Node | str, problem: str) -> OntologyError:
        return OntologyError(self.file, _local(term) if isinstance(term, Node) else term, problem)

    def check_no_dangling(
        self, graph: rdflib.Graph, file: Path, also_declared: rdflib.Graph | None = None
    ) -> None:
        """Every Recoupe term used anywhere must be declared (have an rdf:type) in the ontology."""
        for s, p, o in graph:
            for term in (s, p, o):
                if not _own(term) or str(term) == BASE + "ontology":
                    continue
                declared = (term, RDF.type, None) in self.g
                if not declared and also_declared is not None:
                    declared = (term, RDF.type, None) in also_declared
                if not declared:
                    raise OntologyError(file, _local(term), "used but never declared in recoupe.ttl")

    def labels(self, term: URIRef, label_property: URIRef = RDFS.label) -> Labels:
        def pick(prop: URIRef, lang: str, what: str) -> str:
            values = [o for o in self.g.objects(term, prop) if isinstance(o, Literal) and o.language == lang]
            if len(values) != 1:
                raise self.fail(term, f"needs exactly one {what} in '{lang}' (found {len(values)})")
            return str(values[0])

        return Labels(
            fr=pick(label_property, "fr", "label"),
            en=pick(label_property, "en", "label"),
            definition_fr=pick(SKOS.definition, "fr", "skos:definition"),
            definition_en=pick(SKOS.definition, "en", "skos:definition"),
        )

    def own_subjects(self, rdf_type: URIRef) -> list[URIRef]:
        return sorted(
            (s for s in self.g.subjects(RDF.type, rdf_type) if isinstance(s, URIRef) and _own(s)), key=str
        )

    def names(self, terms: Iterable[Node], kind: URIRef, subject: URIRef, what: str) -> tuple[str, ...]:
        out = []
        for term in terms:
            if (term, RDF.type, kind) not in self.g:
                raise self.fail(subject, f"{what} {_local(term)} is not a declared {_local(kind)}")
            out.append(_local(term))
        return tuple(sorted(out))

    def aligned(self, term: URIRef, *predicates: URIRef) -> tuple[str, ...]:
        return tuple(sorted(str(o) for p in predicates for o in self.g.objects(term, p) if not _own(o)))

    def vocabularies(self) -> dict[str, Vocabulary]:
        members: dict[Node, list[URIRef]] = defaultdict(list)
        for concept in self.own_subjects(SKOS.Concept):
            schemes = list(self.g.objects(concept, SKOS.inScheme))
            if len(schemes) != 1 or (schemes[0], RDF.type, SKOS.ConceptScheme) not in self.g:
                raise self.fail(concept, "must be in exactly one declared skos:ConceptScheme")
            members[schemes[0]].append(concept)
        vocabularies = {}
        for scheme in self.own_subjects(SKOS.ConceptScheme):
            concepts: dict[str, Concept] = {}
            for concept in members[scheme]:
                notation = self.g.value(concept, SKOS.notation)
                if notation is None or not PROPERTY_NAME.match(str(notation)):
                    raise self.fail(
                        concept, "needs a skos:notation in snake_case (the code stored in the graph)"
                    )
                if str(notation) in concepts:
                    raise self.fail(concept, f"notation '{notation}' is used twice in {_local(scheme)}")
                concepts[str(notation)] = Concept(
                    notation=str(notation),
                    iri=str(concept),
                    labels=self.labels(concept, SKOS.prefLabel),
                    alt_labels_fr=tuple(
                        sorted(str(o) for o in self.g.objects(concept, SKOS.altLabel) if o.language == "fr")  # type: ignore[attr-defined]
                    ),
                    broader=self.names(
                        self.g.objects(concept, SKOS.broader), SKOS.Concept, concept, "broader"
                    ),
                    related=self.names(
                        self.g.objects(concept, SKOS.related), SKOS.Concept, concept, "related"
                    ),
                )
            if not concepts:
                raise self.fail(scheme, "vocabulary has no concepts")
            # broader/related name concepts by IRI local name; map them to notations.
            by_local = {_local(URIRef(c.iri)): c.notation for c in concepts.values()}
            for code, c in concepts.items():
                concepts[code] = Concept(
                    c.notation,
                    c.iri,
                    c.labels,
                    c.alt_labels_fr,
                    tuple(by_local.get(b, b) for b in c.broader),
                    tuple(by_local.get(r, r) for r in c.related),
                )
            name = _local(scheme)
            vocabularies[name] = Vocabulary(name, str(scheme), self.labels(scheme), frozen_map(concepts))
        return vocabularies

    def properties(self, vocabularies: dict[str, Vocabulary]) -> dict[str, Property]:
        properties = {}
        for prop in self.own_subjects(OWL.DatatypeProperty):
            name = _local(prop)
            if not PROPERTY_NAME.match(name):
                raise self.fail(prop, "property names are snake_case")
            ranges = list(self.g.objects(prop, RDFS.range))
            if len(ranges) != 1 or ranges[0] not in DATATYPES:
                raise self.fail(prop, f"needs one rdfs:range among {sorted(_local(d) for d in DATATYPES)}")
            datatype = DATATYPES[ranges[0]]
            vocabulary = self.g.value(prop, RCP.vocabulary)
            if (datatype == "concept") != (vocabulary is not None):
                raise self.fail(prop, "rdfs:range skos:Concept and rcp:vocabulary go together")
            if vocabulary is not None and _local(vocabulary) not in vocabularies:
                raise self.fail(prop, f"rcp:vocabulary {_local(vocabulary)} is not a declared concept scheme")
            node_types = self.names(self.g.objects(prop, SCHEMA.domainIncludes), OWL.Class, prop, "domain")
            rel_types = self.names(
                self.g.objects(prop, RCP.propertyOf), OWL.ObjectProperty, prop, "propertyOf"
            )
            if not node_types and not rel_types:
                raise self.fail(
                    prop, "is carried by no class (schema:domainIncludes) or relationship (rcp:propertyOf)"
                )
            properties[name] = Property(
                name=name,
                iri=str(prop),
                datatype=datatype,
                labels=self.labels(prop),
                vocabulary=_local(vocabulary) if vocabulary is not None else None,
                node_types=node_types,
                rel_types=rel_types,
            )
        return properties

    def node_types(
        self, properties: dict[str, Property], required: dict[str, tuple[str, ...]], shapes_file: Path
    ) -> dict[str, NodeType]:
        node_types = {}
        for cls in self.own_subjects(OWL.Class):
            name = _local(cls)
            if not NODE_LABEL.match(name):
                raise self.fail(cls, "class names are CamelCase")
            own = tuple(sorted(p.name for p in properties.values() if name in p.node_types))
            keys = [_local(k) for k in self.g.objects(cls, RCP.key)]
            if len(keys) > 1:
                raise self.fail(cls, "has more than one rcp:key")
            indexed = tuple(sorted(_local(i) for i in self.g.objects(cls, RCP.indexedBy)))
            for prop in [*keys, *indexed]:
                if prop not in own:
                    raise self.fail(cls, f"key or index on '{prop}', which the class does not carry")
            if name not in required:
                raise OntologyError(shapes_file, name, "class has no SHACL shape")
            if keys and keys[0] not in required[name]:
                raise OntologyError(shapes_file, name, f"key '{keys[0]}' must be required (sh:minCount 1)")
            node_types[name] = NodeType(
                name=name,
                iri=str(cls),
                labels=self.labels(cls),
                properties=own,
                required=required[name],
                key=keys[0] if keys else None,
                indexed=indexed,
                aligned_with=self.aligned(cls, RDFS.subClassOf, OWL.equivalentClass),
            )
        return node_types

    def rel_types(
        self, properties: dict[str, Property], node_types: dict[str, NodeType]
    ) -> dict[str, RelType]:
        rel_types = {}
        for rel in self.own_subjects(OWL.ObjectProperty):
            name = _local(rel)
            if not REL_TYPE.match(name):
                raise self.fail(rel, "relationship types are UPPER_SNAKE")
            sources = self.names(self.g.objects(rel, SCHEMA.domainIncludes), OWL.Class, rel, "domain")
            targets = self.names(self.g.objects(rel, SCHEMA.rangeIncludes), OWL.Class, rel, "range")
            if not sources or not targets:
                raise self.fail(rel, "needs schema:domainIncludes and schema:rangeIncludes")
            own = tuple(sorted(p.name for p in properties.values() if name in p.rel_types))
            indexed = tuple(sorted(_local(i) for i in self.g.objects(rel, RCP.indexedBy)))
            for prop in indexed:
                if prop not in own:
                    raise self.fail(rel, f"index on '{prop}', which the relationship does not carry")
            rel_types[name] = RelType(
                name=name,
                iri=str(rel),
                labels=self.labels(rel),
                sources=sources,
                targets=targets,
                properties=own,
                indexed=indexed,
                aligned_with=self.aligned(rel, RDFS.subPropertyOf, OWL.equivalentProperty),
            )
        return rel_types


def _required_from_shapes(
    shapes: rdflib.Graph, file: Path, properties: dict[str, Property], reader: _Reader
) -> dict[str, tuple[str, ...]]:
    """Required properties per class (sh:minCount ≥ 1), checking each shape against the ontology."""
    required: dict[str, tuple[str, ...]] = {}
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        target = shapes.value(shape, SH.targetClass)
        if target is None or (target, RDF.type, OWL.Class) not in reader.g:
            raise OntologyError(file, _local(shape), "sh:targetClass must be a class of recoupe.ttl")
        cls = _local(target)
        if cls in required:
            raise OntologyError(file, cls, "has two shapes")
        names = []
        for constraint in shapes.objects(shape, SH.property):
            path = shapes.value(constraint, SH.path)
            prop = properties.get(_local(path)) if path is not None else None
            if prop is None or cls not in prop.node_types:
                raise OntologyError(
                    file, f"{cls}.{_local(path) if path else '?'}", "path is not a property of the class"
                )
            datatype = shapes.value(constraint, SH.datatype)
            expected_concept = prop.datatype == "concept"
            if expected_concept and shapes.value(constraint, SH["class"]) != SKOS.Concept:
                raise OntologyError(
                    file, f"{cls}.{prop.name}", "vocabulary-valued: use sh:class skos:Concept"
                )
            if not expected_concept and DATATYPES.get(datatype) != prop.datatype:  # type: ignore[arg-type]
                raise OntologyError(
                    file, f"{cls}.{prop.name}", f"sh:datatype disagrees with rdfs:range ({prop.datatype})"
                )
            min_count = shapes.value(constraint, SH.minCount)
            if isinstance(min_count, Literal) and int(min_count.toPython()) >= 1:
                names.append(prop.name)
        required[cls] = tuple(sorted(names))
    return required
