"""Every Cypher statement Recoupe runs, as a named constant with `$parameters` only.

Labels and relationship types named here must exist in the ontology (tests/graph/test_queries.py checks each
statement with EXPLAIN on a real server). Schema statements, whose labels cannot be parameters, are built by
`recoupe.graph.dialect` from names the ontology has validated.
"""

# ---------------------------------------------------------------- server and schema
PING = "RETURN 1 AS ok"
COUNT_NODES = "MATCH (n) RETURN count(n) AS count"
COUNT_RELATIONSHIPS = "MATCH ()-[r]->() RETURN count(r) AS count"
SHOW_INDEXES = "SHOW INDEXES"

# ---------------------------------------------------------------- sources
MERGE_SOURCE = """
MERGE (s:Source {id: $id})
SET s.name = $name, s.kind = $kind, s.ingested_at = $ingested_at
RETURN s.id AS id
"""
SOURCES = """
MATCH (s:Source)
RETURN s.id AS id, s.name AS name, s.kind AS kind, s.ingested_at AS ingested_at
ORDER BY s.id
"""
NODE_COUNTS_BY_LABEL = "MATCH (n) RETURN labels(n)[0] AS label, count(*) AS count ORDER BY label"
RELATIONSHIP_COUNTS_BY_TYPE = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS count ORDER BY type"
