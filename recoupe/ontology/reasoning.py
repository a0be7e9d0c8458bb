"""OWL-RL closure of exported RDF with the ontology: what a reasoner concludes from Recoupe's alignments."""

from __future__ import annotations

import rdflib

from recoupe.ontology.loader import ONTOLOGY_FILE


def owl_rl_closure(data: rdflib.Graph) -> rdflib.Graph:
    """A new graph: `data`, the ontology, and everything OWL 2 RL entails from them (for small exports:
    the closure is computed in memory)."""
    import owlrl  # type: ignore[import-untyped]

    closed = rdflib.Graph()
    closed += data
    closed.parse(ONTOLOGY_FILE, format="turtle")
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closed)
    return closed
