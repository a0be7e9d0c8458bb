"""Every statement in recoupe/graph/queries.py parses on the real server and names only ontology terms."""

from __future__ import annotations

import re

import pytest

from recoupe.graph import queries
from recoupe.graph.connection import Graph
from recoupe.ontology.errors import GraphQueryError
from recoupe.ontology.loader import ontology

STATEMENTS = {
    name: value for name, value in vars(queries).items() if name.isupper() and isinstance(value, str)
} | {  # families of statements, one per label or link kind
    f"{name}[{key}]": value
    for name, family in vars(queries).items()
    if name.isupper() and isinstance(family, dict)
    for key, value in family.items()
    if isinstance(value, str)
}
# A label after ':' inside a node pattern "(n:Label" / "(:Label:Other"; a type inside "[r:TYPE|OTHER".
NODE_LABELS = re.compile(r"\(\s*\w*\s*((?::\s*\w+)+)")
REL_TYPES = re.compile(r"\[\s*\w*\s*:\s*([\w|:]+)")
PROPERTIES = re.compile(r"\b([a-z_]\w*)\.([a-z_][a-z0-9_]*)\b")
ROWS = re.compile(r"UNWIND\s+\$\w+\s+AS\s+(\w+)")  # fields of parameter rows are not properties


def names_used(statement: str) -> tuple[set[str], set[str], set[str]]:
    """The node labels, relationship types and properties a statement names."""
    labels = {label for group in NODE_LABELS.findall(statement) for label in re.findall(r"\w+", group)}
    types = {t for group in REL_TYPES.findall(statement) for t in re.split(r"[|:]", group) if t}
    rows = set(ROWS.findall(statement)) | {"point"}  # point.distance is a function, not a property
    props = {prop for variable, prop in PROPERTIES.findall(statement) if variable not in rows}
    return labels, types, props


def test_parameter_row_fields_are_not_properties() -> None:
    _, _, props = names_used(
        "UNWIND $rows AS row MATCH (i:Incident {id: row.incident}) SET i.category = row.kind"
    )
    assert props == {"category"}


def test_name_extraction_finds_labels_types_and_properties() -> None:
    labels, types, props = names_used(
        "MATCH (i:Incident)-[r:SEEN_BY|DAMAGED]->(:Camera:Thing) RETURN i.category"
    )
    assert labels == {"Incident", "Camera", "Thing"}
    assert types == {"SEEN_BY", "DAMAGED"}
    assert props == {"category"}


def test_queries_module_is_not_empty() -> None:
    assert {"PING", "COUNT_NODES", "MERGE_SOURCE", "SOURCES"} <= set(STATEMENTS)


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_names_only_ontology_terms(name: str) -> None:
    labels, types, props = names_used(STATEMENTS[name])
    model = ontology()
    assert labels <= set(model.node_types), f"{name}: unknown labels {labels - set(model.node_types)}"
    assert types <= set(model.rel_types), f"{name}: unknown relationship types {types - set(model.rel_types)}"
    assert props <= set(model.properties), f"{name}: unknown properties {props - set(model.properties)}"


# SHOW commands cannot be EXPLAINed; SHOW_INDEXES runs in every apply_schema of test_schema.
EXPLAINABLE = sorted(
    name for name, text in STATEMENTS.items() if not text.lstrip().upper().startswith("SHOW")
)


@pytest.mark.parametrize("name", EXPLAINABLE)
def test_statement_passes_explain(graph: Graph, name: str) -> None:
    statement = STATEMENTS[name]
    with graph.session() as s:
        s.run("EXPLAIN " + statement, **{p: None for p in re.findall(r"\$(\w+)", statement)}).consume()


def test_explain_rejects_a_broken_statement(graph: Graph) -> None:
    with pytest.raises(GraphQueryError), graph.session() as s:
        s.run("EXPLAIN MATCH (n:Incident RETURN n").consume()
