"""Where a process's secret key comes from (docs/auth.md, "Secrets at rest").

The secret key seals the store's secrets and keys everything baas processes must share
(:mod:`auth.secret_keys`). It is looked for, in this order:

1. ``BAAS_SECRET_KEY``: the key in base64 — during a rotation several, comma-separated,
   the current one first;
2. ``BAAS_SECRET_KEY_FILE``: a file holding it, one key per line (a mounted secret);
3. in dev only, ``<BAAS_DATA_DIR>/secret.key``, created at the first start (mode 0600).

In production neither 3 nor any other default applies: a key kept beside the data is
copied with every backup of it, which is what sealing protects against. A missing or
unreadable key stops the process with one line naming the setting; a new key is never
made where one was expected (the store then refuses it, see :mod:`auth.sealed_store`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from auth.secret_keys import SecretKeys
from baas.config import Settings
from baas.errors import SettingsError

__all__ = ["LoadedSecretKey", "load_secret_key", "write_key_file"]

_HOW = "see docs/auth.md, 'Secrets at rest'"


@dataclass(frozen=True)
class LoadedSecretKey:
    """The keys, and where they came from (for messages; ``path`` when from a file)."""

    keys: SecretKeys
    source: str
    path: Path | None = None
    dev_file: bool = False


def load_secret_key(settings: Settings) -> LoadedSecretKey:
    """The process's secret keys; SettingsError (one line) when there are none."""
    if settings.secret_key is not None and settings.secret_key_file is not None:
        raise SettingsError("BAAS_SECRET_KEY and BAAS_SECRET_KEY_FILE are both set: set one")
    if settings.secret_key is not None:
        return LoadedSecretKey(_parse(settings.secret_key, "BAAS_SECRET_KEY"), "BAAS_SECRET_KEY")
    if settings.secret_key_file is not None:
        path = settings.secret_key_file
        source = f"BAAS_SECRET_KEY_FILE ({path})"
        return LoadedSecretKey(_parse(_read(path, source), source), source, path)
    path = settings.dev_key_path
    if not settings.is_dev:
        hint = (
            f"; the dev key file {path} exists, point BAAS_SECRET_KEY_FILE at it"
            if (path.exists())
            else ""
        )
        raise SettingsError(
            "BAAS_SECRET_KEY is not set: production needs the key that seals the store's "
            f"secrets, from BAAS_SECRET_KEY or BAAS_SECRET_KEY_FILE ({_HOW}){hint}"
        )
    source = f"BAAS_SECRET_KEY (unset; the dev key file {path})"
    if not path.exists():
        _create_key_file(path)
    return LoadedSecretKey(_parse(_read(path, source), source), source, path, dev_file=True)


def write_key_file(path: Path, text: str) -> None:
    """Replace the key file at once (a crash leaves the old or the new one), mode 0600."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create_key_file(path: Path) -> None:
    """Create the dev key file, unless another process (API, worker) does it first."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.new")
    descriptor = os.open(temporary, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(SecretKeys.generate() + "\n")
        file.flush()
        os.fsync(file.fileno())
    # link() never replaces: of two processes starting at once, the first key wins and
    # both read it (a rename would let the second one's key replace the first's).
    with contextlib.suppress(FileExistsError):
        os.link(temporary, path)
    temporary.unlink()


def _read(path: Path, source: str) -> str:
    try:
        return path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise SettingsError(f"{source}: there is no file there") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{source}: cannot be read ({type(exc).__name__})") from None


def _parse(text: str, source: str) -> SecretKeys:
    try:
        return SecretKeys.parse(text)
    except ValueError as exc:
        raise SettingsError(f"{source}: {exc}") from None
