"""Second factors: TOTP authenticators, recovery codes, and what they guard.

- **Sign-in in two steps.** After the first factor (a password, an emailed code, a social
  login) an account with a second factor gets no session but an *MFA token* (see
  :mod:`auth.challenges`, 5 minutes, single use); a TOTP or recovery code with it
  completes the sign-in, and the session's tokens say ``amr: [..., "otp", "mfa"]``,
  ``aal: "aal2"``.
- **Step-up.** Security changes (password, email, removing a factor, new recovery codes,
  deleting the account) need the second factor again (:meth:`MfaService.step_up`), so a
  stolen access token cannot change how the account signs in.
- **Throttled like passwords.** Every code check first reserves an attempt on the user
  (5 per 15 minutes) and the client address (20), before the comparison (see
  :mod:`auth.throttle`): a burst of guesses evaluates at most 5, whatever the
  concurrency and the number of API processes.
- **Single use.** A TOTP step is accepted once and only after the last accepted one; a
  recovery code once; an MFA token once (conditional writes, see :mod:`auth.mfa_store`).
- **Policy** (``BAAS_AUTH_MFA``): ``off`` (no enrolment, no challenge), ``optional``
  (users choose), ``required`` (for everyone, or for the groups in
  ``BAAS_AUTH_MFA_GROUPS``: a sign-in without a second factor must enrol one first).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from auth.auth_methods import MFA, OTP, PASSKEY
from auth.challenges import Challenge, ChallengeStore
from auth.errors import (
    InvalidMfaCodeError,
    InvalidMfaTokenError,
    InvalidRequestError,
    MfaRequiredError,
    ThrottledError,
)
from auth.mfa_store import MfaRecord, MfaRepository
from auth.recovery_codes import RecoveryCodes, looks_like_recovery_code, matching_code
from auth.totp import base32_secret, generate_secret, matching_step, otpauth_uri

if TYPE_CHECKING:
    from auth.accounts import AccountService
    from auth.throttle import SignInThrottle
    from auth.token_grants import IssuedTokens
    from auth.users import User

__all__ = ["MfaPolicy", "MfaService", "PendingSignIn", "TotpEnrolment"]

Factor = Literal["totp", "recovery_code", "passkey"]


@dataclass(frozen=True, slots=True)
class MfaPolicy:
    """Who must, may or may not use a second factor (see the module docstring)."""

    mode: Literal["off", "optional", "required"] = "optional"
    required_groups: tuple[str, ...] = ()  # with "required": only these; empty: everyone
    issuer: str = "baas"  # the name authenticator apps show beside the code
    challenge_lifetime: float = 300.0

    def requires(self, user: User) -> bool:
        if self.mode != "required" or user.anonymous:
            return False
        return not self.required_groups or bool(set(self.required_groups) & set(user.groups))


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """A sign-in waiting for its second factor (``enrol``: for a first one to be set up)."""

    mfa_token: str
    factors: tuple[Factor, ...]
    enrol: bool
    expires_in: int

    def public_view(self) -> dict[str, object]:
        return {
            "mfa_required": True,
            "mfa_token": self.mfa_token,
            "factors": list(self.factors),
            "enrol": self.enrol,
            "expires_in": self.expires_in,
        }


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """A pending authenticator: what the user's app needs (shown once)."""

    secret: str
    otpauth_uri: str


class MfaService:
    """Second factors of every user."""

    def __init__(
        self,
        *,
        accounts: AccountService,
        repository: MfaRepository,
        challenges: ChallengeStore,
        throttle: SignInThrottle,
        policy: MfaPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._accounts = accounts
        self._repository = repository
        self.challenges = challenges
        self._throttle = throttle
        self.policy = policy
        self._clock = clock
        self._events = accounts.events
        self.passkey_count: Callable[[str], Awaitable[int]] | None = None

    # --- what a user has -----------------------------------------------------------

    async def factors(self, user_id: str) -> tuple[Factor, ...]:
        """The second factors the user can complete a sign-in with."""
        record = await self._repository.get(user_id)
        found: list[Factor] = []
        if record.totp_active:
            found.append("totp")
        if self.passkey_count is not None and await self.passkey_count(user_id):
            found.append("passkey")
        if found and record.recovery:
            found.append("recovery_code")
        return tuple(found)

    async def status(self, user_id: str) -> dict[str, object]:
        """What the user (or an admin) may see about the user's second factors."""
        record = await self._repository.get(user_id)
        passkeys = 0 if self.passkey_count is None else await self.passkey_count(user_id)
        return {
            "enabled": record.totp_active or passkeys > 0,
            "totp": record.totp_active,
            "passkeys": passkeys,
            "recovery_codes_left": len(record.recovery),
        }

    async def _guarded(self, user: User) -> bool:
        """Whether the user's sign-ins and security changes need a second factor."""
        return self.policy.mode != "off" and bool(await self.factors(user.user_id))

    # --- sign-in --------------------------------------------------------------------

    async def finish_sign_in(
        self, user: User, *, amr: tuple[str, ...], method: str, user_agent: str = ""
    ) -> IssuedTokens | PendingSignIn:
        """After a first factor: a session, or the MFA token that asks for a second."""
        factors = await self.factors(user.user_id) if self.policy.mode != "off" else ()
        if factors or self.policy.requires(user):
            kind: Literal["mfa", "enrol"] = "mfa" if factors else "enrol"
            token, _ = await self.challenges.issue(
                kind,
                user_id=user.user_id,
                lifetime=self.policy.challenge_lifetime,
                amr=amr,
                method=method,
            )
            lifetime = int(self.policy.challenge_lifetime)
            return PendingSignIn(token, factors, not factors, lifetime)
        self._events.record("sign_in_succeeded", user_id=user.user_id, method=method)
        return await self._accounts.grants.new_session(user, user_agent=user_agent, amr=amr)

    async def complete_sign_in(
        self, mfa_token: object, code: object, *, address: str, user_agent: str = ""
    ) -> IssuedTokens:
        """The second step: the MFA token and a TOTP or recovery code."""
        challenge, user = await self.pending(mfa_token, "mfa")
        factor = await self.verify_code(user, code, address=address, purpose="sign_in")
        return await self._complete(challenge, user, factor, user_agent=user_agent)

    async def complete_with_passkey(
        self, mfa_token: object, user_id: str, *, user_agent: str = ""
    ) -> IssuedTokens:
        """The second step with a passkey (verified by :mod:`auth.passkeys`) of the same
        user as the MFA token's."""
        challenge, user = await self.pending(mfa_token, "mfa")
        if user.user_id != user_id:
            self._events.record("mfa_failed", user_id=user.user_id, reason="mfa_token")
            raise InvalidMfaTokenError()
        self._events.record("mfa_verified", user_id=user_id, factor="passkey", purpose="sign_in")
        return await self._complete(challenge, user, "passkey", user_agent=user_agent)

    async def pending(
        self, mfa_token: object, kind: Literal["mfa", "enrol"]
    ) -> tuple[Challenge, User]:
        """The sign-in under way of ``mfa_token`` and its user; ``InvalidMfaTokenError``
        if it expired, was used, or is not of ``kind``."""
        challenge = await self.challenges.find(mfa_token, (kind,))
        user = None
        if challenge is not None and challenge.user_id is not None:
            user = await self._accounts.users.get(challenge.user_id)
        if challenge is None or user is None or not user.enabled:
            self._events.record("mfa_failed", reason="mfa_token")
            raise InvalidMfaTokenError()
        return challenge, user

    async def _complete(
        self, challenge: Challenge, user: User, factor: Factor, *, user_agent: str
    ) -> IssuedTokens:
        if not await self.challenges.spend(challenge):  # two racing completions: one wins
            self._events.record("mfa_failed", user_id=user.user_id, reason="mfa_token")
            raise InvalidMfaTokenError()
        amr = tuple(dict.fromkeys((*challenge.amr, PASSKEY if factor == "passkey" else OTP, MFA)))
        self._events.record(
            "sign_in_succeeded", user_id=user.user_id, method=challenge.method, factor=factor
        )
        return await self._accounts.grants.new_session(user, user_agent=user_agent, amr=amr)

    # --- checking a code --------------------------------------------------------------

    async def verify_code(self, user: User, code: object, *, address: str, purpose: str) -> Factor:
        """Check a TOTP or recovery code of ``user`` and use it up; the factor it was.

        The attempt is reserved before anything is compared (threat: a burst of
        guesses); a wrong or reused code keeps its slot, a right one clears the user's.
        """
        if not isinstance(code, str) or not code.strip():
            raise InvalidRequestError("Give the code from your authenticator app (code).")
        try:
            attempt = await self._throttle.password_attempt(f"mfa:{user.user_id}", address)
        except ThrottledError:
            self._events.record("locked_out", user_id=user.user_id, reason="mfa")
            raise
        record = await self._repository.get(user.user_id)
        factor: Factor = "recovery_code" if looks_like_recovery_code(code) else "totp"
        reason = await self._use(record, code, factor)
        if reason is not None:
            self._events.record("mfa_failed", user_id=user.user_id, factor=factor, reason=reason)
            raise InvalidMfaCodeError()
        await attempt.succeeded()
        self._events.record("mfa_verified", user_id=user.user_id, factor=factor, purpose=purpose)
        return factor

    async def _use(self, record: MfaRecord, code: str, factor: Factor) -> str | None:
        """Use the code up; None when it worked, else why not (``wrong`` or ``reused``)."""
        if factor == "recovery_code":
            found = None
            if record.recovery_salt is not None:
                found = matching_code(record.recovery_salt, record.recovery, code)
            if found is None:
                return "wrong"
            used = await self._repository.use_recovery_code(record.user_id, *found)
            return None if used else "reused"
        if not record.totp_active:
            return "wrong"
        step = matching_step(self._repository.open_secret(record), code, self._clock())
        if step is None:
            return "wrong"
        # Threat: a code seen over the shoulder or phished in real time, replayed.
        return None if await self._repository.use_step(record.user_id, step) else "reused"

    async def step_up(self, user: User, code: object, *, address: str) -> tuple[str, ...]:
        """The second factor again, before a security change; the ``amr`` it adds (none
        when the account has no second factor)."""
        if not await self._guarded(user):
            return ()
        if code is None:
            raise MfaRequiredError()
        factor = await self.verify_code(user, code, address=address, purpose="step_up")
        return (PASSKEY if factor == "passkey" else OTP, MFA)

    # --- enrolment ----------------------------------------------------------------------

    async def begin_totp(self, user: User) -> TotpEnrolment:
        """A new pending authenticator (replacing a pending one); confirm it with a code."""
        if self.policy.mode == "off":
            raise InvalidRequestError("Second factors are turned off here (BAAS_AUTH_MFA=off).")
        secret = generate_secret()
        if not await self._repository.start_totp(user.user_id, secret):
            raise InvalidRequestError("An authenticator is already set up; remove it first.")
        account = user.email or user.user_id
        uri = otpauth_uri(secret, account=account, issuer=self.policy.issuer)
        return TotpEnrolment(base32_secret(secret), uri)

    async def confirm_totp(self, user: User, code: object, *, address: str) -> tuple[str, ...]:
        """Activate the pending authenticator with a code from it; the new recovery codes
        (shown once). Throttled like every code check."""
        if not isinstance(code, str):
            raise InvalidRequestError("Give the code from your authenticator app (code).")
        try:
            attempt = await self._throttle.password_attempt(f"mfa:{user.user_id}", address)
        except ThrottledError:
            self._events.record("locked_out", user_id=user.user_id, reason="mfa")
            raise
        record = await self._repository.get(user.user_id)
        if record.totp_state != "pending":
            raise InvalidRequestError("Start with POST /auth/mfa/totp/enrol.")
        step = matching_step(self._repository.open_secret(record), code, self._clock())
        recovery = RecoveryCodes.generate()
        if step is None or not await self._repository.activate_totp(record, step, recovery):
            self._events.record("mfa_failed", user_id=user.user_id, factor="totp", reason="wrong")
            raise InvalidMfaCodeError()
        await attempt.succeeded()
        self._events.record("mfa_enrolled", user_id=user.user_id, factor="totp")
        self._events.record("recovery_codes_generated", user_id=user.user_id)
        return recovery.codes

    async def confirm_enrolment(
        self, mfa_token: object, code: object, *, address: str, user_agent: str = ""
    ) -> tuple[IssuedTokens, tuple[str, ...]]:
        """Policy-required enrolment during a sign-in: confirm the authenticator and
        finish the sign-in with it (tokens and the recovery codes)."""
        challenge, user = await self.pending(mfa_token, "enrol")
        codes = await self.confirm_totp(user, code, address=address)
        return await self._complete(challenge, user, "totp", user_agent=user_agent), codes

    async def first_recovery_codes(self, user_id: str) -> tuple[str, ...]:
        """Recovery codes for a user who just set up a factor and has none (shown once);
        none if they have some already."""
        if (await self._repository.get(user_id)).recovery:
            return ()
        recovery = RecoveryCodes.generate()
        await self._repository.set_recovery_codes(user_id, recovery)
        self._events.record("recovery_codes_generated", user_id=user_id)
        return recovery.codes

    async def drop_recovery_codes_if_unguarded(self, user_id: str) -> None:
        """After a factor was removed: recovery codes stand in for factors, so they go
        when none is left."""
        if not await self.factors(user_id):
            await self._repository.remove_recovery_codes(user_id)

    async def new_recovery_codes(self, user: User) -> tuple[str, ...]:
        """Replace the recovery codes (after a step-up); the old ones stop working."""
        if not await self.factors(user.user_id):
            raise InvalidRequestError("Set up a second factor first.")
        recovery = RecoveryCodes.generate()
        await self._repository.set_recovery_codes(user.user_id, recovery)
        self._events.record("recovery_codes_generated", user_id=user.user_id)
        return recovery.codes

    async def remove_totp(self, user: User) -> None:
        """Remove the authenticator (after re-authentication and a step-up)."""
        passkeys = 0 if self.passkey_count is None else await self.passkey_count(user.user_id)
        if not await self._repository.remove_totp(user.user_id, with_recovery_codes=not passkeys):
            raise InvalidRequestError("No authenticator is set up.")
        self._events.record("mfa_removed", user_id=user.user_id, factor="totp")

    async def forget(self, user_id: str) -> None:
        """Drop every second factor of the user (admin reset, account deletion)."""
        await self._repository.delete(user_id)
