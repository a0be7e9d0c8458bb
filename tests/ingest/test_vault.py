"""The identity vault: names sealed with AES-GCM apart from the graph, files 0600, a wrong or missing key
fails closed, and ingestion fills it (idempotently) while the graph keeps only pseudonyms."""

from __future__ import annotations

import csv
import sqlite3
import stat
from pathlib import Path

import pytest

from recoupe.graph.connection import Graph
from recoupe.graph.schema import apply_schema
from recoupe.ingest.graph_rows import person_key
from recoupe.ingest.pipeline import Ingestor
from recoupe.ingest.vault import Sighting, Vault
from recoupe.ingest.vault_key import VaultLocked, next_path
from recoupe.nlp.extract import Extractor
from recoupe.ontology.errors import NotFound
from recoupe.ontology.loader import ontology

KEY = bytes(32)
BENALI = Sighting("a" * 24, "P-AAAAAAAA", "Karim BENALI", "T:1")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_and_file_modes(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    again = Sighting(BENALI.person_id, BENALI.pseudonym, "BENALI Karim", "T:2")
    assert vault.keep([BENALI, again, BENALI]) == 2
    assert vault.keep([BENALI]) == 0  # idempotent
    (found,) = Vault(tmp_path).reveal("P-AAAAAAAA")  # a fresh instance reads the key from its file
    assert found.as_dict() == {
        "pseudonym": "P-AAAAAAAA",
        "names": [
            {"name": "BENALI Karim", "incidents": ["T:2"]},
            {"name": "Karim BENALI", "incidents": ["T:1"]},
        ],
    }
    assert vault.count() == 1
    assert _mode(tmp_path / "secrets" / "vault.key") == 0o600 and _mode(tmp_path / "secrets") == 0o700
    assert _mode(vault.path) == 0o600 and _mode(vault.dir) == 0o700
    assert b"BENALI" not in vault.path.read_bytes()  # sealed, not merely stored
    with pytest.raises(NotFound):
        vault.reveal("P-NOBODY00")


def test_a_wrong_key_fails_closed(tmp_path: Path) -> None:
    Vault(tmp_path).keep([BENALI])
    sealed = Vault(tmp_path).path.read_bytes()
    (tmp_path / "secrets" / "vault.key").write_text("11" * 32 + "\n")
    with pytest.raises(VaultLocked, match="does not open"):
        Vault(tmp_path).reveal("P-AAAAAAAA")
    other = Sighting(BENALI.person_id, BENALI.pseudonym, "K. BENALI", "T:9")
    with pytest.raises(VaultLocked):
        Vault(tmp_path).keep([other])  # nothing is overwritten with the wrong key
    assert Vault(tmp_path).path.read_bytes() == sealed


def test_a_missing_or_open_key_fails_closed(tmp_path: Path) -> None:
    Vault(tmp_path).keep([BENALI])
    key = tmp_path / "secrets" / "vault.key"
    key.chmod(0o644)
    with pytest.raises(VaultLocked, match="readable by other users"):
        Vault(tmp_path).reveal("P-AAAAAAAA")
    key.unlink()
    with pytest.raises(VaultLocked, match=r"key .* is missing"):
        Vault(tmp_path).reveal("P-AAAAAAAA")
    assert not key.exists()  # no new key that would seal new names beside unreadable old ones


def test_a_blob_moved_to_another_person_does_not_open(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    vault.keep([BENALI, Sighting("b" * 24, "P-BBBBBBBB", "Nadia DUPONT", "T:3")])
    with sqlite3.connect(vault.path) as conn:
        sealed = conn.execute("SELECT sealed FROM identities WHERE person_id = ?", ("a" * 24,)).fetchone()[0]
        conn.execute("UPDATE identities SET sealed = ? WHERE person_id = ?", (sealed, "b" * 24))
    with pytest.raises(VaultLocked):
        vault.reveal("P-BBBBBBBB")


def test_ingestion_fills_the_vault_and_the_graph_keeps_no_name(graph: Graph, tmp_path: Path) -> None:
    apply_schema(graph, ontology())
    logs = tmp_path / "logs.csv"
    with open(logs, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "reported_at", "source", "text"])
        writer.writerow(["1", "2025-03-14T23:40:00+01:00", "PM",
                         "Vol à l'arraché rue Paradis vers 23h, victime Mme Nadia BENALI."])  # fmt: skip
        writer.writerow(["2", "2025-03-15T10:00:00+01:00", "PM",
                         "Nouvelle plainte de Mme BENALI Nadia pour menaces, rue Paradis."])  # fmt: skip
    vault = Vault(tmp_path / "home")
    ingestor = Ingestor(graph, Extractor(), KEY, vault=vault)
    assert ingestor.ingest_file(logs).created == 2
    pseudonym = "P-" + person_key("Nadia BENALI", KEY)[:8].upper()
    (identity,) = vault.reveal(pseudonym)
    names = identity.as_dict()["names"]
    assert {n["name"] for n in names} == {"Nadia BENALI", "BENALI Nadia"}
    assert sorted(i for n in names for i in n["incidents"]) == ["PM:1", "PM:2"]
    sealed = vault.path.read_bytes()
    assert ingestor.ingest_file(logs).unchanged == 2 and vault.path.read_bytes() == sealed  # idempotent
    with graph.session() as session:  # the graph: keyed id and pseudonym, no name
        persons = [dict(r["p"]) for r in session.run("MATCH (p:Person) RETURN p")]
    assert [p["pseudonym"] for p in persons] == [pseudonym]
    assert "BENALI" not in repr(persons)


def test_the_vault_keeps_the_original_text_and_a_changed_log_replaces_it(
    graph: Graph, tmp_path: Path
) -> None:
    """The graph's text has the pseudonym, the vault the text as written; a changed log's text is replaced
    there, and a name read only in its earlier version no longer points at it."""
    apply_schema(graph, ontology())
    first = "Vol à l'arraché rue Paradis vers 23h, victime Mme Nadia BENALI."
    header = ["id", "reported_at", "source", "text"]
    logs = _logs(tmp_path / "logs.csv", header, [["1", "2025-03-14T23:40:00+01:00", "PM", first]])
    vault = Vault(tmp_path / "home")
    ingestor = Ingestor(graph, Extractor(), KEY, vault=vault)
    assert ingestor.ingest_file(logs).created == 1
    nadia = "P-" + person_key("Nadia BENALI", KEY)[:8].upper()
    with graph.session() as session:
        stored = session.run("MATCH (i:Incident {id: 'PM:1'}) RETURN i.text AS t").single(strict=True)["t"]
    assert stored == first.replace("Nadia BENALI", nadia)
    assert vault.original("PM:1") == first and b"BENALI" not in vault.path.read_bytes()
    second = "Vol à l'arraché rue Paradis vers 23h, victime M. Paul DURAND."
    _logs(logs, header, [["1", "2025-03-14T23:40:00+01:00", "PM", second]])
    assert ingestor.ingest_file(logs).updated == 1
    assert vault.original("PM:1") == second
    with pytest.raises(NotFound):
        vault.reveal(nadia)  # read only in the earlier version: gone with it
    (paul,) = vault.reveal("P-" + person_key("Paul DURAND", KEY)[:8].upper())
    assert paul.names == {"Paul DURAND": ["PM:1"]}
    with pytest.raises(NotFound):
        vault.original("PM:2")


def _logs(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_forget_erases_texts_and_sightings_and_a_dry_run_only_counts(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    dupont = Sighting("b" * 24, "P-BBBBBBBB", "Nadia DUPONT", "T:3")
    vault.keep([BENALI, Sighting(BENALI.person_id, BENALI.pseudonym, "K. BENALI", "T:2"), dupont],
               {"T:1": "victime Karim BENALI", "T:2": "K. BENALI revu", "T:3": "Nadia DUPONT"})  # fmt: skip
    sealed = vault.path.read_bytes()
    expected = {"texts": 2, "persons_updated": 1, "persons_removed": 1}
    assert vault.forget(["T:1", "T:3", "T:9"], dry_run=True) == expected
    assert vault.path.read_bytes() == sealed  # a dry run touches nothing
    assert vault.forget(["T:1", "T:3", "T:9"]) == expected
    (benali,) = vault.reveal("P-AAAAAAAA")
    assert benali.names == {"K. BENALI": ["T:2"]}
    with pytest.raises(NotFound):
        vault.reveal("P-BBBBBBBB")
    with pytest.raises(NotFound):
        vault.original("T:1")
    assert vault.original("T:2") == "K. BENALI revu"
    with sqlite3.connect(vault.path) as conn:
        assert conn.execute("SELECT incident, person_id FROM seen_in").fetchall() == [("T:2", "a" * 24)]
    assert vault.forget(["T:1"]) == {"texts": 0, "persons_updated": 0, "persons_removed": 0}
    assert Vault(tmp_path / "none").forget(["T:1"])["texts"] == 0 and not (tmp_path / "none").exists()


def test_a_vault_from_before_the_index_is_indexed_once(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    vault.keep([BENALI])
    with sqlite3.connect(vault.path) as conn:  # as a vault written before `seen_in` existed
        conn.execute("DROP TABLE seen_in")
        conn.execute("PRAGMA user_version = 0")
    assert vault.forget(["T:1"]) == {"texts": 0, "persons_updated": 0, "persons_removed": 1}
    assert vault.count() == 0


def _blob(vault: Vault) -> tuple[str, bytes]:
    with sqlite3.connect(vault.path) as conn:
        found: tuple[str, bytes] = conn.execute("SELECT person_id, sealed FROM identities").fetchone()
    return found


def _opens(key_hex: str, person_id: str, sealed: bytes) -> bool:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        AESGCM(bytes.fromhex(key_hex)).decrypt(sealed[:12], sealed[12:], person_id.encode())
    except InvalidTag:
        return False
    return True


def test_rotation_reseals_everything_and_the_old_key_opens_nothing(tmp_path: Path) -> None:
    vault, key = Vault(tmp_path), tmp_path / "secrets" / "vault.key"
    vault.keep([BENALI], {"T:1": "victime Karim BENALI"})
    old = key.read_text().strip()
    assert vault.rotate() == {"persons": 1, "texts": 1}
    new = key.read_text().strip()
    assert new != old and _mode(key) == 0o600 and not next_path(key).exists()
    person_id, sealed = _blob(vault)
    assert _opens(new, person_id, sealed) and not _opens(old, person_id, sealed)
    fresh = Vault(tmp_path)  # reads the new key from its file
    assert fresh.reveal("P-AAAAAAAA")[0].names == {"Karim BENALI": ["T:1"]}
    assert fresh.original("T:1") == "victime Karim BENALI"


def test_a_process_holding_the_old_key_follows_a_rotation(tmp_path: Path) -> None:
    before = Vault(tmp_path)  # a long ingestion that read the key before the rotation
    before.keep([BENALI])
    Vault(tmp_path).rotate()
    dupont = Sighting("b" * 24, "P-BBBBBBBB", "Nadia DUPONT", "T:3")
    before.keep([dupont])  # sealed with the new key, not the one it held
    assert Vault(tmp_path).reveal("P-BBBBBBBB")[0].names == {"Nadia DUPONT": ["T:3"]}


def test_a_rotation_killed_after_its_commit_is_finished_by_the_next_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, key = Vault(tmp_path), tmp_path / "secrets" / "vault.key"
    vault.keep([BENALI])
    old = key.read_text()

    def killed(key_path: Path) -> None:
        raise KeyboardInterrupt  # the process dies between the commit and the rename

    monkeypatch.setattr("recoupe.ingest.vault.vault_key.finish_rotation", killed)
    with pytest.raises(KeyboardInterrupt):
        vault.rotate()
    monkeypatch.undo()
    assert key.read_text() == old and next_path(key).exists()  # the vault is sealed with the next key
    assert Vault(tmp_path).reveal("P-AAAAAAAA")[0].names == {"Karim BENALI": ["T:1"]}
    assert not next_path(key).exists() and key.read_text() != old  # the rename was finished


def test_a_rotation_killed_before_its_commit_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault, key = Vault(tmp_path), tmp_path / "secrets" / "vault.key"
    vault.keep([BENALI])
    sealed, old = vault.path.read_bytes(), key.read_text()

    def killed(*args: object) -> bytes:
        raise KeyboardInterrupt  # dies while resealing

    monkeypatch.setattr(Vault, "_seal", killed)
    with pytest.raises(KeyboardInterrupt):
        vault.rotate()
    monkeypatch.undo()
    assert vault.path.read_bytes() == sealed and key.read_text() == old
    assert Vault(tmp_path).reveal("P-AAAAAAAA")[0].names == {"Karim BENALI": ["T:1"]}
    assert Vault(tmp_path).rotate() == {"persons": 1, "texts": 0}  # the leftover next key is replaced


def test_a_wrong_key_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    Vault(tmp_path).keep([BENALI])
    sealed = Vault(tmp_path).path.read_bytes()
    (tmp_path / "secrets" / "vault.key").write_text("22" * 32 + "\n")
    dupont = Sighting("b" * 24, "P-BBBBBBBB", "Nadia DUPONT", "T:3")  # a new person: no blob to open
    with pytest.raises(VaultLocked, match="does not open"):
        Vault(tmp_path).keep([dupont], {"T:3": "Nadia DUPONT"})
    assert Vault(tmp_path).path.read_bytes() == sealed


def test_there_is_nothing_to_rotate_without_a_vault(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no identity vault"):
        Vault(tmp_path).rotate()
    assert not (tmp_path / "vault").exists() and not (tmp_path / "secrets").exists()
