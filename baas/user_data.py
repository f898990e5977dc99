"""What becomes of the app's data when a user deletes their account.

The app declares it (``App("board", on_account_deleted=...)``):

- ``"keep"`` (the default): nothing is touched; items keep their owner's id, which no
  account has any more (nobody can act as that owner again: ids are random UUIDs).
- ``"delete"``: every item of every model whose owner field holds the user's id is
  deleted, as the system.
- a ``@workflow.defn`` class: it is started with the user's id (its ``run`` takes one
  ``str``), once per account (the call id is derived from the user id), to archive,
  anonymise or hand over whatever the app needs, durably.

It runs *before* the account is closed: if it fails (the store or Temporal is down) the
request fails with nothing closed, and the user can ask again; each step is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from auth.rules import Caller
from storage import DocumentStore, Item
from workflows.client import start_call

if TYPE_CHECKING:
    from auth.models import ModelSpec
    from baas.application import App
    from baas.temporal_client import TemporalConnection

__all__ = ["UserDataPolicy"]


class UserDataPolicy:
    """The app's declared policy for a deleted account's data."""

    def __init__(
        self,
        app: App | None,
        store: Callable[[], DocumentStore],
        temporal: TemporalConnection,
        *,
        task_queue: str,
    ) -> None:
        self._app = app
        self._store = store
        self._temporal = temporal
        self._task_queue = task_queue

    @property
    def policy(self) -> str:
        declared = "keep" if self._app is None else self._app.on_account_deleted
        return declared if isinstance(declared, str) else "workflow"

    async def apply(self, user_id: str) -> None:
        if self._app is None:
            return
        declared = self._app.on_account_deleted
        if declared == "delete":
            for spec in self._app.models.values():
                for owner in spec.owner_fields:
                    await self._delete_owned(spec, owner, user_id)
        elif isinstance(declared, type):
            client = await self._temporal.client()
            await start_call(
                client,
                declared,
                user_id,
                Caller.system(),
                task_queue=self._task_queue,
                idempotency_key=f"account-deleted:{user_id}",
            )

    async def _delete_owned(self, spec: ModelSpec, owner: str, user_id: str) -> None:
        store = self._store()
        key_names = [spec.partition_key] + ([spec.sort_key] if spec.sort_key else [])
        start: Item | None = None
        while True:
            page = await store.scan(
                spec.table,
                filter="#owner = :user",
                names={"#owner": owner},
                values={":user": user_id},
                exclusive_start_key=start,
            )
            for item in page.items:
                await store.delete_item(spec.table, {name: item[name] for name in key_names})
            start = page.last_evaluated_key
            if start is None:
                return
