"""The system tables where managed auth keeps its state, and how to create them.

Users, sessions, identities and keys are ordinary tables of the document store
(DESIGN.md: "Users, sessions, identities and keys are tables in storage/"), so every
API process shares them and they move to another backend with the rest of the data.
Their names start with ``_baas_``, which application models cannot use.

=========================  ===================  ===========================================
table                      key                  holds
=========================  ===================  ===========================================
_baas_users                user_id              one account: email, password hash, groups…
_baas_user_emails          email (casefolded)   the unique email → user_id claim
_baas_identities           identity (iss|sub)   a social-login identity → user_id
_baas_refresh_tokens       family_id            one sign-in's refresh-token family
_baas_revocations          user_id              recent per-user not-before times (TTL)
_baas_session_revocations  session_id           recently ended sessions (TTL)
_baas_signing_keys         kid                  access-token signing keys
_baas_throttle             key                  failure / rate-limit logs (TTL)
_baas_budgets              key                  shared token buckets, leased (TTL)
_baas_codes                code_key             one-time email codes, hashed (TTL)
_baas_secrets              name                 the secret-key check (auth.sealed_store)
_baas_access_keys          key_id               SigV4 access keys, secrets sealed
_baas_oauth_flows          state_hash           social-login round trips already used (TTL)
_baas_security_events      stream, event_id     security events for admins (TTL)
_baas_mfa                  user_id              second factors: TOTP secret (sealed), recovery codes
_baas_auth_challenges      challenge_id         sign-in steps under way: MFA, passkeys (TTL)
_baas_passkeys             credential_id        WebAuthn credentials: public key, counter
_baas_oauth_clients        client_id            apps signing in with baas (OpenID provider)
_baas_oauth_codes          code_id              authorization codes, hashed, single use (TTL)
_baas_oauth_consents       consent_id           scopes a user granted a client (user|client)
=========================  ===================  ===========================================

Private keys and secrets are stored sealed (:mod:`auth.secret_keys`). Tables that hold
them, or password hashes and other credentials' digests, keep only keys in the change
feed (``stream_view="KEYS_ONLY"``): the feed outlives the values it copies, and a
reader of the feed has no business with them.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from storage import DocumentStore, IndexSpec, KeyAttribute, TableSpec
from storage.errors import ResourceInUseError

__all__ = [
    "ACCESS_KEYS_TABLE",
    "AUTH_CHALLENGES_TABLE",
    "BUDGETS_TABLE",
    "CODES_TABLE",
    "IDENTITIES_TABLE",
    "MFA_TABLE",
    "OAUTH_CLIENTS_TABLE",
    "OAUTH_CODES_TABLE",
    "OAUTH_CONSENTS_TABLE",
    "OAUTH_FLOWS_TABLE",
    "PASSKEYS_TABLE",
    "REFRESH_TOKENS_TABLE",
    "REVOCATIONS_TABLE",
    "SECRETS_TABLE",
    "SECURITY_EVENTS_TABLE",
    "SESSION_REVOCATIONS_TABLE",
    "SIGNING_KEYS_TABLE",
    "SYSTEM_TABLES",
    "THROTTLE_TABLE",
    "TTL_ATTRIBUTE",
    "USERS_TABLE",
    "USER_EMAILS_TABLE",
    "ensure_system_table",
    "ensure_system_tables",
    "number",
]

USERS_TABLE = "_baas_users"
USER_EMAILS_TABLE = "_baas_user_emails"
IDENTITIES_TABLE = "_baas_identities"
REFRESH_TOKENS_TABLE = "_baas_refresh_tokens"
REVOCATIONS_TABLE = "_baas_revocations"
SESSION_REVOCATIONS_TABLE = "_baas_session_revocations"
SECURITY_EVENTS_TABLE = "_baas_security_events"
SIGNING_KEYS_TABLE = "_baas_signing_keys"
THROTTLE_TABLE = "_baas_throttle"
BUDGETS_TABLE = "_baas_budgets"
CODES_TABLE = "_baas_codes"
SECRETS_TABLE = "_baas_secrets"
ACCESS_KEYS_TABLE = "_baas_access_keys"
OAUTH_FLOWS_TABLE = "_baas_oauth_flows"
MFA_TABLE = "_baas_mfa"
AUTH_CHALLENGES_TABLE = "_baas_auth_challenges"
PASSKEYS_TABLE = "_baas_passkeys"
OAUTH_CLIENTS_TABLE = "_baas_oauth_clients"
OAUTH_CODES_TABLE = "_baas_oauth_codes"
OAUTH_CONSENTS_TABLE = "_baas_oauth_consents"

# The TTL attribute of every expiring system item, in epoch seconds (DynamoDB TTL).
TTL_ATTRIBUTE = "expires_at"

SYSTEM_TABLES: tuple[TableSpec, ...] = (
    TableSpec(USERS_TABLE, KeyAttribute("user_id"), stream_view="KEYS_ONLY"),  # hashes
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
        stream_view="KEYS_ONLY",  # refresh-token digests
    ),
    TableSpec(REVOCATIONS_TABLE, KeyAttribute("user_id"), ttl_attribute=TTL_ATTRIBUTE),
    TableSpec(SESSION_REVOCATIONS_TABLE, KeyAttribute("session_id"), ttl_attribute=TTL_ATTRIBUTE),
    TableSpec(SIGNING_KEYS_TABLE, KeyAttribute("kid"), stream_view="KEYS_ONLY"),
    TableSpec(THROTTLE_TABLE, KeyAttribute("key"), ttl_attribute=TTL_ATTRIBUTE),
    # Counts only: the feed's readers need no images of them.
    TableSpec(
        BUDGETS_TABLE, KeyAttribute("key"), ttl_attribute=TTL_ATTRIBUTE, stream_view="KEYS_ONLY"
    ),
    TableSpec(
        # Code digests: an 8-digit code is found from its salted digest in seconds.
        CODES_TABLE,
        KeyAttribute("code_key"),
        ttl_attribute=TTL_ATTRIBUTE,
        stream_view="KEYS_ONLY",
    ),
    TableSpec(SECRETS_TABLE, KeyAttribute("name"), stream_view="KEYS_ONLY"),
    TableSpec(ACCESS_KEYS_TABLE, KeyAttribute("key_id"), stream_view="KEYS_ONLY"),
    TableSpec(
        OAUTH_FLOWS_TABLE,
        KeyAttribute("state_hash"),
        ttl_attribute=TTL_ATTRIBUTE,
        stream_view="KEYS_ONLY",
    ),
    TableSpec(
        # Time-ordered ids in one partition: newest first in one query; the sparse
        # indexes answer "of this user" and "of this type" (auth.security_event_store).
        SECURITY_EVENTS_TABLE,
        KeyAttribute("stream"),
        KeyAttribute("event_id"),
        indexes=(
            IndexSpec("by_user", KeyAttribute("user_id"), KeyAttribute("event_id")),
            IndexSpec("by_type", KeyAttribute("type"), KeyAttribute("event_id")),
        ),
        ttl_attribute=TTL_ATTRIBUTE,
        stream_view="KEYS_ONLY",  # the feed's readers have no business with them
    ),
    # TOTP secrets (sealed) and recovery-code digests.
    TableSpec(MFA_TABLE, KeyAttribute("user_id"), stream_view="KEYS_ONLY"),
    TableSpec(
        # Digests of challenge tokens, and WebAuthn challenges.
        AUTH_CHALLENGES_TABLE,
        KeyAttribute("challenge_id"),
        ttl_attribute=TTL_ATTRIBUTE,
        stream_view="KEYS_ONLY",
    ),
    TableSpec(
        PASSKEYS_TABLE,
        KeyAttribute("credential_id"),
        indexes=(IndexSpec("by_user", KeyAttribute("user_id")),),
    ),
    TableSpec(OAUTH_CLIENTS_TABLE, KeyAttribute("client_id"), stream_view="KEYS_ONLY"),  # digests
    TableSpec(
        # Code digests, kept a while past their use: a code that comes back revokes
        # what it was exchanged for (RFC 6749 §4.1.2).
        OAUTH_CODES_TABLE,
        KeyAttribute("code_id"),
        ttl_attribute=TTL_ATTRIBUTE,
        stream_view="KEYS_ONLY",
    ),
    TableSpec(OAUTH_CONSENTS_TABLE, KeyAttribute("consent_id")),
)
_SPECS = {spec.name: spec for spec in SYSTEM_TABLES}


async def ensure_system_tables(store: DocumentStore) -> list[str]:
    """Create the system tables that do not exist yet (idempotent, safe to race).

    A table created by an earlier version whose feed view differs is brought in line
    (which drops the images its feed holds); the names of those tables are returned.
    """
    existing = set(await store.list_tables())
    changed = []
    for spec in SYSTEM_TABLES:
        if spec.name in existing:
            if (await store.table_spec(spec.name)).stream_view != spec.stream_view:
                await store.update_table(spec.name, stream_view=spec.stream_view)
                changed.append(spec.name)
            continue
        # Another API process may create the same table at the same moment.
        with contextlib.suppress(ResourceInUseError):
            await store.create_table(spec)
    return changed


async def ensure_system_table(store: DocumentStore, name: str) -> None:
    """Create one system table if it does not exist (for code that runs without auth)."""
    if name not in await store.list_tables():
        with contextlib.suppress(ResourceInUseError):
            await store.create_table(_SPECS[name])


def number(value: float) -> Decimal:
    """An epoch time (or any float) as the store's exact number, to the millisecond."""
    return Decimal(str(round(value, 3)))
