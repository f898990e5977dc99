"""baas as an OpenID provider over HTTP (see :mod:`auth.oidc_provider` for the rules).

- :mod:`.browser` — ``/oauth/authorize`` with its sign-in, second-factor and consent
  pages, and ``/oauth/logout``
- :mod:`.endpoints` — ``/.well-known/openid-configuration``, ``/oauth/token``,
  ``/oauth/userinfo``, ``/oauth/revoke`` (the JWKS is ``/.well-known/jwks.json``)
- :mod:`.clients` — ``/auth/admin/oauth-clients``: registering apps (admins)
- :mod:`.pages` — the HTML of the pages

docs/auth.md, "baas as an OpenID provider", shows each with commands to copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from baas.oidc_routes.browser import browser_routes
from baas.oidc_routes.clients import client_routes
from baas.oidc_routes.endpoints import SELF_AUTHENTICATING_PATHS, endpoint_routes

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from baas.auth_wiring import AuthServices

__all__ = ["SELF_AUTHENTICATING_PATHS", "oidc_routes"]


def oidc_routes(auth: AuthServices) -> list[BaseRoute]:
    """Every route of the OpenID provider, bound to one process's auth services."""
    return [*endpoint_routes(auth), *browser_routes(auth), *client_routes(auth)]
