"""Who may do what: roles and their permissions, the account, token and session records, and the rules for
usernames and passwords (the store is account_store.py; the web side, with the login pages and the checks on
every request, is auth.py).

Accounts live apart from the graph, in SQLite `RECOUPE_HOME/accounts.db` (mode 0600, accounts_file.py):
argon2id password hashes, API tokens and session ids stored as SHA-256 hashes only. Every page and endpoint
but `/connexion` and `/api/health` needs a login (`require`); a role grants these permissions:

| Permission | viewer | analyst | investigator | admin | auditor |
|---|---|---|---|---|---|
| `read.incidents` (incidents, places, cameras, assets) | ✓ | ✓ | ✓ | ✓ | |
| `forecasts` (risk forecasts and their explanations) | ✓ | ✓ | ✓ | ✓ | |
| `read.entities` (people by pseudonym, plates, vehicles) | | ✓ | ✓ | ✓ | |
| `explorer` (connections, timelines, paths) | | ✓ | ✓ | ✓ | |
| `console` (the read-only Cypher console) | | ✓ | | ✓ | |
| `ingest.reports` (submit reports) | | | ✓ | ✓ | |
| `identity.reveal` (the name behind a pseudonym, with a motive) | | | ✓ | | |
| `users.manage` (accounts and tokens) | | | | ✓ | |
| `audit.read` (the consultation journal) | | | | | ✓ |

The auditor reads the journal and nothing else; nobody else reads it, the administrators included, since it
records what they do too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from recoupe.ontology.errors import InvalidInput, RecoupeError

ROLES = ("viewer", "analyst", "investigator", "admin", "auditor")
_READ = {"read.incidents", "forecasts"}
_ANALYSIS = _READ | {"read.entities", "explorer"}
PERMISSIONS_BY_ROLE: dict[str, frozenset[str]] = {
    "viewer": frozenset(_READ),
    "analyst": frozenset(_ANALYSIS | {"console"}),
    "investigator": frozenset(_ANALYSIS | {"ingest.reports", "identity.reveal"}),
    "admin": frozenset(_ANALYSIS | {"console", "ingest.reports", "users.manage"}),
    "auditor": frozenset({"audit.read"}),
}
PERMISSIONS = frozenset().union(*PERMISSIONS_BY_ROLE.values())

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte per attempt would be a denial of service
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")


class Unauthenticated(RecoupeError):
    """No valid session or token (401)."""

    code = "unauthenticated"


class LoginRefused(Unauthenticated):
    """Wrong username or password, disabled or locked account: one message for all, naming none."""

    code = "login_refused"

    def __init__(self) -> None:
        super().__init__(
            "Identifiant ou mot de passe incorrect, ou compte temporairement bloqué après trop d'essais.",
            "vérifiez vos identifiants, ou réessayez dans 15 minutes",
        )


def allowed(role: str, permission: str) -> bool:
    """Whether `role` grants `permission` (unknown roles grant nothing)."""
    return permission in PERMISSIONS_BY_ROLE.get(role, frozenset())


@dataclass(frozen=True)
class User:
    """An account as the rest of Recoupe sees it: never its hash."""

    username: str
    name: str
    role: str
    created_at: str
    disabled: bool
    locked_until: str | None

    @property
    def permissions(self) -> list[str]:
        return sorted(PERMISSIONS_BY_ROLE.get(self.role, frozenset()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at,
            "disabled": self.disabled,
            "locked_until": self.locked_until,
        }


@dataclass(frozen=True)
class Token:
    """An API token's record; its secret is shown once, at creation, and stored only as a hash."""

    id: str
    username: str
    name: str
    created_at: str
    last_used_at: str | None
    revoked: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Session:
    """A logged-in browser: the user and the session's CSRF token."""

    user: User
    csrf_token: str


def check_username(username: str) -> str:
    """The username as stored (lower case), or InvalidInput."""
    normal = username.strip().lower()
    if not USERNAME.fullmatch(normal):
        raise InvalidInput(
            f"Invalid username {username!r}",
            "use 2 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit",
            {"username": "invalid"},
        )
    return normal


def check_password(password: str, username: str) -> None:
    """At least MIN_PASSWORD characters, not the username."""
    if len(password) < MIN_PASSWORD:
        problem = f"shorter than {MIN_PASSWORD} characters"
    elif len(password) > MAX_PASSWORD:
        problem = f"longer than {MAX_PASSWORD} characters"
    elif password.strip().lower() == username.strip().lower():
        problem = "the same as the username"
    else:
        return
    raise InvalidInput(
        f"Password refused: {problem}",
        f"choose at least {MIN_PASSWORD} characters that are not the username: a passphrase of several words",
        {"password": problem},
    )
