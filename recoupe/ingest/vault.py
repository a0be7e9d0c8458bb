"""The identity vault: the names behind the persons' pseudonyms, encrypted, apart from the graph.

The graph knows a person by a keyed hash of the name (`id`) and a pseudonym; the names as written, and the
incidents they were read in, live only here: SQLite `RECOUPE_HOME/vault/identities.db` (mode 0600, directory
0700), one AES-256-GCM sealed blob per person, its row's person id as associated data (a blob moved to another
row does not open). The key is `RECOUPE_HOME/secrets/vault.key` (0600), created on first use. A wrong or
missing key fails closed: VaultLocked, never a partial answer, and nothing is overwritten (docs/privacy.md).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recoupe.ontology.errors import DataDirError, NotFound

if TYPE_CHECKING:  # the graph's driver and the cipher load when used, not with `recoupe --help`
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from recoupe.graph.incidents import IncidentBatch

NONCE = 12  # bytes, AES-GCM's standard nonce, random for every seal
SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
    person_id TEXT PRIMARY KEY, pseudonym TEXT NOT NULL, sealed BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS identities_pseudonym ON identities (pseudonym);
"""


class VaultLocked(DataDirError):
    """The vault cannot be opened: key missing, unreadable, too open, or not the one that sealed it."""

    code = "vault_locked"


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

    # ------------------------------------------------------------------ key and file

    def _aead(self) -> AESGCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._cipher is None:
            self._cipher = AESGCM(self._key())
        return self._cipher

    def _key(self) -> bytes:
        """The key; created (0600, exclusively: two first runs cannot pick two) when there is no vault."""
        if not self.key_path.exists():
            if self.path.exists():  # a new key would seal new names and lose every earlier one
                raise VaultLocked(
                    f"The identity vault {self.path} exists but its key {self.key_path} is missing",
                    f"restore {self.key_path} from the backup of the data directory",
                )
            self.key_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it just now: use that one
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
        mode = stat.S_IMODE(self.key_path.stat().st_mode)
        if mode & 0o077:
            raise VaultLocked(f"The vault key {self.key_path} is readable by other users (mode {mode:04o})",
                              f"run `chmod 600 {self.key_path}`")  # fmt: skip
        try:
            key = bytes.fromhex(self.key_path.read_text(encoding="utf-8").strip())
        except ValueError:
            key = b""
        if len(key) != 32:
            raise VaultLocked(f"The vault key {self.key_path} is not a 256-bit hex key",
                              f"restore {self.key_path} from the backup of the data directory")  # fmt: skip
        return key

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the vault file (created 0600 in a 0700 directory)."""
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
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def _seal(self, person_id: str, names: dict[str, list[str]]) -> bytes:
        nonce = secrets.token_bytes(NONCE)
        plain = json.dumps(names, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return nonce + self._aead().encrypt(nonce, plain, person_id.encode("utf-8"))

    def _open(self, person_id: str, sealed: bytes) -> dict[str, list[str]]:
        from cryptography.exceptions import InvalidTag

        try:
            plain = self._aead().decrypt(sealed[:NONCE], sealed[NONCE:], person_id.encode("utf-8"))
        except InvalidTag:
            raise VaultLocked(
                f"The identity vault {self.path} does not open with the key {self.key_path}",
                "restore the key that sealed it (or the vault that goes with this key)",
            ) from None
        names: dict[str, list[str]] = json.loads(plain)
        return names

    # ------------------------------------------------------------------ use

    def keep(self, seen: Iterable[Sighting]) -> int:
        """Add each sighting's name and incident to its person (idempotent); the number of new pairs."""
        by_person: dict[str, list[Sighting]] = {}
        for s in seen:
            by_person.setdefault(s.person_id, []).append(s)
        if not by_person:
            return 0
        added = 0
        with self._db() as conn:
            for person_id, items in sorted(by_person.items()):
                row = conn.execute(
                    "SELECT sealed FROM identities WHERE person_id = ?", (person_id,)
                ).fetchone()
                names = self._open(person_id, row[0]) if row else {}
                before = sum(len(v) for v in names.values())
                for s in items:
                    names[s.name] = sorted({*names.get(s.name, []), s.incident})
                grown = sum(len(v) for v in names.values()) - before
                if grown or row is None:
                    conn.execute(
                        "INSERT INTO identities VALUES (?, ?, ?) ON CONFLICT (person_id) DO UPDATE"
                        " SET pseudonym = excluded.pseudonym, sealed = excluded.sealed",
                        (person_id, items[0].pseudonym, self._seal(person_id, names)),
                    )
                added += grown
        return added

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
        return [Identity(pid, pseudonym, self._open(pid, sealed)) for pid, sealed in rows]

    def count(self) -> int:
        """How many persons the vault holds."""
        with self._db() as conn:
            return int(conn.execute("SELECT count(*) FROM identities").fetchone()[0])
