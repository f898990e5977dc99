"""The in-process revocation list: immediate for this process, fail-closed when stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth.errors import AuthUnavailableError
from auth.revocation import NotBeforeCache
from auth.system_tables import ensure_system_tables
from auth.users import User, UserRepository
from storage import SqliteConfig, open_store
from tests.unit.auth.auth_fakes import FakeClock


async def test_revocations_are_seen_and_staleness_fails_closed(tmp_path: Path) -> None:
    async with open_store(SqliteConfig(tmp_path / "db.sqlite3")) as store:
        await ensure_system_tables(store)
        clock = FakeClock()
        cache = NotBeforeCache(lambda: store, max_staleness=60, clock=clock)
        with pytest.raises(AuthUnavailableError):
            cache.lookup("u1")  # never loaded: refuse rather than guess

        users = UserRepository(store, revocation_retention=930)
        user = User.new(email="a@example.com")
        await users.create(user)
        revoked = await users.revoke_tokens(user)
        await cache.reload()
        assert cache.lookup(user.user_id) == revoked.not_before
        assert cache.lookup("someone-else") is None

        cache.note("u2", 123.0)  # this process's own revocation applies at once
        assert cache.lookup("u2") == 123.0

        clock.advance(61)
        with pytest.raises(AuthUnavailableError):
            cache.lookup(user.user_id)
