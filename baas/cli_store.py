"""The store as a command (``baas keys``, ``baas users``) opens it: private and sealed.

Commands open the configured store directly, whether or not the API runs, and take the
same care as a starting API process: the data folder is made private, the secret key
is loaded and checked against the store, and plain secrets left by an earlier
version are sealed.

They never make a store silently: run without the server's settings (another working
directory, a missing ``BAAS_DATA_DIR`` or ``BAAS_STORE_URL``), a command would write an
admin or a key into a new store no server reads. A store that does not exist yet
(no SQLite file, or a PostgreSQL schema without tables) is refused in one line naming
where the command looked, unless the command was asked to ``create`` it; and every
command says which store it used (:func:`store_in_words`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

from auth.errors import SecretKeyError
from auth.sealed_store import seal_store
from auth.system_tables import ensure_system_tables
from baas.config import Settings
from baas.errors import StartupError
from baas.secret_key import LoadedSecretKey, load_secret_key
from baas.stores import open_configured_store, store_setting
from storage import DocumentStore, SqliteConfig, describe_store

__all__ = ["open_sealed_store", "store_in_words"]


def store_in_words(settings: Settings) -> str:
    """Where the configured store is, for a command's output (a SQLite path made absolute)."""
    config = settings.store_config
    if isinstance(config, SqliteConfig):
        config = dataclasses.replace(config, path=config.path.resolve())
    return describe_store(config)


@contextlib.asynccontextmanager
async def open_sealed_store(
    settings: Settings, *, create: bool = False, create_option: str | None = None
) -> AsyncIterator[tuple[DocumentStore, LoadedSecretKey]]:
    """The store, checked against the process's secret key, and that key.

    Without ``create``, a store that does not exist yet is a :class:`StartupError`
    (nothing is made, not even the data folder); ``create_option`` is the command's
    flag that would create it, named in the message.
    """
    config = settings.store_config
    if not create and isinstance(config, SqliteConfig) and not config.path.exists():
        raise StartupError(_no_store(settings, create_option))
    loaded = load_secret_key(settings)
    store = await open_configured_store(settings)
    try:
        if not create and not await store.list_tables():
            # PostgreSQL: the server and schema answer, but no baas process used them.
            raise StartupError(_no_store(settings, create_option))
        try:
            views_changed = await ensure_system_tables(store)
            await seal_store(store, loaded.keys, compact=bool(views_changed))
        except SecretKeyError as exc:
            raise StartupError(f"{loaded.source}: {exc.message}") from None
        yield store, loaded
    finally:
        await store.close()


def _no_store(settings: Settings, create_option: str | None) -> str:
    setting = store_setting(settings)
    named = f"{setting}={settings.data_dir}" if setting == "BAAS_DATA_DIR" else setting
    hint = f", or add {create_option} to make a new store there" if create_option else ""
    return (
        f"no baas store in the {store_in_words(settings)} yet ({named}): run this "
        f"with the server's settings (its {setting}, e.g. from its .env), or start `baas dev` "
        f"there first{hint}"
    )
