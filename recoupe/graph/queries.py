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
SET s.ingested_at = $ingested_at
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

# ---------------------------------------------------------------- link rules (recoupe/graph/links.py)

_incident_fields = """
RETURN i.id AS id, i.lat AS lat, i.lon AS lon, i.occurred_from AS starts, i.occurred_to AS ends,
       i.category AS category, i.precision AS precision, i.asset_types AS asset_types,
       i.asset_spans AS asset_spans
"""
LINK_INCIDENTS = "MATCH (i:Incident)" + _incident_fields
LINK_INCIDENTS_BY_ID = "UNWIND $ids AS id MATCH (i:Incident {id: id})" + _incident_fields
LINK_INCIDENTS_BETWEEN = "MATCH (i:Incident) WHERE i.occurred_from >= $low AND i.occurred_from <= $high" + (
    _incident_fields
)
LINK_CAMERAS = """
MATCH (c:Camera)
RETURN c.id AS id, c.lat AS lat, c.lon AS lon, c.bearing_deg AS bearing_deg, c.fov_deg AS fov_deg,
       c.range_m AS range_m, c.installed_at AS installed_at, c.removed_at AS removed_at, c.outages AS outages
"""
LINK_ASSETS = """
MATCH (s:StreetAsset)
RETURN s.id AS id, s.asset_type AS asset_type, s.lat AS lat, s.lon AS lon, s.installed_at AS installed_at,
       s.removed_at AS removed_at
"""
LINK_QUARTIERS = "MATCH (q:Quartier) RETURN q.id AS id, q.geometry AS geometry"
LINK_POINTS = {
    label: f"MATCH (n:{label}) WHERE n.lat IS NOT NULL RETURN '{label}' AS label, n.id AS id, n.lat AS lat, "
    "n.lon AS lon"
    for label in ("Place", "Camera", "StreetAsset")
}

# What each kind of link joins: (from label, relationship type, to label).
LINK_KINDS = {
    "SEEN_BY": ("Incident", "SEEN_BY", "Camera"),
    "MISSED_BY": ("Incident", "MISSED_BY", "Camera"),
    "DAMAGED": ("Incident", "DAMAGED", "StreetAsset"),
    "NEAR_REPEAT": ("Incident", "NEAR_REPEAT", "Incident"),
    "IN:Place": ("Place", "IN", "Quartier"),
    "IN:Camera": ("Camera", "IN", "Quartier"),
    "IN:StreetAsset": ("StreetAsset", "IN", "Quartier"),
}
_return_link = "RETURN a.id AS a, b.id AS b, properties(r) AS props"
HELD_LINKS = {k: f"MATCH (a:{f})-[r:{t}]->(b:{to}) {_return_link}" for k, (f, t, to) in LINK_KINDS.items()}
HELD_LINKS_FROM = {
    k: f"UNWIND $ids AS id MATCH (a:{f} {{id: id}})-[r:{t}]->(b:{to}) {_return_link}"
    for k, (f, t, to) in LINK_KINDS.items()
}
HELD_LINKS_TO = {
    k: f"UNWIND $ids AS id MATCH (a:{f})-[r:{t}]->(b:{to} {{id: id}}) {_return_link}"
    for k, (f, t, to) in LINK_KINDS.items()
}
CREATE_LINKS = {
    k: f"UNWIND $rows AS row MATCH (a:{f} {{id: row.a}}) MATCH (b:{to} {{id: row.b}}) "
    f"CREATE (a)-[r:{t}]->(b) SET r += row.props"
    for k, (f, t, to) in LINK_KINDS.items()
}
REMOVE_LINKS = {
    k: f"UNWIND $rows AS row MATCH (a:{f} {{id: row.a}})-[r:{t}]->(b:{to} {{id: row.b}}) DELETE r"
    for k, (f, t, to) in LINK_KINDS.items()
}


def held_links(kind: str, scoped: bool) -> list[str]:
    """The statements listing the links of a kind (all of them, or those touching `$ids`)."""
    if not scoped:
        return [HELD_LINKS[kind]]
    if kind == "NEAR_REPEAT":
        return [HELD_LINKS_FROM[kind], HELD_LINKS_TO[kind]]
    return [HELD_LINKS_FROM[kind]]


def create_links(kind: str) -> str:
    return CREATE_LINKS[kind]


def remove_links(kind: str) -> str:
    return REMOVE_LINKS[kind]


# ---------------------------------------------------------------- inventories (cameras, assets, quartiers)

LAYER_LABELS = ("Camera", "StreetAsset", "Quartier", "Arrondissement")
NODE_PROPERTIES = {
    label: f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN n.id AS id, properties(n) AS props"
    for label in LAYER_LABELS
}
MERGE_NODES = {
    label: f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n += row.props"
    for label in LAYER_LABELS
}
QUARTIERS_IN_ARRONDISSEMENTS = """
UNWIND $rows AS row
MATCH (q:Quartier {id: row.quartier}), (a:Arrondissement {id: row.district})
MERGE (q)-[:IN]->(a)
"""

# ------------------------------------------------------------- investigation (recoupe/graph/investigate.py)

INCIDENT_BRIEF = """
MATCH (i:Incident {id: $id})
RETURN i.id AS id, i.category AS category, i.occurred_from AS starts, i.occurred_to AS ends, i.lat AS lat,
       i.lon AS lon, i.precision AS precision
"""
# An incident's connections in one round trip, one list per kind (pattern comprehensions anchored on the
# incident), each other incident with what its row needs ($seconds: the time window around the incident for a
# shared camera); place and time is a second query (INCIDENTS_BY_GEO_KEY), from the keys around its point.
_other_incident = "category: j.category, starts: j.occurred_from, precision: j.precision"
CONNECTED = f"""
MATCH (i:Incident {{id: $id}})
WITH i, i.occurred_from - duration({{seconds: $seconds}}) AS low,
     coalesce(i.occurred_to, i.occurred_from) + duration({{seconds: $seconds}}) AS high
RETURN i.occurred_from AS starts, i.occurred_to AS ends, i.lat AS lat, i.lon AS lon, i.precision AS precision,
       [(i)-[r1:INVOLVES]->(e)<-[r2:INVOLVES]-(j:Incident) WHERE j.id <> $id | {{id: j.id,
            label: labels(e)[0], entity: e.id, pseudonym: e.pseudonym, role_here: r1.role,
            role_there: r2.role, {_other_incident}}}][..2000] AS entities,
       [(i)-[r:NEAR_REPEAT]-(j:Incident) | {{id: j.id, metres: r.metres, hours: r.hours, {_other_incident}}}]
            AS near_repeats,
       [(i)-[:SEEN_BY]->(c:Camera)<-[:SEEN_BY]-(j:Incident)
            WHERE j.id <> $id AND j.occurred_from >= low AND j.occurred_from <= high
            | {{id: j.id, camera: c.id, {_other_incident}}}][..2000] AS cameras,
       [(i)-[:DAMAGED]->(s:StreetAsset)<-[:DAMAGED]-(j:Incident) WHERE j.id <> $id | {{id: j.id, asset: s.id,
            asset_type: s.asset_type, {_other_incident}}}][..2000] AS assets
"""
INCIDENTS_BY_GEO_KEY = """
UNWIND $keys AS key
MATCH (j:Incident {geo_key: key})
RETURN j.id AS id, j.lat AS lat, j.lon AS lon, j.occurred_from AS starts, j.occurred_to AS ends,
       j.category AS category, j.precision AS precision
"""
CAMERAS_OF_INCIDENT = """
MATCH (i:Incident {id: $id})-[r:SEEN_BY|MISSED_BY]->(c:Camera)
RETURN c.id AS camera, c.label AS label, type(r) AS kind, r.distance_m AS distance_m, r.angle_deg AS angle_deg
ORDER BY kind DESC, distance_m
"""
PERSON_BY_PSEUDONYM = "MATCH (n:Person {pseudonym: $value}) RETURN n.id AS id LIMIT 1"
NODE_EXISTS = {
    label: f"MATCH (n:{label} {{id: $value}}) RETURN n.id AS id LIMIT 1"
    for label in ("Incident", "Plate", "Camera", "StreetAsset", "Place", "Quartier", "Arrondissement")
}
PLACE_BY_NAME = "MATCH (n:Place {name: $value}) RETURN n.id AS id ORDER BY n.id LIMIT 1"
QUARTIER_BY_NAME = "MATCH (n:Quartier {name: $value}) RETURN n.id AS id LIMIT 1"
_timeline_fields = """
RETURN i.id AS id, i.category AS category, i.occurred_from AS starts, i.occurred_to AS ends,
       i.precision AS precision, type(r) AS relation, r.role AS role
ORDER BY starts, id
LIMIT $limit
"""
TIMELINE = {
    "Person": "MATCH (i:Incident)-[r:INVOLVES]->(n:Person {id: $id})" + _timeline_fields,
    "Plate": "MATCH (i:Incident)-[r:INVOLVES]->(n:Plate {id: $id})" + _timeline_fields,
    "Camera": "MATCH (i:Incident)-[r:SEEN_BY|MISSED_BY]->(n:Camera {id: $id})" + _timeline_fields,
    "StreetAsset": "MATCH (i:Incident)-[r:DAMAGED]->(n:StreetAsset {id: $id})" + _timeline_fields,
    "Place": "MATCH (i:Incident)-[r:OCCURRED_AT]->(n:Place {id: $id})" + _timeline_fields,
    "Quartier": "MATCH (i:Incident)-[r:OCCURRED_AT]->(:Place)-[:IN]->(n:Quartier {id: $id})"
    + _timeline_fields,
}
SHORTEST_PATH = {
    hops: f"""
MATCH (a {{id: $a}}), (b {{id: $b}})
MATCH p = shortestPath((a)-[*..{hops}]-(b))
RETURN [n IN nodes(p) | [labels(n)[0], n.id, n.pseudonym, n.name]] AS nodes,
       [r IN relationships(p) | type(r)] AS types
"""
    for hops in range(1, 9)
}
HOTSPOT_QUARTIERS = """
MATCH (i:Incident)-[:OCCURRED_AT]->(:Place)-[:IN]->(q:Quartier)
WHERE i.occurred_from >= $low AND i.occurred_from < $high AND ($category IS NULL OR i.category = $category)
RETURN q.name AS unit, q.lat AS lat, q.lon AS lon, count(*) AS count
"""
HOTSPOT_POINTS = """
MATCH (i:Incident)
WHERE i.occurred_from >= $low AND i.occurred_from < $high AND ($category IS NULL OR i.category = $category)
  AND i.geo_key IS NOT NULL
RETURN i.lat AS lat, i.lon AS lon
"""

# ---- console and analytics (recoupe/graph/analytics.py; the console runs the analyst's own statement)

ANALYTICS_COUNT_INCIDENTS = "MATCH (i:Incident) RETURN count(i) AS count"
ANALYTICS_NEAR_REPEATS = "MATCH (a:Incident)-[:NEAR_REPEAT]->(b:Incident) RETURN a.id AS a, b.id AS b"
# (incident, entity) pairs per kind of entity: shared people, plates and vehicles link incidents into series;
# places only count towards centrality.
ANALYTICS_MEMBERS = {
    "Person": "MATCH (i:Incident)-[:INVOLVES]->(n:Person) RETURN i.id AS incident, n.id AS entity",
    "Plate": "MATCH (i:Incident)-[:INVOLVES]->(n:Plate) RETURN i.id AS incident, n.id AS entity",
    "Vehicle": "MATCH (i:Incident)-[:INVOLVES]->(n:Vehicle) RETURN i.id AS incident, n.id AS entity",
    "Place": "MATCH (i:Incident)-[:OCCURRED_AT]->(n:Place) RETURN i.id AS incident, n.id AS entity",
}
ANALYTICS_HELD_SERIES = """
MATCH (i:Incident) WHERE i.series_id IS NOT NULL
RETURN i.id AS id, i.series_id AS series_id, i.series_size AS series_size
"""
ANALYTICS_SET_SERIES = """
UNWIND $rows AS row
MATCH (i:Incident {id: row.id})
SET i.series_id = row.series_id, i.series_size = row.series_size
"""
ANALYTICS_CLEAR_SERIES = "UNWIND $ids AS id MATCH (i:Incident {id: id}) REMOVE i.series_id, i.series_size"
ANALYTICS_CATEGORIES = (
    "UNWIND $ids AS id MATCH (i:Incident {id: id}) RETURN i.id AS id, i.category AS category"
)
ANALYTICS_PSEUDONYMS = (
    "UNWIND $ids AS id MATCH (n:Person {id: id}) RETURN n.id AS id, n.pseudonym AS pseudonym"
)
ANALYTICS_PLACE_NAMES = "UNWIND $ids AS id MATCH (n:Place {id: id}) RETURN n.id AS id, n.name AS name"

# ---------------------------------------------------------------- forecasting (recoupe/gnn)

FORECAST_INCIDENTS = """
MATCH (i:Incident) WHERE i.geo_key IS NOT NULL
RETURN i.lat AS lat, i.lon AS lon, i.occurred_from AS starts, i.category AS category
"""
FORECAST_DAMAGE = """
MATCH (i:Incident)-[:DAMAGED]->(s:StreetAsset)
RETURN s.lat AS lat, s.lon AS lon, i.occurred_from AS starts
"""
FORECAST_ASSETS = "MATCH (s:StreetAsset) RETURN s.lat AS lat, s.lon AS lon"
MERGE_CELLS = """
UNWIND $rows AS row
MERGE (c:Cell {id: row.id})
SET c.unit = row.unit, c.lat = row.lat, c.lon = row.lon, c.geometry = row.geometry
"""
REMOVE_FORECASTS = "MATCH (f:Forecast) WHERE f.unit = $unit AND f.horizon = $horizon DETACH DELETE f"
CREATE_FORECASTS = """
UNWIND $rows AS row
MATCH (c:Cell {id: row.cell})
CREATE (f:Forecast {id: row.id})-[:FORECAST_FOR]->(c)
SET f += row.props
"""
TOP_FORECASTS = """
MATCH (f:Forecast)-[:FORECAST_FOR]->(c:Cell)
WHERE ($category IS NULL OR f.category = $category)
RETURN f.id AS id, c.id AS cell, c.lat AS lat, c.lon AS lon, f.category AS category,
       f.probability AS probability, f.rank AS rank, f.horizon AS horizon, f.explanation AS explanation,
       f.valid_from AS valid_from, f.valid_to AS valid_to, f.model_version AS model_version
ORDER BY f.probability DESC
LIMIT $limit
"""
# Cells hold the places and incidents located finely enough to be in one (gnn/forecast.link_cells): an
# address, a street or a landmark, as the forecasts count them (geo_key); a quartier's or the city's centroid
# is in no cell.
CELL_PLACE_POINTS = """
MATCH (p:Place) WHERE p.lat IS NOT NULL AND p.precision IN $located
RETURN p.id AS id, p.lat AS lat, p.lon AS lon
"""
UNLINK_PLACE_CELLS = "MATCH (p:Place)-[r:IN]->(c:Cell) WHERE c.unit = $unit DELETE r"
LINK_PLACES_TO_CELLS = """
UNWIND $rows AS row
MATCH (p:Place {id: row.place}), (c:Cell {id: row.cell})
CREATE (p)-[:IN]->(c)
RETURN count(*) AS linked
"""
# An incident keeps its cell until its text changes (its facts, this link included, are then replaced): only
# those not yet in a cell of the unit are read.
CELL_INCIDENT_POINTS = """
MATCH (i:Incident) WHERE i.geo_key IS NOT NULL AND NOT (i)-[:IN]->(:Cell {unit: $unit})
RETURN i.id AS id, i.lat AS lat, i.lon AS lon
"""
LINK_INCIDENTS_TO_CELLS = """
UNWIND $rows AS row
MATCH (i:Incident {id: row.incident}), (c:Cell {id: row.cell})
CREATE (i)-[:IN]->(c)
RETURN count(*) AS linked
"""
FORECAST_NEAR_REPEAT_PAIRS = """
MATCH (a:Incident)-[:NEAR_REPEAT]->(b:Incident)
WHERE a.occurred_from < $cutoff AND a.geo_key IS NOT NULL AND b.geo_key IS NOT NULL
RETURN a.lat AS lat1, a.lon AS lon1, b.lat AS lat2, b.lon AS lon2
"""
FORECAST_SHARED_PAIRS = {
    label: f"""
MATCH (a:Incident)-[:INVOLVES]->(:{label})<-[:INVOLVES]-(b:Incident)
WHERE a.id < b.id AND a.occurred_from < $cutoff AND b.occurred_from < $cutoff
  AND a.geo_key IS NOT NULL AND b.geo_key IS NOT NULL
RETURN a.lat AS lat1, a.lon AS lon1, b.lat AS lat2, b.lon AS lon2
"""
    for label in ("Person", "Plate", "Vehicle")
}

# ---- web API (recoupe/web/api.py)

_incident_filter = """
MATCH (i:Incident)
WHERE ($low IS NULL OR i.occurred_from >= $low) AND ($high IS NULL OR i.occurred_from < $high)
  AND ($category IS NULL OR i.category = $category) AND ($source IS NULL OR i.source = $source)
OPTIONAL MATCH (i)-[:OCCURRED_AT]->(:Place)-[:IN]->(q:Quartier)
WITH i, q
WHERE $quartier IS NULL OR toUpper(q.name) = toUpper($quartier)
"""
API_COUNT_INCIDENTS = _incident_filter + "RETURN count(i) AS total"
API_INCIDENTS = (
    _incident_filter
    + """
RETURN i.id AS id, i.category AS category, i.occurred_from AS occurred_from, i.occurred_to AS occurred_to,
       i.precision AS precision, i.lat AS lat, i.lon AS lon, i.source AS source, q.name AS quartier
ORDER BY occurred_from DESC, id
SKIP $offset LIMIT $limit
"""
)
# An incident's record in one round trip: its facts, then what the text names, the assets it damaged, its near
# repeats and the cameras that saw it (or were out), each as a list (a pattern comprehension per list, all
# anchored on the incident; sorted by the caller). A person is shown by pseudonym: its id (a keyed hash of the
# name) never leaves the graph.
API_INCIDENT = """
MATCH (i:Incident {id: $id})
OPTIONAL MATCH (i)-[:OCCURRED_AT]->(p:Place)
OPTIONAL MATCH (p)-[:IN]->(q:Quartier)
RETURN i.id AS id, i.text AS text, i.source AS source, i.source_id AS source_id, i.reported_at AS reported_at,
       i.category AS category, i.classifier_category AS classifier_category,
       i.category_confidence AS category_confidence, i.category_source AS category_source,
       i.occurred_from AS occurred_from, i.occurred_to AS occurred_to,
       i.time_source AS time_source, i.precision AS precision, i.lat AS lat, i.lon AS lon,
       i.place_source AS place_source, p.id AS place_id, p.name AS place_name, p.postcode AS postcode,
       q.name AS quartier, i.series_id AS series_id, i.series_size AS series_size,
       [(i)<-[e:EXTRACTED_FROM]-(n) | {label: labels(n)[0],
            entity: CASE WHEN 'Person' IN labels(n) THEN n.pseudonym ELSE n.id END, name: n.name,
            description: n.description, start: e.start, end: e.end,
            role: head([(i)-[r:INVOLVES]->(n) | r.role])}] AS mentions,
       [(i)-[d:DAMAGED]->(s:StreetAsset) | {id: s.id, asset_type: s.asset_type, label: s.label, lat: s.lat,
            lon: s.lon, distance_m: d.distance_m, start: d.start, end: d.end}] AS damaged,
       [(i)-[r:NEAR_REPEAT]-(j:Incident) | {id: j.id, category: j.category, occurred_from: j.occurred_from,
            metres: r.metres, hours: r.hours}] AS near_repeats,
       [(i)-[r:SEEN_BY|MISSED_BY]->(c:Camera) | {camera: c.id, label: c.label, kind: type(r),
            distance_m: r.distance_m, angle_deg: r.angle_deg}] AS cameras
LIMIT 1
"""
API_CAMERA_LABELS = "MATCH (c:Camera) RETURN c.id AS id, c.label AS label"
API_COUNT_FORECASTS = """
MATCH (f:Forecast)
WHERE $category IS NULL OR f.category = $category
RETURN count(f) AS total
"""

# ---- web pages (recoupe/web/pages.py)

WEB_CATEGORY_COUNTS = """
MATCH (i:Incident)
WHERE i.occurred_from >= $low AND i.occurred_from < $high
RETURN i.category AS category, count(*) AS count
"""
WEB_INCIDENTS_BY_SOURCE = "MATCH (i:Incident) RETURN i.source AS source, count(*) AS count"

# ---- map (recoupe/web/map_page.py)

MAP_QUARTIERS = """
MATCH (q:Quartier)
OPTIONAL MATCH (q)-[:IN]->(a:Arrondissement)
RETURN q.id AS id, q.name AS name, a.name AS arrondissement, q.geometry AS geometry
ORDER BY id
"""
_in_box = "s.lat >= $south AND s.lat <= $north AND s.lon >= $west AND s.lon <= $east"
MAP_COUNT_ASSETS = f"MATCH (s:StreetAsset) WHERE {_in_box} RETURN count(s) AS total"
MAP_ASSETS = f"""
MATCH (s:StreetAsset) WHERE {_in_box}
OPTIONAL MATCH (i:Incident)-[:DAMAGED]->(s)
WITH s, count(i) AS damage_count
RETURN s.id AS id, s.asset_type AS asset_type, s.label AS label, s.lat AS lat, s.lon AS lon,
       s.removed_at AS removed_at, damage_count
ORDER BY damage_count DESC, id
LIMIT $limit
"""
# The cells of the latest forecasts (the latest valid_from) in a box, each with its most probable category.
_latest_forecasts = f"""
MATCH (f:Forecast) WHERE $category IS NULL OR f.category = $category
WITH max(f.valid_from) AS latest
MATCH (f:Forecast)-[:FORECAST_FOR]->(s:Cell)
WHERE f.valid_from = latest AND ($category IS NULL OR f.category = $category) AND {_in_box}"""
MAP_COUNT_FORECAST_CELLS = _latest_forecasts + "\nRETURN count(DISTINCT s) AS total"
MAP_FORECAST_CELLS = (
    _latest_forecasts
    + """
WITH s, collect(f) AS found
WITH s, size(found) AS forecasts,
     reduce(top = found[0], x IN found | CASE WHEN x.probability > top.probability THEN x ELSE top END) AS top
RETURN s.id AS cell, s.unit AS unit, s.lat AS lat, s.lon AS lon, s.geometry AS geometry,
       top.category AS category, top.probability AS probability, top.rank AS rank, top.horizon AS horizon,
       top.valid_from AS valid_from, top.valid_to AS valid_to, forecasts
ORDER BY probability DESC, cell
LIMIT $limit
"""
)

# ---- forecasts page (recoupe/web/forecast_page.py)

WEB_FORECAST_RUNS = """
MATCH (f:Forecast)
RETURN f.unit AS unit, f.horizon AS horizon, f.model_version AS model_version, max(f.issued_at) AS issued_at,
       min(f.valid_from) AS valid_from, max(f.valid_to) AS valid_to, count(f) AS forecasts
"""
_web_forecast_filter = """
MATCH (f:Forecast)-[:FORECAST_FOR]->(c:Cell)
WHERE ($category IS NULL OR f.category = $category) AND ($horizon IS NULL OR f.horizon = $horizon)
  AND ($cell IS NULL OR c.id = $cell)
"""
WEB_COUNT_FORECASTS = _web_forecast_filter + "RETURN count(f) AS total"
WEB_FORECASTS = (
    _web_forecast_filter
    + """
RETURN f.id AS id, c.id AS cell, f.category AS category, f.probability AS probability, f.rank AS rank,
       f.horizon AS horizon, f.unit AS unit, f.explanation AS explanation, f.valid_from AS valid_from,
       f.valid_to AS valid_to, f.model_version AS model_version
ORDER BY probability DESC, cell, category
SKIP $offset LIMIT $limit
"""
)
WEB_FORECAST_CELLS = (
    _web_forecast_filter
    + """
RETURN c.id AS cell, c.geometry AS geometry, c.lat AS lat, c.lon AS lon, f.category AS category,
       f.probability AS probability, f.horizon AS horizon
"""
)
WEB_CELL_INCIDENTS = """
UNWIND $cells AS cell
MATCH (c:Cell {id: cell})<-[:IN]-(i:Incident)
WHERE i.occurred_from >= $low AND i.occurred_from < $high AND i.category IN $categories
RETURN c.id AS cell, i.id AS id, i.category AS category, i.occurred_from AS occurred_from
ORDER BY occurred_from DESC, id
"""
ANALYTICS_SET_CENTRALITY = {
    label: f"UNWIND $rows AS row MATCH (n:{label} {{id: row.id}}) SET n.centrality = row.centrality"
    for label in ("Person", "Plate", "Place")
}

# ---- exports (recoupe/graph/export.py): pages by key (`n.id > $after`), never one result of the whole graph;
# anchored on the node looked up by id (begun from an unlabelled or far end, ArcadeDB scans)

EXPORT_LABELS = (
    "Incident", "Person", "Vehicle", "Plate", "Object", "Organisation", "Place", "Quartier", "Arrondissement",
    "Camera", "StreetAsset", "Cell", "Forecast", "Source",
)  # fmt: skip
EXPORT_KEYS = {
    label: f"MATCH (n:{label}) WHERE n.id > $after RETURN n.id AS id ORDER BY id LIMIT $limit"
    for label in EXPORT_LABELS
}
EXPORT_NODES = {
    label: f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN n.id AS id, properties(n) AS props"
    for label in EXPORT_LABELS
}
EXPORT_EDGES_FROM = {
    label: f"UNWIND $ids AS id MATCH (a:{label} {{id: id}})-[r]->(b) "
    "RETURN a.id AS source, a.pseudonym AS source_pseudonym, type(r) AS type, labels(b)[0] AS label, "
    "b.id AS target, b.pseudonym AS pseudonym, properties(r) AS props"
    for label in EXPORT_LABELS
}
EXPORT_NEIGHBOURS = {
    label: f"UNWIND $ids AS id MATCH (a:{label} {{id: id}})-[r]-(b) "
    "RETURN DISTINCT labels(b)[0] AS label, b.id AS id, b.occurred_from AS starts, b.lat AS lat, b.lon AS lon"
    for label in EXPORT_LABELS
}
EXPORT_INCIDENTS_SELECTED = """
MATCH (i:Incident)
WHERE i.id > $after
  AND ($low IS NULL OR i.occurred_from >= $low) AND ($high IS NULL OR i.occurred_from < $high)
  AND ($south IS NULL OR (i.lat >= $south AND i.lat <= $north AND i.lon >= $west AND i.lon <= $east))
RETURN i.id AS id ORDER BY id LIMIT $limit
"""
EXPORT_INCIDENT = "MATCH (i:Incident {id: $id}) RETURN i.id AS id"
EXPORT_PERSON_SPANS = """
UNWIND $ids AS id
MATCH (i:Incident {id: id})<-[e:EXTRACTED_FROM]-(p:Person)
RETURN i.id AS incident, e.start AS start, e.end AS end, p.pseudonym AS pseudonym
"""

# ---------------------------------------------------------------- retention (recoupe/graph/retention.py)

# An incident's time for retention: the end of its occurrence, else its start, else when it was reported.
RETENTION_EXPIRED = """
MATCH (i:Incident)
WHERE coalesce(i.occurred_to, i.occurred_from, i.reported_at) < $cutoff
RETURN i.id AS id ORDER BY id
"""
RETENTION_UNDATED = """
MATCH (i:Incident) WHERE coalesce(i.occurred_to, i.occurred_from, i.reported_at) IS NULL
RETURN count(i) AS count
"""
# What exists only because of incidents:
RETENTION_LABELS = ("Person", "Plate", "Vehicle", "Object", "Organisation", "Place")
RETENTION_INCIDENTS_OF = {
    label: f"UNWIND $ids AS id MATCH (:Incident {{id: id}})--(n:{label}) WITH DISTINCT n "
    "MATCH (n)--(k:Incident) RETURN n.id AS id, collect(DISTINCT k.id) AS incidents"
    for label in RETENTION_LABELS
}
RETENTION_DELETE_NODES = {
    label: f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) DETACH DELETE n" for label in RETENTION_LABELS
}
RETENTION_CLEAR_CENTRALITY = {
    label: f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) REMOVE n.centrality"
    for label in ("Person", "Plate", "Place")
}
RETENTION_LINKS_OUT = """
UNWIND $ids AS id MATCH (:Incident {id: id})-[r]->() RETURN type(r) AS type, count(r) AS count
"""
RETENTION_LINKS_IN = """
UNWIND $ids AS id MATCH (a)-[r]->(:Incident {id: id})
WHERE NOT (a:Incident AND a.id IN $all)
RETURN type(r) AS type, count(r) AS count
"""
RETENTION_DELETE_INCIDENTS = "UNWIND $ids AS id MATCH (i:Incident {id: id}) DETACH DELETE i"
RETENTION_SOURCE_SIZES = """
MATCH (s:Source) OPTIONAL MATCH (s)<-[:EXTRACTED_FROM]-(i:Incident)
RETURN s.id AS id, count(i) AS incidents
"""
RETENTION_SOURCES_OF = """
UNWIND $ids AS id MATCH (:Incident {id: id})-[:EXTRACTED_FROM]->(s:Source)
RETURN s.id AS id, count(*) AS count
"""
RETENTION_DELETE_SOURCES = "UNWIND $ids AS id MATCH (s:Source {id: id}) DETACH DELETE s"
RETENTION_ANALYSED = """
MATCH (n) WHERE n.series_id IS NOT NULL OR n.centrality IS NOT NULL RETURN count(n) AS count
"""
RETENTION_COUNT_FORECASTS = "MATCH (f:Forecast) RETURN count(f) AS count"
RETENTION_DELETE_FORECASTS = "MATCH (f:Forecast) DETACH DELETE f"
