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

# ---------------------------------------------------------------- incidents and what they involve
# Ingestion writes one batch in one transaction, node merges before relationship merges: ArcadeDB 26.10 fails
# ("edge list … not visible yet") when one statement merges a node and creates several edges on it.
INCIDENT_HASHES = "UNWIND $ids AS id MATCH (i:Incident {id: id}) RETURN i.id AS id, i.text_hash AS text_hash"
DETACH_INCIDENT_FACTS = """
UNWIND $ids AS id
MATCH (i:Incident {id: id})-[r]-(n)
WHERE NOT n:Source AND NOT n:Incident
DELETE r
WITH DISTINCT n
WHERE NOT (n)--()
DELETE n
RETURN count(n) AS orphans
"""
MERGE_INCIDENTS = "UNWIND $rows AS row MERGE (i:Incident {id: row.id}) SET i += row.props"
LINK_SOURCES = """
UNWIND $rows AS row
MATCH (i:Incident {id: row.id})
MERGE (s:Source {id: row.source})
ON CREATE SET s.name = row.source, s.kind = 'logs'
MERGE (i)-[:EXTRACTED_FROM]->(s)
"""
MERGE_PLACES = """
UNWIND $rows AS row
MERGE (p:Place {id: row.id})
SET p.name = row.name, p.precision = row.precision, p.lat = row.lat, p.lon = row.lon,
    p.postcode = row.postcode
"""
LINK_PLACES = """
UNWIND $rows AS row
MATCH (i:Incident {id: row.incident}), (p:Place {id: row.id})
MERGE (i)-[:OCCURRED_AT]->(p)
"""
MERGE_PERSONS = "UNWIND $rows AS row MERGE (n:Person {id: row.id}) SET n.pseudonym = row.pseudonym"
MERGE_PLATES = "UNWIND $rows AS row MERGE (n:Plate {id: row.id})"
MERGE_VEHICLES = "UNWIND $rows AS row MERGE (n:Vehicle {id: row.id}) SET n.description = row.description"
MERGE_OBJECTS = "UNWIND $rows AS row MERGE (n:Object {id: row.id}) SET n.name = row.name"
MERGE_ORGANISATIONS = "UNWIND $rows AS row MERGE (n:Organisation {id: row.id}) SET n.name = row.name"


def _involves(label: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (i:Incident {{id: row.incident}}), (n:{label} {{id: row.id}})
MERGE (i)-[r:INVOLVES]->(n)
SET r.role = row.role
"""


def _evidence(label: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (i:Incident {{id: row.incident}}), (n:{label} {{id: row.id}})
CREATE (n)-[:EXTRACTED_FROM {{start: row.start, end: row.end}}]->(i)
"""


# One pair per label (labels cannot be parameters); the tests check each statement against the ontology.
INVOLVES_PERSONS, EVIDENCE_PERSONS = _involves("Person"), _evidence("Person")
INVOLVES_PLATES, EVIDENCE_PLATES = _involves("Plate"), _evidence("Plate")
INVOLVES_VEHICLES, EVIDENCE_VEHICLES = _involves("Vehicle"), _evidence("Vehicle")
INVOLVES_OBJECTS, EVIDENCE_OBJECTS = _involves("Object"), _evidence("Object")
INVOLVES_ORGANISATIONS, EVIDENCE_ORGANISATIONS = _involves("Organisation"), _evidence("Organisation")
EVIDENCE_PLACES = _evidence("Place")
LINK_PLATES_TO_VEHICLES = """
UNWIND $rows AS row
MATCH (v:Vehicle {id: row.vehicle}), (p:Plate {id: row.plate})
MERGE (v)-[:HAS_PLATE]->(p)
"""
