"""A statement running past RECOUPE_GRAPH_COMMAND_TIMEOUT is aborted by the embedded server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from recoupe.graph.connection import connect
from recoupe.graph.server import EmbeddedServer
from recoupe.ontology.errors import GraphQueryError
from tests.conftest import settings_for


@pytest.mark.slow
def test_long_statement_is_aborted(tmp_path: Path) -> None:
    server = EmbeddedServer(settings_for(tmp_path / "home", command_timeout_s=1.0))
    server.start(tie_to_parent=True)
    try:
        with connect(server.target()) as g:
            began = time.monotonic()
            with pytest.raises(GraphQueryError) as err, g.session() as s:
                s.run(
                    "UNWIND range(1, 3000000) AS x UNWIND range(1, 1000) AS y WITH x * y AS z WHERE z % 7 = 0 RETURN count(*) AS c"
                ).consume()
            assert time.monotonic() - began < 20
            assert "time limit" in err.value.hint
            with g.session() as s:  # the server is still serving
                assert s.run("RETURN 1 AS ok").single()["ok"] == 1
    finally:
        server.stop()
