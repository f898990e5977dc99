"""Changing the argon2 parameters re-hashes a password at its next sign-in."""

from __future__ import annotations

import asyncio
from pathlib import Path

from auth.users import UserRepository
from storage import SqliteConfig, open_store
from tests.integration.auth.auth_server import auth_server


def _stored_hash(data_dir: Path, email: str) -> str:
    async def read() -> str:
        async with open_store(SqliteConfig(data_dir / "baas.sqlite3")) as store:
            user = await UserRepository(store, revocation_retention=930).get_by_email(email)
            assert user is not None
            assert user.password_hash is not None
            return user.password_hash

    return asyncio.run(read())


def test_sign_in_rehashes_with_the_new_parameters(tmp_path: Path) -> None:
    with auth_server(tmp_path) as server:
        server.signup_verified("rehash@example.com")
    assert ",t=1," in _stored_hash(tmp_path, "rehash@example.com")
    with auth_server(tmp_path, BAAS_ARGON2_TIME_COST="2") as server:
        server.signin("rehash@example.com")
    assert ",t=2," in _stored_hash(tmp_path, "rehash@example.com")
