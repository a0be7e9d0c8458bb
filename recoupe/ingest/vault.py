"""The identity vault: the names behind the persons' pseudonyms and the logs' original texts, encrypted,
apart from the graph.

The graph knows a person by a keyed hash of the name (`id`) and a pseudonym, and an incident by its text with
every person mention replaced by a pseudonym; the names as written, the incidents they were read in and the
original texts live only here: SQLite `RECOUPE_HOME/vault/identities.db` (mode 0600, directory 0700), one
AES-256-GCM sealed blob per person (its person id as associated data: a blob moved to another row does not
open) and one per incident's text (its incident id as associated data). `seen_in` indexes which persons were
read in which incidents (keyed ids only, as the graph's own EXTRACTED_FROM do), so that a changed log or a
purge finds the blobs to reseal without opening every one. The key is `RECOUPE_HOME/secrets/vault.key`
(0600), created on first use. A wrong or missing key fails closed: VaultLocked, never a partial answer, and
nothing is overwritten (docs/privacy.md).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recoupe.ingest import vault_key
from recoupe.ingest.vault_key import VaultLocked
from recoupe.ontology.errors import NotFound

if TYPE_CHECKING:  # the graph's driver and the cipher load when used, not with `recoupe --help`
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from recoupe.graph.incidents import IncidentBatch

NONCE = 12  # bytes, AES-GCM's standard nonce, random for every seal
SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
    person_id TEXT PRIMARY KEY, pseudonym TEXT NOT NULL, sealed BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS identities_pseudonym ON identities (pseudonym);
CREATE TABLE IF NOT EXISTS texts (incident TEXT PRIMARY KEY, sealed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS seen_in (
    incident TEXT NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (incident, person_id));
CREATE INDEX IF NOT EXISTS seen_in_person ON seen_in (person_id);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
VERSION = 1  # PRAGMA user_version: 1 once `seen_in` indexes every identity (vaults of version 0 predate it)
IN_IDS = "IN (SELECT value FROM json_each(?))"  # one parameter for any number of ids: json.dumps(ids)


@dataclass(frozen=True)
class Sighting:
    """One person mention: the person's keyed id and pseudonym, the name as written, the incident."""

    person_id: str
    pseudonym: str
    name: str
    incident: str


@dataclass(frozen=True)
class Identity:
    """What the vault holds about one person: each name as written and the incidents it was read in."""

    person_id: str
    pseudonym: str
    names: dict[str, list[str]]

    def as_dict(self) -> dict[str, Any]:
        """The answer of a reveal (the keyed id stays here: it is a hash of the name)."""
        return {
            "pseudonym": self.pseudonym,
            "names": [{"name": n, "incidents": list(i)} for n, i in sorted(self.names.items())],
        }


def sightings(batch: IncidentBatch) -> list[Sighting]:
    """The person mentions of an ingestion batch, with their names as written in the incidents' texts."""
    texts = {row["id"]: row["props"]["text"] for row in batch.incidents}
    pseudonyms = {node["id"]: node["pseudonym"] for node in batch.nodes.get("Person", [])}
    return [
        Sighting(e["id"], pseudonyms[e["id"]], texts[e["incident"]][e["start"] : e["end"]], e["incident"])
        for e in batch.evidence.get("Person", [])
    ]


class Vault:
    """The identity vault of one data directory."""

    def __init__(self, home: Path) -> None:
        self.dir = home / "vault"
        self.path = self.dir / "identities.db"
        self.key_path = home / "secrets" / "vault.key"
        self._cipher: AESGCM | None = None
        self._check = ""  # vault_key.key_check of the key in use

    # ------------------------------------------------------------------ key and file

    def _aead(self) -> AESGCM:
        if self._cipher is None:
            self._use(self._key())
        assert self._cipher is not None
        return self._cipher

    def _use(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._cipher, self._check = AESGCM(key), vault_key.key_check(key)

    def _key(self) -> bytes:
        """The key in its file; created when there is neither key nor vault."""
        if not self.key_path.exists():
            if self.path.exists():  # a new key would seal new names and lose every earlier one
                raise VaultLocked(
                    f"The identity vault {self.path} exists but its key {self.key_path} is missing",
                    f"restore {self.key_path} from the backup of the data directory",
                )
            vault_key.create_key(self.key_path)
        return vault_key.read_key(self.key_path)

    def _check_key(self, conn: sqlite3.Connection) -> None:
        """Make sure this transaction holds the key that sealed the vault (vault_key.py): the one in use, else
        the one on disk now (another process rotated it), else `vault.key.next` (a rotation killed before its
        rename: finished here). A vault without a recorded check gets it, once one blob opens."""
        row = conn.execute("SELECT value FROM meta WHERE name = 'key_check'").fetchone()
        if row is None:
            one = (
                "SELECT person_id, sealed FROM identities UNION ALL SELECT incident, sealed FROM texts"
                " LIMIT 1"
            )
            sealed = conn.execute(one).fetchone()
            if sealed is not None:
                self._open(sealed[0], sealed[1])  # raises VaultLocked with a wrong key
            conn.execute("INSERT INTO meta VALUES ('key_check', ?)", (self._check,))
            return
        if row[0] == self._check:
            return
        for path in (self.key_path, vault_key.next_path(self.key_path)):
            key = vault_key.read_key(path) if path.exists() else None
            if key is not None and vault_key.key_check(key) == row[0]:
                if path != self.key_path:
                    vault_key.finish_rotation(self.key_path)
                self._use(key)
                return
        raise VaultLocked(
            f"The identity vault {self.path} does not open with the key {self.key_path}",
            "restore the key that sealed it (or the vault that goes with this key)",
        )

    @contextmanager
    def _db(self, commit: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction on the vault file (created 0600 in a 0700 directory); rolled back, not
        committed, when `commit` is False (a dry run)."""
        self._aead()  # the key first: no file is made for a vault that could not be opened
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        mode = stat.S_IMODE(self.path.stat().st_mode)
        if mode & 0o077:
            raise VaultLocked(f"The identity vault {self.path} is readable by other users (mode {mode:04o})",
                              f"run `chmod 600 {self.path}`")  # fmt: skip
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            conn.executescript(SCHEMA)
            conn.execute("BEGIN IMMEDIATE")
            self._check_key(conn)
            self._index_identities(conn)
            yield conn
            conn.execute("COMMIT" if commit else "ROLLBACK")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def _index_identities(self, conn: sqlite3.Connection) -> None:
        """Fill `seen_in` from the identities of a vault written before it existed (once)."""
        if conn.execute("PRAGMA user_version").fetchone()[0] >= VERSION:
            return
        for person_id, sealed in conn.execute("SELECT person_id, sealed FROM identities").fetchall():
            self._index(conn, person_id, self._names(person_id, sealed))
        conn.execute(f"PRAGMA user_version = {VERSION}")

    def _seal(self, associated: str, plain: bytes, cipher: AESGCM | None = None) -> bytes:
        nonce = secrets.token_bytes(NONCE)
        return nonce + (cipher or self._aead()).encrypt(nonce, plain, associated.encode("utf-8"))

    def _open(self, associated: str, sealed: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead().decrypt(sealed[:NONCE], sealed[NONCE:], associated.encode("utf-8"))
        except InvalidTag:
            raise VaultLocked(
                f"The identity vault {self.path} does not open with the key {self.key_path}",
                "restore the key that sealed it (or the vault that goes with this key)",
            ) from None

    def _names(self, person_id: str, sealed: bytes) -> dict[str, list[str]]:
        names: dict[str, list[str]] = json.loads(self._open(person_id, sealed))
        return names

    def _seal_names(self, person_id: str, names: dict[str, list[str]]) -> bytes:
        return self._seal(person_id, json.dumps(names, sort_keys=True, ensure_ascii=False).encode("utf-8"))

    # ------------------------------------------------------------------ persons

    def _index(self, conn: sqlite3.Connection, person_id: str, names: Mapping[str, list[str]]) -> None:
        """`seen_in` for one person: the incidents of its names, nothing else."""
        conn.execute("DELETE FROM seen_in WHERE person_id = ?", (person_id,))
        incidents = sorted({i for found in names.values() for i in found})
        conn.executemany("INSERT INTO seen_in VALUES (?, ?)", [(i, person_id) for i in incidents])

    def _persons_in(self, conn: sqlite3.Connection, incidents: Iterable[str]) -> set[str]:
        """The persons read in any of `incidents`."""
        found = conn.execute(
            f"SELECT person_id FROM seen_in WHERE incident {IN_IDS}", (json.dumps(list(incidents)),)
        )
        return {r[0] for r in found}

    def _rewrite(
        self, conn: sqlite3.Connection, person_id: str, pseudonym: str | None,
        drop: set[str], add: Iterable[Sighting],
    ) -> tuple[int, bool]:  # fmt: skip
        """One person's names without the incidents `drop`, with the sightings `add`; the row deleted when no
        incident is left. Returns the (name, incident) pairs added and whether the person stays."""
        query = "SELECT pseudonym, sealed FROM identities WHERE person_id = ?"
        row = conn.execute(query, (person_id,)).fetchone()
        before = self._names(person_id, row[1]) if row else {}
        names = {n: [i for i in found if i not in drop] for n, found in before.items()}
        for s in add:
            names[s.name] = sorted({*names.get(s.name, []), s.incident})
        names = {n: found for n, found in names.items() if found}
        if not names:
            conn.execute("DELETE FROM identities WHERE person_id = ?", (person_id,))
        elif names != before or row is None:
            conn.execute(
                "INSERT INTO identities VALUES (?, ?, ?) ON CONFLICT (person_id) DO UPDATE"
                " SET pseudonym = excluded.pseudonym, sealed = excluded.sealed",
                (person_id, pseudonym or row[0], self._seal_names(person_id, names)),
            )
        if names != before or row is None:
            self._index(conn, person_id, names)
        pairs = {(n, i) for n, found in names.items() for i in found}
        return len(pairs - {(n, i) for n, found in before.items() for i in found}), bool(names)

    # ------------------------------------------------------------------ texts

    def _keep_text(self, conn: sqlite3.Connection, incident: str, text: str) -> None:
        """The incident's original text, sealed; left as it is when it already holds this text."""
        row = conn.execute("SELECT sealed FROM texts WHERE incident = ?", (incident,)).fetchone()
        if row is not None and self._open(incident, row[0]).decode("utf-8") == text:
            return
        conn.execute(
            "INSERT INTO texts VALUES (?, ?) ON CONFLICT (incident) DO UPDATE SET sealed = excluded.sealed",
            (incident, self._seal(incident, text.encode("utf-8"))),
        )

    # ------------------------------------------------------------------ use

    def keep(self, seen: Iterable[Sighting], texts: Mapping[str, str] | None = None) -> int:
        """Add each sighting's name and incident to its person (idempotent); the number of new pairs. With
        `texts` (incident → original text, every incident of an ingestion batch), also keep those texts,
        and take the sightings as all that was read in those incidents: a person read only in an earlier
        version of one loses it."""
        by_person: dict[str, list[Sighting]] = {}
        for s in seen:
            by_person.setdefault(s.person_id, []).append(s)
        texts = texts or {}
        if not by_person and not texts:
            return 0
        added = 0
        with self._db() as conn:
            for incident, text in sorted(texts.items()):
                self._keep_text(conn, incident, text)
            for person_id in sorted(set(by_person) | self._persons_in(conn, texts)):
                items = by_person.get(person_id, [])
                pseudonym = items[0].pseudonym if items else None
                added += self._rewrite(conn, person_id, pseudonym, set(texts), items)[0]
        return added

    def forget(self, incidents: Iterable[str], dry_run: bool = False) -> dict[str, int]:
        """Erase the texts of `incidents` and their persons' sightings in them (a person left with none goes
        entirely); with `dry_run`, count only. Counts: texts, persons updated, persons removed."""
        ids = sorted(set(incidents))
        counts = {"texts": 0, "persons_updated": 0, "persons_removed": 0}
        if not ids or not self.path.exists():  # no vault: nothing to erase, and none is created
            return counts
        with self._db(commit=not dry_run) as conn:
            erased = conn.execute(f"DELETE FROM texts WHERE incident {IN_IDS}", (json.dumps(ids),))
            counts["texts"] = erased.rowcount
            for person_id in sorted(self._persons_in(conn, ids)):
                stays = self._rewrite(conn, person_id, None, set(ids), ())[1]
                counts["persons_updated" if stays else "persons_removed"] += 1
        return counts

    def original(self, incident: str) -> str:
        """The original text of an incident, as the log gave it; NotFound when the vault has none."""
        with self._db() as conn:
            row = conn.execute("SELECT sealed FROM texts WHERE incident = ?", (incident,)).fetchone()
        if row is None:
            raise NotFound(f"Aucun texte original pour l'incident « {incident} » dans le coffre.",
                           "seuls les journaux ingérés avec le coffre y ont leur texte")  # fmt: skip
        return self._open(incident, row[0]).decode("utf-8")

    def reveal(self, pseudonym: str) -> list[Identity]:
        """The identities behind a pseudonym (one, unless two keyed hashes share their first 32 bits);
        NotFound when the vault has none."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT person_id, sealed FROM identities WHERE pseudonym = ? ORDER BY person_id",
                (pseudonym,),
            ).fetchall()
        if not rows:
            raise NotFound(f"Aucune identité pour « {pseudonym} » dans le coffre.",
                           "un pseudonyme s'écrit P-XXXXXXXX (voir la page de la personne)")  # fmt: skip
        return [Identity(pid, pseudonym, self._names(pid, sealed)) for pid, sealed in rows]

    def rotate(self) -> dict[str, int]:
        """Reseal every blob under a new key, then make it the key (vault_key.py); the old key opens nothing
        afterwards. Counts: persons and texts resealed."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not self.path.exists():
            raise NotFound(f"There is no identity vault in {self.dir}", "nothing to rotate yet")
        with self._db() as conn:
            key = vault_key.write_next(self.key_path)
            cipher, counts = AESGCM(key), {"persons": 0, "texts": 0}
            tables = (("identities", "person_id", "persons"), ("texts", "incident", "texts"))
            for table, column, counted in tables:
                for ident, sealed in conn.execute(f"SELECT {column}, sealed FROM {table}").fetchall():
                    resealed = self._seal(ident, self._open(ident, sealed), cipher)
                    conn.execute(f"UPDATE {table} SET sealed = ? WHERE {column} = ?", (resealed, ident))
                    counts[counted] += 1
            conn.execute("UPDATE meta SET value = ? WHERE name = 'key_check'", (vault_key.key_check(key),))
        vault_key.finish_rotation(self.key_path)
        self._use(key)
        return counts

    def count(self) -> int:
        """How many persons the vault holds."""
        with self._db() as conn:
            return int(conn.execute("SELECT count(*) FROM identities").fetchone()[0])
