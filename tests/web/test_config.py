"""Settings: declared once, layered (defaults < instance file < environment < test config), documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from recoupe import __version__
from recoupe.ontology.errors import InvalidInput, NotFound
from recoupe.web import create_app
from recoupe.web.config import SETTINGS, describe, load_config, markdown_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_is_the_declared_settings() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8")
    assert len(markdown_table().splitlines()) == len(SETTINGS) + 2


def test_layers_in_order(tmp_path: Path) -> None:
    instance = tmp_path / "recoupe.toml"
    instance.write_text('graph_heap = "2g"\ngraph_bolt_port = 7700\nhome = "/srv/recoupe"\n')
    env = {"RECOUPE_CONFIG": str(instance), "RECOUPE_GRAPH_BOLT_PORT": "7800", "UNRELATED": "x"}
    config = load_config(env, {"RECOUPE_HOME": "/tmp/test-home"})
    assert config["RECOUPE_GRAPH_HEAP"] == "2g"  # from the file
    assert config["RECOUPE_GRAPH_BOLT_PORT"] == 7800  # the environment beats the file, and is parsed
    assert config["RECOUPE_HOME"] == "/tmp/test-home"  # the test configuration beats everything
    assert config["RECOUPE_GRAPH_HTTP_PORT"] == 2480  # default
    assert config["_origin"]["RECOUPE_GRAPH_HEAP"] == str(instance)
    assert config["_origin"]["RECOUPE_GRAPH_BOLT_PORT"] == "environment"


def test_unknown_key_in_instance_file(tmp_path: Path) -> None:
    instance = tmp_path / "recoupe.toml"
    instance.write_text("graph_hepa = '2g'\n")
    with pytest.raises(InvalidInput, match="unknown setting 'graph_hepa'") as err:
        load_config({"RECOUPE_CONFIG": str(instance)})
    assert "graph_heap" in err.value.hint


def test_named_instance_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        load_config({"RECOUPE_CONFIG": str(tmp_path / "missing.toml")})


def test_broken_toml(tmp_path: Path) -> None:
    instance = tmp_path / "recoupe.toml"
    instance.write_text("graph_heap = \n")
    with pytest.raises(InvalidInput, match="cannot be read as TOML"):
        load_config({"RECOUPE_CONFIG": str(instance)})


def test_passwords_are_masked() -> None:
    rows = {r["name"]: r for r in describe(load_config({"RECOUPE_GRAPH_PASSWORD": "s3cret"}))}
    assert rows["RECOUPE_GRAPH_PASSWORD"]["value"] == "***"
    assert "s3cret" not in repr(rows)


def test_app_health_and_api_error_shape() -> None:
    app: Flask = create_app({"TESTING": True})

    def missing() -> None:
        raise NotFound("No incident logs:42", "check the identifier")

    app.add_url_rule("/api/missing", view_func=missing)
    app.add_url_rule("/missing", "missing_page", view_func=missing)
    client = app.test_client()
    assert client.get("/api/health").get_json() == {"status": "ok", "version": __version__}
    response = client.get("/api/missing")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {"code": "not_found", "message": "No incident logs:42", "hint": "check the identifier"}
    }
    page = client.get("/missing")
    assert page.status_code == 404 and b"No incident logs:42" in page.data and b"Traceback" not in page.data
