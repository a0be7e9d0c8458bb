"""shapes.ttl catches missing required properties, wrong datatypes, out-of-range values and inverted intervals."""

from __future__ import annotations

import rdflib

from recoupe.ontology.shacl import validate

PREFIXES = """
@prefix rcp: <https://w3id.org/recoupe/ontology#> .
@prefix cat: <https://w3id.org/recoupe/vocab/category/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex:  <https://example.org/> .
"""


def _graph(turtle: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=PREFIXES + turtle, format="turtle")


def test_a_complete_incident_conforms() -> None:
    data = _graph("""
        ex:i1 a rcp:Incident ; rcp:id "logs:1" ; rcp:source "logs" ; rcp:category cat:theft ;
            rcp:occurred_from "2024-05-01T21:00:00Z"^^xsd:dateTime ; rcp:occurred_to "2024-05-01T23:00:00Z"^^xsd:dateTime ;
            rcp:lat 43.30e0 ; rcp:lon 5.38e0 .
    """)
    report = validate(data)
    assert report.conforms, report.violations


def test_violations_name_the_node_path_and_constraint() -> None:
    data = _graph("""
        ex:i2 a rcp:Incident ; rcp:id "logs:2" ; rcp:source "logs" ;
            rcp:occurred_from "2024-05-02T10:00:00Z"^^xsd:dateTime ; rcp:occurred_to "2024-05-01T10:00:00Z"^^xsd:dateTime .
        ex:c1 a rcp:Camera ; rcp:id "cam:1" ; rcp:lat 143.0e0 ; rcp:lon 5.38e0 ; rcp:bearing_deg "north" ;
            rcp:fov_deg 90.0e0 ; rcp:range_m 60.0e0 .
    """)
    report = validate(data)
    assert not report.conforms
    found = {
        (v.focus.rsplit("/", 1)[-1], (v.path or "").rsplit("#", 1)[-1], v.constraint)
        for v in report.violations
    }
    assert found == {
        ("i2", "category", "MinCountConstraintComponent"),
        ("i2", "occurred_from", "LessThanOrEqualsConstraintComponent"),
        ("c1", "lat", "MaxInclusiveConstraintComponent"),
        ("c1", "bearing_deg", "DatatypeConstraintComponent"),
        ("c1", "bearing_deg", "MinInclusiveConstraintComponent"),  # text is not comparable with 0.0 …
        ("c1", "bearing_deg", "MaxInclusiveConstraintComponent"),  # … nor with 360.0
    }
