"""The graph: the only user of the neo4j driver. Connection, embedded server, schema, queries, wrappers."""
