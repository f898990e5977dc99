"""Access keys in a real store, and the ``baas keys`` commands that manage them."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from auth.access_keys import AccessKeyRepository
from auth.errors import InvalidRequestError
from baas.config import Settings
from baas.keys_cli import add_keys_command, run_keys_command
from storage import SqliteConfig, open_store
from tests.integration.dynamodb.conftest import SECRET_KEYS


async def test_keys_are_created_revoked_and_listed(tmp_path: Path) -> None:
    async with await open_store(SqliteConfig(tmp_path / "keys.sqlite3")) as store:
        keys = AccessKeyRepository(store, SECRET_KEYS)
        generated = await keys.create(description="ci")
        assert generated.key_id.startswith("AKIA")
        assert len(generated.key_id) == 20
        assert len(generated.secret) == 40
        assert generated.secret not in repr(generated)

        fixed = await keys.create(key_id="local", secret="local-secret")
        with pytest.raises(InvalidRequestError):
            await keys.create(key_id="local", secret="another-secret")
        with pytest.raises(InvalidRequestError):
            await keys.create(key_id="local2")

        assert await keys.revoke(fixed.key_id)
        assert not await keys.revoke(fixed.key_id)
        assert not await keys.revoke("unknown-key")
        revoked = await keys.get("local")
        assert revoked is not None
        assert not revoked.active
        listed = {key.key_id: key.active for key in await keys.list()}
        assert listed == {generated.key_id: True, "local": False}


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="baas")
    add_keys_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(["keys", *argv])


async def test_the_keys_command_prints_a_secret_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    created = io.StringIO()
    assert (
        await run_keys_command(
            _args("create", "--id", "fixedKeyId", "--secret", "fixed-secret-1", "--create"),
            settings,
            created,
        )
        == 0
    )
    assert "fixed-secret-1" in created.getvalue()

    listed = io.StringIO()
    assert await run_keys_command(_args("list"), settings, listed) == 0
    assert "fixedKeyId" in listed.getvalue()
    assert "active" in listed.getvalue()
    assert "fixed-secret-1" not in listed.getvalue()

    revoked = io.StringIO()
    assert await run_keys_command(_args("revoke", "fixedKeyId"), settings, revoked) == 0
    assert await run_keys_command(_args("revoke", "fixedKeyId"), settings, revoked) == 1
    listed = io.StringIO()
    await run_keys_command(_args("list"), settings, listed)
    assert "revoked" in listed.getvalue()
