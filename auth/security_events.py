"""Security events: one structured record per security-relevant happening.

Every flow that matters to an operator investigating an account — sign-ins, lockouts,
code failures, refresh-token replays, sign-outs, password and email changes, linked
identities, authorization denials, admin actions — calls :meth:`SecurityEvents.record`
(the small interface the services get from ``baas.auth_wiring``). Each event is written
to the log at once and kept in ``_baas_security_events`` for ``BAAS_AUTH_EVENTS_TTL``
seconds, where admins list it (``GET /auth/admin/events``).

An event has: a time-ordered id, the UTC time, its type, the user it is about, the actor
when someone else acted (an admin), the client address, the request id, and a small
``detail``. **Never a secret**: ``detail`` takes only the keys of :data:`DETAIL_KEYS`,
with short plain values, so a password, token or code cannot reach an event through a
careless call (threat: an audit trail that leaks the credentials it audits).

Writes to the store happen in the background (batched, one task per process), so an
event never slows or fails the request that caused it; the log line is written
synchronously. Authorization denials can come in floods (a client polling what it may
not read), so they are sampled: see :class:`DenialSampler`.

Where the request id and client address come from is the wiring's business: it passes
``origin``, a function returning them for the request being served (context variables
in ``baas``), so call sites only say what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from auth.rules import Caller
from auth.security_event_store import SecurityEvent, SecurityEventStore

__all__ = [
    "DETAIL_KEYS",
    "NO_SECURITY_EVENTS",
    "DenialSampler",
    "EventType",
    "Origin",
    "SecurityEvent",
    "SecurityEventLog",
    "SecurityEvents",
]

EventType = Literal[
    "sign_in_succeeded",
    "sign_in_failed",
    "locked_out",
    "code_failed",
    "refresh_token_reused",
    "signed_out",
    "password_changed",
    "email_changed",
    "identity_linked",
    "access_denied",
    "admin_action",
    "mfa_enrolled",
    "mfa_removed",
    "mfa_verified",
    "mfa_failed",
    "recovery_codes_generated",
    "identity_unlinked",
    "account_deleted",
    "oauth_consent_granted",
    "oauth_tokens_issued",
    "oauth_code_reused",
    "oauth_refused",
]
EVENT_TYPES: frozenset[str] = frozenset(EventType.__args__)  # type: ignore[attr-defined]

# The only detail an event may carry: names of things, never values a client sent.
DETAIL_KEYS = frozenset(
    {
        "client",  # oauth_*: the OAuth client's id (public, never its secret)
        "grant",  # oauth_tokens_issued: code | refresh
        "endpoint",  # oauth_refused: authorize | token | revoke | userinfo | logout
        "action",  # admin_action: disable_user, enable_user, delete_user, set_groups, …
        "factor",  # mfa_*: totp | recovery_code | passkey
        "groups",  # admin_action set_groups: the new group names
        "how",  # password_changed: change | reset; account_deleted: the app's data policy
        "kid",  # admin_action rotate_signing_key: the new key's public id
        "method",  # sign_in_succeeded: password | the social provider's name
        "operation",  # access_denied: get, list, create, update, delete, …
        "provider",  # identity_linked: the provider's configured name
        "purpose",  # code_failed: verify_email | reset_password
        "reason",  # sign_in_failed: no_account | credentials | …; locked_out: what ran out
        "repeated",  # access_denied: denials folded into this one since the last stored
        "scope",  # signed_out: session | everywhere
        "session",  # the public session id (also the sid claim), never the token
        "table",  # access_denied: the model's table
        "via",  # admin_action: api | cli
    }
)
_MAX_DETAIL_TEXT = 200
_log = logging.getLogger("auth.security")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the request being served comes from (both None outside a request)."""

    request_id: str | None = None
    address: str | None = None


class SecurityEvents:
    """What a service needs to report events (see the module docstring).

    This base records nothing: services built without a recorder (unit tests, one-off
    tools) get :data:`NO_SECURITY_EVENTS`. :class:`SecurityEventLog` is the real one.
    """

    def record(
        self,
        event_type: EventType,
        *,
        user_id: str | None = None,
        actor_id: str | None = None,
        address: str | None = None,
        **detail: str | int | bool,
    ) -> None:
        """Record that ``event_type`` happened to ``user_id`` (done by ``actor_id``)."""

    def denied(self, caller: Caller, table: str, operation: str) -> None:
        """Record (sampled) that an access rule refused ``caller``."""


NO_SECURITY_EVENTS = SecurityEvents()


class DenialSampler:
    """Authorization denials, sampled: the first of each (who, table, operation) in a
    ``window`` is recorded; the repeats are counted and reported in the next one's
    ``detail.repeated``. So a flood costs one stored event per minute and key, and
    nothing is silently lost. ``max_keys`` bounds the memory (oldest keys forgotten)."""

    def __init__(
        self,
        *,
        window: float = 60.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window
        self._max_keys = max_keys
        self._clock = clock
        self._seen: dict[tuple[str, str, str], tuple[float, int]] = {}

    def admit(self, who: str, table: str, operation: str) -> int | None:
        """None to skip this denial, or how many were skipped before it (to record it)."""
        key = (who, table, operation)
        now = self._clock()
        since, skipped = self._seen.pop(key, (None, 0))
        if since is not None and now - since < self._window:
            self._seen[key] = (since, skipped + 1)
            return None
        if len(self._seen) >= self._max_keys:
            self._seen.pop(next(iter(self._seen)))
        self._seen[key] = (now, 0)
        return skipped


class SecurityEventLog(SecurityEvents):
    """The recorder: logs each event, stores it in the background, lists them."""

    def __init__(
        self,
        store: SecurityEventStore,
        *,
        origin: Callable[[], Origin] = Origin,
        denials: DenialSampler | None = None,
        clock: Callable[[], float] = time.time,
        queue_size: int = 10_000,
    ) -> None:
        self.store = store
        self._origin = origin
        self._denials = denials or DenialSampler()
        self._clock = clock
        self._queue: asyncio.Queue[SecurityEvent] = asyncio.Queue(queue_size)
        self._writer: asyncio.Task[None] | None = None
        self.dropped = 0

    def record(
        self,
        event_type: EventType,
        *,
        user_id: str | None = None,
        actor_id: str | None = None,
        address: str | None = None,
        **detail: str | int | bool,
    ) -> None:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown security event type {event_type!r}")
        origin = self._origin()
        now = self._clock()
        event = SecurityEvent(
            event_id=_event_id(now),
            at=now,
            type=event_type,
            user_id=user_id,
            actor_id=actor_id,
            address=address or origin.address,
            request_id=origin.request_id,
            detail=_checked(detail),
        )
        view = event.public_view()
        _log.info(
            "security event %s user=%s address=%s",
            event_type,
            user_id or "-",
            event.address or "-",
            extra={"security_event": view},
        )
        if self._writer is None:
            return  # not started (a one-shot command): the log line is the record
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            _log.warning("security event %s not stored: the write queue is full", event_type)

    def denied(self, caller: Caller, table: str, operation: str) -> None:
        who = caller.user_id or self._origin().address or "anonymous"
        skipped = self._denials.admit(who, table, operation)
        if skipped is not None:
            self.record(
                "access_denied",
                user_id=caller.user_id,
                table=table,
                operation=operation,
                repeated=skipped,
            )

    async def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name="baas-security-events")

    async def stop(self) -> None:
        """Store what is queued, then stop."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self._queue.join()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer

    async def _write(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.store.BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self.store.put_all(batch)
            except Exception:  # noqa: BLE001 - logged; the events are in the log already
                _log.exception("could not store %d security events", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()


_PROCESS = secrets.token_hex(2)  # ids of two processes in one millisecond still differ
_SEQUENCE = itertools.count()


def _event_id(at: float) -> str:
    # Sorts by time (13 digits of milliseconds last until the year 2286), then in the
    # order this process recorded them (a counter), unique across processes.
    return f"{int(at * 1000):013d}{next(_SEQUENCE) % 2**32:08x}{_PROCESS}"


def _checked(detail: Mapping[str, str | int | bool]) -> dict[str, str | int | bool]:
    unknown = set(detail) - DETAIL_KEYS
    if unknown:
        raise ValueError(f"security event detail may not carry {sorted(unknown)}")
    return {
        name: value[:_MAX_DETAIL_TEXT] if isinstance(value, str) else value
        for name, value in detail.items()
    }
