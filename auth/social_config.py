"""What a social-login provider is configured with, and what it answers.

Kept apart from :mod:`auth.social_providers` (the Authlib clients): the wiring builds
these from settings in every API process, while Authlib and its HTTP client are loaded
only when a provider is configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from auth.social_state import FlowState

__all__ = ["OAuthProvider", "ProviderConfig", "ProviderIdentity"]


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One social-login provider, as BAAS_OIDC_PROVIDERS declares it: OIDC or GitHub."""

    name: str
    client_id: str
    client_secret: str = field(repr=False)
    kind: Literal["oidc", "github"] = "oidc"
    discovery_url: str | None = None
    scopes: tuple[str, ...] = ("openid", "email", "profile")


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    """Who the provider says the user is; (issuer, subject) is the identity's key."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool


class OAuthProvider(Protocol):
    config: ProviderConfig

    async def authorization_url(self, flow: FlowState, redirect_uri: str) -> str: ...

    async def identity(
        self, flow: FlowState, code: str, redirect_uri: str, iss: str | None
    ) -> ProviderIdentity: ...
