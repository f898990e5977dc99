"""Opening the configured document store, with a one-line error naming the setting when
it cannot be (a PostgreSQL server that does not answer, a file that cannot be opened)."""

from __future__ import annotations

from baas.config import Settings
from baas.data_folder import prepare_data_folder
from baas.errors import StartupError
from storage import DocumentStore, describe_store, open_store
from storage.errors import StorageUnavailableError

__all__ = ["open_configured_store", "store_setting"]


def store_setting(settings: Settings) -> str:
    """The setting that says where the store is."""
    return "BAAS_STORE_URL" if settings.store_url is not None else "BAAS_DATA_DIR"


async def open_configured_store(settings: Settings) -> DocumentStore:
    """The store of ``settings``, its data folder prepared (it also holds mail, keys, logs)."""
    prepare_data_folder(settings.data_dir)
    config = settings.store_config
    try:
        return await open_store(config)
    except StorageUnavailableError as exc:
        raise StartupError(
            f"{store_setting(settings)}: cannot open the {describe_store(config)}: {exc.message}"
        ) from exc
