"""The domain model, read from recoupe.ttl and shapes.ttl; value types; the exception base.

Import `recoupe.ontology.loader.ontology()` for the model; this package's import stays light (no rdflib).
"""
