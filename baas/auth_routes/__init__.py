"""The ``/auth`` HTTP API (and ``/.well-known/jwks.json``), one module per concern.

- :mod:`.accounts` — sign-up, verification, sign-in/out, passwords, anonymous users
- :mod:`.tokens` — the refresh token endpoint and the JWKS
- :mod:`.sessions` — a user's own sessions
- :mod:`.admin` — user administration and signing-key rotation
- :mod:`.oauth` — social login and linking
- :mod:`.mfa` — second factors: the second sign-in step, TOTP, recovery codes
- :mod:`.passkeys` — WebAuthn: register, sign in (passwordless or second step), remove
- :mod:`.self_service` — sign-in by email, email change, identities, account deletion,
  admins' create / invite / forced reset

Every endpoint is documented with curl examples in ``docs/auth.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from baas.auth_routes.accounts import account_routes
from baas.auth_routes.admin import admin_routes
from baas.auth_routes.mfa import mfa_routes
from baas.auth_routes.oauth import oauth_routes
from baas.auth_routes.passkeys import passkey_routes
from baas.auth_routes.self_service import self_service_routes
from baas.auth_routes.sessions import session_routes
from baas.auth_routes.tokens import token_routes

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from baas.auth_wiring import AuthServices

__all__ = ["auth_routes"]


def auth_routes(auth: AuthServices) -> list[BaseRoute]:
    """Every auth route, bound to one process's :class:`AuthServices`."""
    return [
        *account_routes(auth),
        *token_routes(auth),
        *session_routes(auth),
        *admin_routes(auth),
        *mfa_routes(auth),
        *self_service_routes(auth),
        *passkey_routes(auth),
        *oauth_routes(auth),
    ]
