"""The long-lived parts one API process shares, opened and closed with the app.

:func:`create_app` builds a :class:`Services` synchronously (routes close over it) and
its lifespan calls :meth:`Services.start` and :meth:`Services.stop`. Everything a route
needs — the store, the Temporal connection, the application's model policies, the
authenticator — is reached through it, so there is one place that decides how the
parts are built from :class:`~baas.config.Settings`.
"""

from __future__ import annotations

import logging

from auth.acting_store import ActingStore, TablePolicy
from auth.errors import ModelDeclarationError, SecretKeyError
from auth.models import ModelSpec
from auth.rules import Caller
from baas.application import App
from baas.auth_wiring import AuthServices
from baas.call_log import ensure_call_log
from baas.config import Settings
from baas.errors import StartupError
from baas.metrics import HttpMetrics
from baas.persisted_documents import ensure_persisted_tables
from baas.secret_key import load_secret_key
from baas.stores import open_configured_store
from baas.temporal_client import TemporalConnection
from baas.user_data import UserDataPolicy
from storage import DocumentStore, TableSpec, describe_store
from storage.errors import ResourceNotFoundError, StorageError
from workflows.caller_signatures import CallerSigner

__all__ = ["Services"]

_log = logging.getLogger("baas.services")


class ServicesNotStartedError(RuntimeError):
    """A route ran before the app's lifespan started the services (a wiring bug)."""


class Services:
    """Store, Temporal connection and application policies of one API process."""

    def __init__(
        self,
        settings: Settings,
        *,
        app: App | None = None,
        temporal: TemporalConnection | None = None,
        store: DocumentStore | None = None,
    ) -> None:
        self.settings = settings
        self.app = app
        # The key that seals the store's secrets and keys what processes share; a
        # missing one stops the process here, before anything starts.
        self.secret_key = load_secret_key(settings)
        self.secret_keys = self.secret_key.keys
        self.temporal = temporal or TemporalConnection(
            settings.temporal_target,
            settings.temporal_namespace,
            CallerSigner.from_secret_keys(self.secret_keys),
        )
        self._store = store
        self._owns_store = store is None
        # Managed auth: store-backed keys and revocations shared by every API process.
        self.auth = AuthServices(settings, lambda: self.store, self.secret_keys)
        self.auth.user_data = UserDataPolicy(
            app, lambda: self.store, self.temporal, task_queue=settings.task_queue
        )
        self.token_config = self.auth.token_config
        self.keyring = self.auth.keyring
        self.tokens = self.auth.issuer
        self.authenticator = self.auth.authenticator
        self.policies: dict[str, TablePolicy] = {
            spec.table: TablePolicy.of_model(spec) for spec in self.models
        }
        # What this process serves, on every port it listens on (``/metrics``).
        self.metrics = HttpMetrics()

    @property
    def models(self) -> list[ModelSpec]:
        return list(self.app.models.values()) if self.app else []

    @property
    def store(self) -> DocumentStore:
        if self._store is None:
            raise ServicesNotStartedError("the store is not open yet")
        return self._store

    def acting_as(self, caller: Caller) -> ActingStore:
        """The store as ``caller`` sees it: every operation passes the access rules."""
        return ActingStore(self.store, caller, self.policies, on_denied=self._denied)

    def _denied(self, caller: Caller, table: str, operation: str) -> None:
        """An access rule refused ``caller``: a (sampled) security event."""
        self.auth.events.denied(caller, table, operation)

    async def start(self) -> None:
        """Open the store and make sure every model's table exists."""
        if self._store is None:
            self._store = await open_configured_store(self.settings)
        await self._ensure_tables()
        if self.app is not None and self.app.invocables:
            await ensure_call_log(self.store)
        # GraphQL's persisted documents (baas.persisted_documents), whatever the app.
        await ensure_persisted_tables(self.store, self.settings.graphql_apq_documents)
        try:
            await self.auth.start()
        except SecretKeyError as exc:
            await self.stop()
            raise StartupError(f"{self.secret_key.source}: {exc.message}") from None

    async def stop(self) -> None:
        await self.auth.stop()
        if self._owns_store and self._store is not None:
            await self._store.close()
            self._store = None

    async def check_storage(self) -> str | None:
        """Health probe: None when the store answers, else a short reason."""
        try:
            await self.store.list_tables()
        except (StorageError, ServicesNotStartedError, OSError) as exc:
            _log.warning("storage health check failed: %r", exc.__cause__ or exc)
            return f"the {describe_store(self.settings.store_config)} is not available"
        return None

    async def _ensure_tables(self) -> None:
        for spec in self.models:
            wanted = spec.table_spec()
            try:
                current = await self.store.table_spec(wanted.name)
            except ResourceNotFoundError:
                await self.store.create_table(wanted)
                _log.info("created table %s for model %s", wanted.name, spec.name)
                continue
            await self._reconcile(spec, current, wanted)

    async def _reconcile(self, spec: ModelSpec, current: TableSpec, wanted: TableSpec) -> None:
        """Bring indexes and TTL in line with the declaration; keys cannot change."""
        if (current.partition_key, current.sort_key) != (wanted.partition_key, wanted.sort_key):
            raise ModelDeclarationError(
                f"model {spec.name}: its table {wanted.name!r} exists with another primary key; "
                "rename the table (table=...) or migrate the data"
            )
        have = {index.name: index for index in current.indexes}
        want = {index.name: index for index in wanted.indexes}
        stale = [name for name, index in have.items() if want.get(name) != index]
        missing = [index for name, index in want.items() if have.get(name) != index]
        if stale or missing:
            if stale:
                await self.store.update_table(wanted.name, delete_indexes=tuple(stale))
            if missing:
                await self.store.update_table(wanted.name, create_indexes=tuple(missing))
            added = [index.name for index in missing]
            _log.info("updated indexes of %s: removed %s, added %s", wanted.name, stale, added)
        if current.ttl_attribute != wanted.ttl_attribute:
            await self.store.update_ttl(wanted.name, wanted.ttl_attribute)
        if current.version_attribute != wanted.version_attribute:
            # Tables made before the store kept versions: from now on every write bumps it.
            await self.store.update_version_attribute(wanted.name, wanted.version_attribute)
