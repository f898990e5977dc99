"""The in-process revocation list: immediate for this process, followed from the store's
change feed for the others, fail-closed when stale, and watchable by live connections."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from auth.errors import AuthUnavailableError
from auth.refresh_store import RefreshTokenRepository, session_id_of
from auth.refresh_tokens import RefreshTokenPolicy, start_family
from auth.revocation import RevocationList
from auth.revocation_feed import RevocationFeed
from auth.system_tables import ensure_system_tables
from auth.tokens import AccessTokenClaims
from auth.users import User, UserRepository
from storage import DocumentStore, SqliteConfig, open_store
from tests.unit.auth.auth_fakes import FakeClock

NOW = 1_800_000_000


def claims(subject: str, issued_at: float, session_id: str | None = None) -> AccessTokenClaims:
    return AccessTokenClaims(
        subject=subject,
        groups=(),
        issuer="i",
        audience="a",
        issued_at=int(issued_at),
        not_before=int(issued_at),
        expires_at=int(issued_at) + 900,
        token_id="t",
        key_id="k",
        session_id=session_id,
    )


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[DocumentStore, DocumentStore]]:
    """Two stores on one file: what two API processes see."""
    config = SqliteConfig(tmp_path / "db.sqlite3")
    async with open_store(config) as here, open_store(config) as there:
        await ensure_system_tables(here)
        yield here, there


def test_staleness_fails_closed() -> None:
    clock = FakeClock()
    revocations = RevocationList(retention=930, max_staleness=60, clock=clock)
    with pytest.raises(AuthUnavailableError):
        revocations.is_revoked(claims("u1", NOW))  # never loaded: refuse rather than guess
    revocations.mark_current(clock())
    assert not revocations.is_revoked(claims("u1", NOW))
    clock.advance(61)
    with pytest.raises(AuthUnavailableError):
        revocations.is_revoked(claims("u1", NOW))


def test_own_revocations_apply_at_once_and_reach_watchers() -> None:
    revocations = RevocationList(retention=930)
    revocations.mark_current(float("inf"))
    seen: list[str] = []
    unwatch = revocations.watch("u1", lambda: seen.append("u1"))
    revocations.watch("u2", lambda: seen.append("u2"))
    revocations.revoke_user("u1", NOW + 1.0)
    revocations.revoke_user("u1", NOW + 0.5)  # never loosens, and is no news
    assert revocations.is_revoked(claims("u1", NOW))
    assert not revocations.is_revoked(claims("u1", NOW + 1))
    revocations.revoke_session("u1", "s" * 32)
    assert revocations.is_revoked(claims("u1", NOW + 1, "s" * 32))
    assert not revocations.is_revoked(claims("u1", NOW + 1, "t" * 32))
    assert seen == ["u1", "u1"]
    unwatch()
    revocations.revoke_session("u1", "x" * 32)
    assert seen == ["u1", "u1"]


def test_expired_entries_are_pruned() -> None:
    wall = FakeClock(NOW)
    revocations = RevocationList(retention=930, wall_clock=wall)
    revocations.mark_current(float("inf"))
    revocations.revoke_user("u1", NOW + 1.0)
    revocations.revoke_session("u1", "s" * 32)
    wall.advance(931)
    revocations.prune()
    assert revocations.not_before("u1") is None
    assert not revocations.is_revoked(claims("u1", NOW - 10, "s" * 32))


async def test_another_processs_revocations_arrive_through_the_feed(
    stores: tuple[DocumentStore, DocumentStore],
) -> None:
    here, there = stores
    revocations = RevocationList(retention=930)
    feed = RevocationFeed(revocations, lambda: here, idle_wait=0.2)
    users = UserRepository(there, revocation_retention=930)
    early = User.new(email="early@example.com")
    await users.create(early)
    early = await users.revoke_tokens(early)
    await feed.load()  # what was revoked before start is read whole
    assert revocations.not_before(early.user_id) == early.not_before

    arrived = asyncio.Event()
    user = User.new(email="a@example.com")
    await users.create(user)
    revocations.watch(user.user_id, arrived.set)
    follower = asyncio.create_task(feed.run())
    try:
        revoked = await users.revoke_tokens(user)
        await asyncio.wait_for(arrived.wait(), 5)
        assert revocations.not_before(user.user_id) == revoked.not_before

        arrived.clear()
        family, _ = start_family(user.user_id, now=NOW, policy=RefreshTokenPolicy())
        repository = RefreshTokenRepository(there, revocation_retention=930)
        await repository.insert(family)
        assert await repository.mark_revoked(family, "sign_out", now=NOW)
        session = session_id_of(family.family_id)
        after = claims(user.user_id, NOW + 10**6, session)  # not refused by the user entry
        await asyncio.wait_for(arrived.wait(), 5)
        assert revocations.is_revoked(after)
        # A subscription can wait until the list is current at a feed position.
        latest = await here.changes.latest_seq()
        assert await revocations.reached(latest, timeout=5)
        assert not await revocations.reached(latest + 1000, timeout=0.05)
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower


async def test_a_second_revocation_in_the_same_second_refuses_tokens_issued_between(
    stores: tuple[DocumentStore, DocumentStore],
) -> None:
    """Tokens issued after a revocation carry its not-before as ``iat`` (one-second
    resolution): a second revocation within that second must still refuse them."""
    here, _ = stores
    users = UserRepository(here, revocation_retention=930)
    user = User.new(email="twice@example.com")
    await users.create(user)
    first = await users.revoke_tokens(user, now=NOW + 0.1)
    assert first.not_before is not None
    issued_between = claims(user.user_id, first.not_before)  # as TokenGrants would issue it
    second = await users.revoke_tokens(first, now=NOW + 0.2)
    revocations = RevocationList(retention=930)
    revocations.mark_current(float("inf"))
    await RevocationFeed(revocations, lambda: here).load()
    assert revocations.is_revoked(issued_between)
    assert second.not_before is not None
    assert second.not_before > first.not_before
