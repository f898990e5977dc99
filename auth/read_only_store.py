"""The store as a caller sees it, for reading only: what a computed field gets.

A computed field (:mod:`auth.model_computed`) runs while a query's answer is built, so
it may read under the caller's rules but never write. Threat: a read (even a GET
query, which browsers and caches treat as safe) changing data through an app's field.
Every write of :class:`ReadOnlyActingStore` raises :class:`AccessDeniedError` before
anything is touched; reads are the :class:`~auth.acting_store.ActingStore`'s own.
"""

from __future__ import annotations

from typing import Any, NoReturn

from auth.acting_store import ActingStore
from auth.errors import AccessDeniedError

__all__ = ["ReadOnlyActingStore"]


class ReadOnlyActingStore(ActingStore):
    """An :class:`ActingStore` whose writes are all refused."""

    @classmethod
    def of(cls, store: ActingStore) -> ReadOnlyActingStore:
        """``store``'s reads (same store, caller and rules), without its writes."""
        return cls(store.store, store.caller, store.policies, on_denied=store._on_denied)

    def _refuse(self) -> NoReturn:
        raise AccessDeniedError("This code may read, not write (a computed field).")

    async def create_item(self, *_args: Any, **_kwargs: Any) -> Any:
        self._refuse()

    async def put_item(self, *_args: Any, **_kwargs: Any) -> Any:
        self._refuse()

    async def update_item(self, *_args: Any, **_kwargs: Any) -> Any:
        self._refuse()

    async def delete_item(self, *_args: Any, **_kwargs: Any) -> Any:
        self._refuse()

    async def transact_write(self, *_args: Any, **_kwargs: Any) -> Any:
        self._refuse()
