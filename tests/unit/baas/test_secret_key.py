"""Where a process finds its secret key, and the data folder's modes."""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

import pytest

from auth.secret_keys import SecretKeys
from baas.config import Settings
from baas.data_folder import prepare_data_folder
from baas.errors import SettingsError
from baas.secret_key import load_secret_key

KEY = SecretKeys.generate()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_setting_wins_and_is_no_function_secret(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"BAAS_DATA_DIR": str(tmp_path), "BAAS_SECRET_KEY": KEY, "BAAS_SECRET_API": "x"}
    )
    loaded = load_secret_key(settings)
    assert loaded.keys.ids == SecretKeys.parse(KEY).ids
    assert loaded.source == "BAAS_SECRET_KEY"
    assert settings.secrets == {"api": "x"}  # BAAS_SECRET_KEY is not handed to functions
    assert KEY not in repr(settings)
    assert not (tmp_path / "secret.key").exists()


def test_a_key_file_holds_one_key_a_line(tmp_path: Path) -> None:
    other = SecretKeys.generate()
    (tmp_path / "mounted.key").write_text(f"{KEY}\n{other}\n")
    env = {"BAAS_SECRET_KEY_FILE": str(tmp_path / "mounted.key"), "BAAS_ENV": "prod"}
    loaded = load_secret_key(Settings.from_env(env))
    assert len(loaded.keys.ids) == 2
    with pytest.raises(SettingsError, match=r"BAAS_SECRET_KEY_FILE .*no file"):
        load_secret_key(Settings.from_env({"BAAS_SECRET_KEY_FILE": str(tmp_path / "none")}))


def test_dev_creates_one_private_key_file_even_when_processes_race(tmp_path: Path) -> None:
    settings = Settings.from_env({"BAAS_DATA_DIR": str(tmp_path / "data")})
    found: list[tuple[str, ...]] = []

    def load() -> None:
        found.append(load_secret_key(settings).keys.ids)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1  # everyone reads the key the first one wrote
    path = tmp_path / "data" / "secret.key"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no leftovers
    assert load_secret_key(settings).keys.ids == found[0]


def test_production_never_makes_a_key(tmp_path: Path) -> None:
    settings = Settings.from_env({"BAAS_DATA_DIR": str(tmp_path), "BAAS_ENV": "prod"})
    with pytest.raises(SettingsError, match=r"^BAAS_SECRET_KEY is not set"):
        load_secret_key(settings)
    assert not (tmp_path / "secret.key").exists()
    (tmp_path / "secret.key").write_text(KEY)  # a dev key beside the data: named, not used
    with pytest.raises(SettingsError, match="point BAAS_SECRET_KEY_FILE at it"):
        load_secret_key(settings)


@pytest.mark.parametrize("value", ["too-short", "@@@@"])
def test_a_bad_key_is_one_line_naming_the_setting_not_the_value(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^BAAS_SECRET_KEY: ") as raised:
        load_secret_key(Settings.from_env({"BAAS_SECRET_KEY": value}))
    assert value not in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_data_folder_is_made_private_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    (folder / "outbox").mkdir(parents=True)
    (folder / "baas.sqlite3").write_bytes(b"")
    (folder / "outbox" / "mail.eml").write_bytes(b"")
    # As an earlier version (or a copy) left them: open to other users.
    os.chmod(folder, 0o755)  # noqa: S103 - the situation under test
    os.chmod(folder / "outbox", 0o775)  # noqa: S103
    os.chmod(folder / "baas.sqlite3", 0o644)
    os.chmod(folder / "outbox" / "mail.eml", 0o666)  # noqa: S103
    with caplog.at_level(logging.WARNING, logger="baas"):
        prepare_data_folder(folder)
    assert [_mode(p) for p in (folder, folder / "outbox")] == [0o700, 0o700]
    assert [_mode(p) for p in (folder / "baas.sqlite3", folder / "outbox" / "mail.eml")] == [
        0o600,
        0o600,
    ]
    said = (
        f"tightened the modes of 4 entries in {folder}: they were open to other users "
        "(now files 0600, folders 0700)"
    )
    assert [r.getMessage() for r in caplog.records if "tightened" in r.getMessage()] == [said]
    caplog.clear()
    prepare_data_folder(folder)  # nothing loose any more: nothing said
    assert not caplog.records
    fresh = tmp_path / "fresh" / "data"
    prepare_data_folder(fresh)
    assert _mode(fresh) == 0o700
