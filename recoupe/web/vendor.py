"""The viewer's front-end libraries: npm packages (pinned by package-lock.json, installed by `make` with
`npm ci --ignore-scripts`) served from `node_modules` by `/vendor/`, which answers only the files on an
allow-list — anything else, `../` included, is a 404. No CDN, and no third-party code in the repository.

| package | used by |
|---|---|
| leaflet, leaflet.markercluster | the map (Carte), the forecasts' map, the incident's small map |
| cytoscape | the explorer (Explorateur) and the console's graph view |
| swagger-ui-dist | the API's interactive documentation (/api/docs) |
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

vendor = Blueprint("vendor", __name__)

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"  # `npm ci` at the repository's root
LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")
FILES = frozenset(
    {
        "leaflet/dist/leaflet.js",
        "leaflet/dist/leaflet.css",
        *(f"leaflet/dist/images/{n}" for n in LEAFLET_IMAGES),
        "leaflet.markercluster/dist/leaflet.markercluster.js",
        "leaflet.markercluster/dist/MarkerCluster.css",
        "leaflet.markercluster/dist/MarkerCluster.Default.css",
        "cytoscape/dist/cytoscape.min.js",
        "swagger-ui-dist/swagger-ui-bundle.js",
        "swagger-ui-dist/swagger-ui.css",
    }
)
MAX_AGE_S = 3600


def installed(name: str) -> bool:
    """Whether an allow-listed file is there (pages say how to install the libraries when not)."""
    return name in FILES and (NODE_MODULES / name).is_file()


@vendor.get("/vendor/<path:name>")
def file(name: str) -> ResponseReturnValue:
    """A file of an npm package, when it is on the allow-list."""
    if not installed(name):
        abort(404)
    return send_from_directory(NODE_MODULES, name, max_age=MAX_AGE_S)
