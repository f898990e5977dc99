"""``baas.write_item``: put one item into a table through ``ctx.store``.

The store is the caller's (access rules apply) unless a workflow runs this for the
system caller. Item values must be JSON types (strings, numbers, booleans, null, lists,
maps), since they travel through Temporal as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auth.errors import AuthError
from functions.context import Context
from functions.definition import function
from functions.errors import StoreRefusedError
from storage.errors import StorageError, StorageUnavailableError

__all__ = ["WriteItemInput", "WriteItemOutput", "write_item"]


@dataclass(frozen=True)
class WriteItemInput:
    table: str
    item: dict[str, Any]
    condition: str | None = None
    names: dict[str, str] | None = None
    values: dict[str, Any] | None = None


@dataclass(frozen=True)
class WriteItemOutput:
    table: str


@function(timeout=10, retries=3, name="baas.write_item")
async def write_item(ctx: Context, inp: WriteItemInput) -> WriteItemOutput:
    """Create or replace ``inp.item`` in ``inp.table`` (optionally under a condition)."""
    options: dict[str, Any] = {}
    if inp.condition is not None:
        options = {"condition": inp.condition, "names": inp.names, "values": inp.values}
    try:
        await ctx.store.put_item(inp.table, inp.item, **options)
    except StorageUnavailableError:
        raise  # transient: retried by the policy
    except (StorageError, AuthError) as exc:
        # A failed condition or a denied write will fail the same way again.
        raise StoreRefusedError(exc.code, str(exc)) from exc
    return WriteItemOutput(inp.table)
