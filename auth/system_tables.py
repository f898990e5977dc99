"""The system tables where managed auth keeps its state, and how to create them.

Users, sessions, identities and keys are ordinary tables of the document store
(DESIGN.md: "Users, sessions, identities and keys are tables in storage/"), so every
API process shares them and they move to another backend with the rest of the data.
Their names start with ``_baas_``, which application models cannot use.

=====================  ===================  ===========================================
table                  key                  holds
=====================  ===================  ===========================================
_baas_users            user_id              one account: email, password hash, groups…
_baas_user_emails      email (casefolded)   the unique email → user_id claim
_baas_identities       identity (iss|sub)   a social-login identity → user_id
_baas_refresh_tokens   family_id            one sign-in's refresh-token family
_baas_revocations      user_id              recent per-user not-before times (TTL)
_baas_signing_keys     kid                  access-token signing keys
_baas_throttle         key                  failure / rate-limit logs (TTL)
_baas_codes            code_key             one-time email codes, hashed (TTL)
_baas_secrets          name                 server secrets (e.g. the OAuth cookie key)
=====================  ===================  ===========================================
"""

from __future__ import annotations

import contextlib
import secrets
from decimal import Decimal

from storage import DocumentStore, IndexSpec, KeyAttribute, TableSpec
from storage.errors import ConditionalCheckFailedError, ResourceInUseError

__all__ = [
    "CODES_TABLE",
    "IDENTITIES_TABLE",
    "REFRESH_TOKENS_TABLE",
    "REVOCATIONS_TABLE",
    "SECRETS_TABLE",
    "SIGNING_KEYS_TABLE",
    "SYSTEM_TABLES",
    "THROTTLE_TABLE",
    "TTL_ATTRIBUTE",
    "USERS_TABLE",
    "USER_EMAILS_TABLE",
    "ensure_system_tables",
    "number",
    "shared_secret",
]

USERS_TABLE = "_baas_users"
USER_EMAILS_TABLE = "_baas_user_emails"
IDENTITIES_TABLE = "_baas_identities"
REFRESH_TOKENS_TABLE = "_baas_refresh_tokens"
REVOCATIONS_TABLE = "_baas_revocations"
SIGNING_KEYS_TABLE = "_baas_signing_keys"
THROTTLE_TABLE = "_baas_throttle"
CODES_TABLE = "_baas_codes"
SECRETS_TABLE = "_baas_secrets"

# The TTL attribute of every expiring system item, in epoch seconds (DynamoDB TTL).
TTL_ATTRIBUTE = "expires_at"

SYSTEM_TABLES: tuple[TableSpec, ...] = (
    TableSpec(USERS_TABLE, KeyAttribute("user_id")),
    TableSpec(USER_EMAILS_TABLE, KeyAttribute("email")),
    TableSpec(
        IDENTITIES_TABLE,
        KeyAttribute("identity"),
        indexes=(IndexSpec("by_user", KeyAttribute("user_id")),),
    ),
    TableSpec(
        REFRESH_TOKENS_TABLE,
        KeyAttribute("family_id"),
        indexes=(
            IndexSpec("by_subject", KeyAttribute("subject"), KeyAttribute("created_at", "N")),
        ),
        ttl_attribute=TTL_ATTRIBUTE,
    ),
    TableSpec(REVOCATIONS_TABLE, KeyAttribute("user_id"), ttl_attribute=TTL_ATTRIBUTE),
    TableSpec(SIGNING_KEYS_TABLE, KeyAttribute("kid")),
    TableSpec(THROTTLE_TABLE, KeyAttribute("key"), ttl_attribute=TTL_ATTRIBUTE),
    TableSpec(CODES_TABLE, KeyAttribute("code_key"), ttl_attribute=TTL_ATTRIBUTE),
    TableSpec(SECRETS_TABLE, KeyAttribute("name")),
)


async def ensure_system_tables(store: DocumentStore) -> None:
    """Create the system tables that do not exist yet (idempotent, safe to race)."""
    existing = set(await store.list_tables())
    for spec in SYSTEM_TABLES:
        if spec.name in existing:
            continue
        # Another API process may create the same table at the same moment.
        with contextlib.suppress(ResourceInUseError):
            await store.create_table(spec)


async def shared_secret(store: DocumentStore, name: str) -> bytes:
    """A 256-bit random secret shared by every API process, created on first use.

    Kept in the store so that processes behind one load balancer agree on it without
    configuration; protect the store's files accordingly.
    """
    with contextlib.suppress(ConditionalCheckFailedError):
        await store.put_item(
            SECRETS_TABLE,
            {"name": name, "value": secrets.token_bytes(32)},
            condition="attribute_not_exists(#n)",
            names={"#n": "name"},
        )
    item = await store.get_item(SECRETS_TABLE, {"name": name})
    value = None if item is None else item.get("value")
    if not isinstance(value, bytes):
        raise RuntimeError(f"secret {name} could not be stored")
    return value


def number(value: float) -> Decimal:
    """An epoch time (or any float) as the store's exact number, to the millisecond."""
    return Decimal(str(round(value, 3)))
