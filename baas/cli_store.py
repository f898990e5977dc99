"""The store as a command (``baas keys``, ``baas users``) opens it: private and sealed.

Commands open the embedded store directly, whether or not the API runs, and take the
same care as a starting API process: the data folder is made private, the secret key
is loaded and checked against the store, and plain secrets left by an earlier
version are sealed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from auth.errors import SecretKeyError
from auth.sealed_store import seal_store
from auth.system_tables import ensure_system_tables
from baas.config import Settings
from baas.errors import StartupError
from baas.secret_key import LoadedSecretKey, load_secret_key
from baas.stores import open_configured_store
from storage import DocumentStore

__all__ = ["open_sealed_store"]


@contextlib.asynccontextmanager
async def open_sealed_store(
    settings: Settings,
) -> AsyncIterator[tuple[DocumentStore, LoadedSecretKey]]:
    """The store, checked against the process's secret key, and that key."""
    loaded = load_secret_key(settings)
    store = await open_configured_store(settings)
    try:
        try:
            views_changed = await ensure_system_tables(store)
            await seal_store(store, loaded.keys, compact=bool(views_changed))
        except SecretKeyError as exc:
            raise StartupError(f"{loaded.source}: {exc.message}") from None
        yield store, loaded
    finally:
        await store.close()
