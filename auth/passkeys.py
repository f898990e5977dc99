"""Passkeys (WebAuthn Level 3) with py_webauthn: register one, sign in with one — as the
only step (passwordless) or as the second factor — and use one for a step-up.

Each ceremony is two requests: *options* (the challenge the authenticator must sign,
kept in :mod:`auth.challenges`, 5 minutes, single use, bound to the user when one is
known) and the authenticator's *response*, verified by ``webauthn`` against that
challenge, the relying party id (``BAAS_AUTH_PASSKEY_RP_ID``) and the page origins
allowed (``BAAS_AUTH_PASSKEY_ORIGINS``) — a response made for another site or another
ceremony does not verify (threat: phishing, replay).

A passwordless sign-in requires *user verification* (the authenticator's PIN or
biometric), so it proves two factors — possession of the key and the user — and its
session is ``aal2`` (``amr: ["hwk", "user", "mfa"]``). As a second factor, user presence
is enough (the first factor was already proven).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import webauthn
from webauthn.helpers import bytes_to_base64url, options_to_json_dict
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from auth.errors import InvalidRequestError, PasskeyError
from auth.passkey_store import Passkey, PasskeyRepository, PasskeyTakenError

if TYPE_CHECKING:
    from auth.challenges import ChallengeStore
    from auth.security_events import SecurityEvents
    from auth.sign_in_methods import SignInMethods
    from auth.users import User

__all__ = ["PasskeyConfig", "PasskeyService", "PasskeyUse"]

_MAX_NAME = 64
_TRANSACTION_ITEMS = 100


@dataclass(frozen=True, slots=True)
class PasskeyConfig:
    rp_id: str  # the site's registrable domain (or localhost), never an IP address
    rp_name: str
    origins: tuple[str, ...]  # the pages allowed to run a ceremony
    ceremony_lifetime: float = 300.0


@dataclass(frozen=True, slots=True)
class PasskeyUse:
    """A verified assertion: whose passkey, whether the user was verified, and whether
    its flow was a passwordless one (bound to no user) or bound to this user."""

    user_id: str
    user_verified: bool
    passwordless: bool


class PasskeyService:
    def __init__(
        self,
        *,
        repository: PasskeyRepository,
        challenges: ChallengeStore,
        ways: SignInMethods,
        events: SecurityEvents,
        config: PasskeyConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.repository = repository
        self._challenges = challenges
        self._ways = ways
        self._events = events
        self.config = config
        self._clock = clock

    # --- registration ------------------------------------------------------------------

    async def registration_options(self, user: User) -> tuple[dict[str, Any], str]:
        """The options for ``navigator.credentials.create`` and the flow token."""
        existing = await self.repository.of_user(user.user_id)
        options = webauthn.generate_registration_options(
            rp_id=self.config.rp_id,
            rp_name=self.config.rp_name,
            user_id=user.user_id.encode(),
            user_name=user.email or user.user_id,
            exclude_credentials=[
                PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(p.credential_id))
                for p in existing
            ],
            authenticator_selection=AuthenticatorSelectionCriteria(
                # Discoverable, so it can sign in without an email typed first.
                resident_key=ResidentKeyRequirement.PREFERRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
        )
        flow, _ = await self._challenges.issue(
            "passkey_register",
            user_id=user.user_id,
            lifetime=self.config.ceremony_lifetime,
            data={"challenge": bytes_to_base64url(options.challenge)},
        )
        return options_to_json_dict(options), flow

    async def register(self, user: User, flow: object, credential: object, name: object) -> Passkey:
        """Verify the authenticator's answer to the registration options and keep it."""
        label = "Passkey" if name is None else name
        if not isinstance(label, str) or not 1 <= len(label) <= _MAX_NAME:
            raise InvalidRequestError(f"A passkey's name has 1 to {_MAX_NAME} characters.")
        challenge = await self._challenges.find(flow, ("passkey_register",))
        if challenge is None or challenge.user_id != user.user_id:
            raise self._failed(user.user_id, "flow")
        try:
            verified = webauthn.verify_registration_response(
                credential=_json_object(credential),
                expected_challenge=webauthn.base64url_to_bytes(challenge.data["challenge"]),
                expected_rp_id=self.config.rp_id,
                expected_origin=list(self.config.origins),
            )
        except (WebAuthnException, ValueError, KeyError, TypeError):
            raise self._failed(user.user_id, "credential") from None
        if not await self._challenges.spend(challenge):
            raise self._failed(user.user_id, "flow")
        passkey = Passkey(
            credential_id=bytes_to_base64url(verified.credential_id),
            user_id=user.user_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            name=label,
            created_at=self._clock(),
            backed_up=verified.credential_backed_up,
        )
        try:
            await self.repository.add(passkey)
        except PasskeyTakenError:
            raise InvalidRequestError("This passkey is already registered.") from None
        self._events.record("mfa_enrolled", user_id=user.user_id, factor="passkey")
        return passkey

    # --- authentication ------------------------------------------------------------------

    async def authentication_options(self, user_id: str | None) -> tuple[dict[str, Any], str]:
        """The options for ``navigator.credentials.get`` and the flow token: for the
        user's passkeys (second factor, step-up), or for any (passwordless: the
        authenticator offers the site's discoverable passkeys)."""
        allowed = [] if user_id is None else await self.repository.of_user(user_id)
        if user_id is not None and not allowed:
            raise InvalidRequestError("This account has no passkey.")
        options = webauthn.generate_authentication_options(
            rp_id=self.config.rp_id,
            allow_credentials=[
                PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(p.credential_id))
                for p in allowed
            ],
            user_verification=(
                UserVerificationRequirement.REQUIRED
                if user_id is None
                else UserVerificationRequirement.PREFERRED
            ),
        )
        flow, _ = await self._challenges.issue(
            "passkey_sign_in",
            user_id=user_id,
            lifetime=self.config.ceremony_lifetime,
            data={"challenge": bytes_to_base64url(options.challenge)},
        )
        return options_to_json_dict(options), flow

    async def authenticate(self, flow: object, credential: object) -> PasskeyUse:
        """Verify an assertion against its flow; the flow and the counter are used up."""
        challenge = await self._challenges.find(flow, ("passkey_sign_in",))
        if challenge is None:
            raise self._failed(None, "flow")
        body = _json_object(credential)
        passkey = await self.repository.get(str(body.get("id", "")))
        if passkey is None or challenge.user_id not in (None, passkey.user_id):
            raise self._failed(challenge.user_id, "credential")
        passwordless = challenge.user_id is None
        try:
            verified = webauthn.verify_authentication_response(
                credential=body,
                expected_challenge=webauthn.base64url_to_bytes(challenge.data["challenge"]),
                expected_rp_id=self.config.rp_id,
                expected_origin=list(self.config.origins),
                credential_public_key=passkey.public_key,
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=passwordless,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError):
            raise self._failed(passkey.user_id, "credential") from None
        # Single use: the flow, then the counter (a cloned key's replayed count loses).
        if not await self._challenges.spend(challenge):
            raise self._failed(passkey.user_id, "flow")
        if not await self.repository.used(passkey, verified.new_sign_count):
            raise self._failed(passkey.user_id, "counter")
        return PasskeyUse(passkey.user_id, verified.user_verified, passwordless)

    # --- management ------------------------------------------------------------------------

    async def remove(self, user: User, credential_id: str) -> None:
        """Remove one of the user's passkeys, unless it is their last way in (checked in
        the removal's own transaction, :mod:`auth.sign_in_methods`)."""
        passkeys = await self.repository.of_user(user.user_id)
        chosen = next((p for p in passkeys if p.credential_id == credential_id), None)
        if chosen is None or not await self._ways.remove_ways(
            user, [self.repository.removal(chosen)]
        ):
            raise InvalidRequestError("No such passkey.")
        self._events.record("mfa_removed", user_id=user.user_id, factor="passkey")

    async def remove_all(self, user: User) -> None:
        """Remove every passkey of the user (an admin's MFA reset), unless they are the
        account's last ways in (then none goes); a passkey removed meanwhile by another
        request just means one more round."""
        while passkeys := await self.repository.of_user(user.user_id):
            # At most 100 items per transaction (DynamoDB's limit): 99 removals and the
            # check; passkeys of a later batch count as ways in for an earlier one.
            batch = passkeys[: _TRANSACTION_ITEMS - 1]
            await self._ways.remove_ways(user, [self.repository.removal(p) for p in batch])

    def _failed(self, user_id: str | None, reason: str) -> PasskeyError:
        self._events.record("mfa_failed", user_id=user_id, factor="passkey", reason=reason)
        return PasskeyError()


def _json_object(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PasskeyError("Send the authenticator's answer as a JSON object (credential).")
    return value
