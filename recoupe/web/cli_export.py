"""`recoupe export …`: the graph, or a neighbourhood or a period of it, written as RDF or for other tools.

Reading the selection is `recoupe.graph.export` (the driver's package); RDF is `recoupe.ontology.rdf` (the
only rdflib user); GraphML and GEXF go through networkx in `recoupe.graph`. The group lives here; its commands
are in `cli_export_rdf.py` (rdf) and `cli_export_graphs.py` (graphml, gexf, csv, geojson), imported at the
end so that they register on it.
"""

from __future__ import annotations

from recoupe.web.cli import cli


@cli.group("export")
def export() -> None:
    """Write the graph (or a neighbourhood, or a period) as RDF, GraphML, GEXF, CSV or GeoJSON."""


from recoupe.web import cli_export_graphs, cli_export_rdf  # noqa: E402,F401
