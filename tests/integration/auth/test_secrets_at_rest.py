"""Secrets at rest: what the store's files and its change feed give away, migration of a
store written by an earlier version, a wrong or missing secret key, and rotating it.

The files are read as an attacker with a copy of the data folder would: raw bytes of
the database, its WAL and shared memory, and the feed table through SQLite itself.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auth.access_keys import AccessKeyRepository
from auth.secret_keys import SecretKeys
from auth.signing_keys import SigningKey
from auth.stored_signing_keys import StoreSigningKeyRepository
from auth.system_tables import (
    ACCESS_KEYS_TABLE,
    SECRETS_TABLE,
    SIGNING_KEYS_TABLE,
    SYSTEM_TABLES,
    USERS_TABLE,
)
from baas.config import Settings
from baas.errors import StartupError
from baas.keys_cli import add_keys_command, run_keys_command
from baas.services import Services
from storage import SqliteConfig, open_store
from storage.codec import decode_item
from tests.integration.auth.auth_server import FAST_ARGON2, auth_server

BAAS = Path(sys.executable).parent / "baas"
KEY_A, KEY_B = SecretKeys.generate(), SecretKeys.generate()
# Tables whose feed records must carry keys only, never images.
KEYS_ONLY = {USERS_TABLE, SIGNING_KEYS_TABLE, SECRETS_TABLE, ACCESS_KEYS_TABLE}


def _settings(data_dir: Path, **env: str) -> Settings:
    return Settings.from_env({"BAAS_DATA_DIR": str(data_dir), **FAST_ARGON2, **env})


def _keys_command(settings: Settings, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="baas")
    add_keys_command(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    code = asyncio.run(run_keys_command(parser.parse_args(["keys", *argv]), settings, out))
    return code, out.getvalue()


def _raw(data_dir: Path) -> bytes:
    """Every byte of the store's files, as a copy of the data folder holds them."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("baas.sqlite3*")))


def _feed(data_dir: Path) -> list[tuple[str, bytes | None, bytes | None]]:
    with sqlite3.connect(f"file:{data_dir / 'baas.sqlite3'}?mode=ro", uri=True) as db:
        return list(db.execute("SELECT tbl, old, new FROM changes"))


def _stored(data_dir: Path, keys: str) -> tuple[list[SigningKey], str]:
    """The private signing keys and the access key secret, opened with ``keys``."""

    async def read() -> tuple[list[SigningKey], str]:
        secret_keys = SecretKeys.parse(keys)
        async with open_store(SqliteConfig(data_dir / "baas.sqlite3")) as store:
            signing = await StoreSigningKeyRepository(lambda: store, secret_keys).load_all()
            [access] = await AccessKeyRepository(store, secret_keys).list()
            return signing, access.secret

    return asyncio.run(read())


def _assert_nothing_readable(data_dir: Path, secrets: list[str]) -> None:
    raw = _raw(data_dir)
    for secret in secrets:
        assert secret.encode() not in raw
    feed = _feed(data_dir)
    assert feed, "the feed is empty: the test would prove nothing"
    for table, old, new in feed:
        if table in KEYS_ONLY:
            assert (old, new) == (None, None), table
        for image in (old, new):
            assert image is None or b"argon2" not in image, table
            assert image is None or "password_hash" not in decode_item(image), table


def test_private_keys_secrets_and_hashes_are_not_in_the_files_nor_the_feed(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, BAAS_SECRET_KEY=KEY_A)
    with auth_server(tmp_path, BAAS_SECRET_KEY=KEY_A) as server:
        server.signup_verified("ana@example.com")
        tokens = server.signin("ana@example.com")
        assert _keys_command(settings, "rotate-signing")[0] == 0
        code, created = _keys_command(settings, "create", "--description", "ci")
        assert code == 0
        signing, access_secret = _stored(tmp_path, KEY_A)
        assert len(signing) == 2  # the first key, retired, and the new one
        privates = [key.private_jwk["d"] for key in signing]
        assert access_secret in created
        with sqlite3.connect(tmp_path / "baas.sqlite3") as db:
            hashes = [
                row[0] for row in db.execute("SELECT data FROM items WHERE tbl = ?", (USERS_TABLE,))
            ]
        assert any(b"argon2" in data for data in hashes)  # the hash is stored, in items only
        _assert_nothing_readable(tmp_path, [*privates, access_secret])
        assert server.get("/auth/me", token=str(tokens["access_token"])).status_code == 200


def _legacy_store(data_dir: Path) -> tuple[SigningKey, str, bytes]:
    """A store as a version before sealing wrote it: plain keys, images in the feed."""
    key = SigningKey.generate("ES256", now=time.time())
    access_secret = "legacy-secret-" + os.urandom(8).hex()
    cookie_key = os.urandom(32)

    async def write() -> None:
        async with open_store(SqliteConfig(data_dir / "baas.sqlite3")) as store:
            for spec in SYSTEM_TABLES:
                await store.create_table(spec.with_changes(stream_view="NEW_AND_OLD_IMAGES"))
            await store.put_item(
                SIGNING_KEYS_TABLE,
                {
                    "kid": key.kid,
                    "alg": key.alg,
                    "private_jwk": json.dumps(dict(key.private_jwk), sort_keys=True),
                    "created_at": int(key.created_at),
                },
            )
            await store.put_item(
                ACCESS_KEYS_TABLE,
                {"key_id": "AKIALEGACY0000000001", "secret": access_secret, "created_at": 1},
            )
            await store.put_item(SECRETS_TABLE, {"name": "oauth_cookie", "value": cookie_key})

    data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(write())
    assert key.private_jwk["d"].encode() in _raw(data_dir)  # the test starts from plain keys
    return key, access_secret, cookie_key


def test_a_store_with_plain_keys_is_sealed_at_start_and_keeps_working(tmp_path: Path) -> None:
    legacy, access_secret, cookie_key = _legacy_store(tmp_path)
    with auth_server(tmp_path, BAAS_SECRET_KEY=KEY_A) as server:
        server.signup_verified("ben@example.com")
        tokens = server.signin("ben@example.com")
        jwks = server.get("/.well-known/jwks.json").json()
        assert [key["kid"] for key in jwks["keys"]] == [legacy.kid]  # the same key signs
        assert server.get("/auth/me", token=str(tokens["access_token"])).status_code == 200
        signing, secret = _stored(tmp_path, KEY_A)
        assert [key.private_jwk for key in signing] == [legacy.private_jwk]
        assert secret == access_secret
        _assert_nothing_readable(tmp_path, [legacy.private_jwk["d"], access_secret])
        assert cookie_key not in _raw(tmp_path)


def _run(data_dir: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BAAS_")}
    return subprocess.run(
        [str(BAAS), *argv],
        env={**clean, "BAAS_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_wrong_or_missing_key_stops_with_one_line_naming_the_setting(tmp_path: Path) -> None:
    assert _run(tmp_path, "keys", "create", "--create", BAAS_SECRET_KEY=KEY_A).returncode == 0
    wrong = _run(tmp_path, "keys", "list", BAAS_SECRET_KEY=KEY_B)
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("baas: BAAS_SECRET_KEY: it is not the key this store")
    assert SecretKeys.parse(KEY_A).current_id in wrong.stderr
    missing = _run(tmp_path, "keys", "list", BAAS_ENV="prod")
    assert missing.returncode == 1
    assert missing.stderr.startswith("baas: BAAS_SECRET_KEY is not set")
    # In dev a lost key file is not silently replaced: the new one is refused too.
    lost = _run(tmp_path, "keys", "list")
    assert lost.returncode == 1
    assert "it is not the key this store" in lost.stderr
    for result in (wrong, missing, lost):
        assert result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert KEY_A not in result.stderr
        assert KEY_B not in result.stderr


def test_rotating_the_secret_key_keeps_tokens_and_keys_working(tmp_path: Path) -> None:
    with auth_server(tmp_path, BAAS_SECRET_KEY=KEY_A) as server:
        server.signup_verified("cleo@example.com")
        before = server.signin("cleo@example.com")
    settings_a = _settings(tmp_path, BAAS_SECRET_KEY=KEY_A)
    assert _keys_command(settings_a, "create")[0] == 0
    _signing, access_secret = _stored(tmp_path, KEY_A)

    code, said = _keys_command(
        _settings(tmp_path, BAAS_SECRET_KEY=f"{KEY_B},{KEY_A}"), "rotate-secret-key"
    )
    assert code == 0, said
    assert said.startswith("re-sealed 3 secrets")  # the signing key, the access key, the check
    id_a = SecretKeys.parse(KEY_A).current_id
    assert f"v1:{id_a}:".encode() not in _raw(tmp_path)  # compacted: no copy under A

    with auth_server(tmp_path, BAAS_SECRET_KEY=KEY_B) as server:
        assert server.get("/auth/me", token=str(before["access_token"])).status_code == 200
        assert server.signin("cleo@example.com")["access_token"]
    assert _stored(tmp_path, KEY_B)[1] == access_secret
    with pytest.raises(StartupError, match=r"^BAAS_SECRET_KEY: it is not the key"):
        asyncio.run(Services(settings_a).start())


def test_the_dev_key_file_rotates_itself(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert _keys_command(settings, "create", "--create")[0] == 0
    before = (tmp_path / "secret.key").read_text()
    _signing, access_secret = _stored(tmp_path, before)
    code, said = _keys_command(settings, "rotate-secret-key")
    assert code == 0, said
    after = (tmp_path / "secret.key").read_text()
    assert after != before
    assert len(SecretKeys.parse(after).ids) == 1
    assert _stored(tmp_path, after)[1] == access_secret
    assert _keys_command(settings, "list")[0] == 0
