"""Security events in ``_baas_security_events``, kept for a configurable time (TTL).

Layout: every event in one partition (``stream``), sorted by its time-ordered id, so
the newest come first in one query; two sparse indexes answer "events of this user"
(``by_user``) and "events of this type" (``by_type``), also newest first. The store's
TTL sweeper removes an event ``retention`` seconds after it happened; until it has, a
listing leaves the expired ones out (as DynamoDB advises for TTL'd items).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar

from auth.errors import InvalidRequestError
from auth.system_tables import SECURITY_EVENTS_TABLE, TTL_ATTRIBUTE, number
from storage import DocumentStore, Item, PutRequest

__all__ = ["MAX_PAGE", "SecurityEvent", "SecurityEventStore"]

MAX_PAGE = 100
_STREAM = "events"
_EVENT_ID = re.compile(r"[0-9]{13}[0-9a-f]{12}")


@dataclass(frozen=True, slots=True)
class SecurityEvent:
    """One recorded event (see :mod:`auth.security_events`); ``at`` is epoch seconds."""

    event_id: str
    at: float
    type: str
    user_id: str | None = None
    actor_id: str | None = None
    address: str | None = None
    request_id: str | None = None
    detail: Mapping[str, str | int | bool] = field(default_factory=dict)

    def public_view(self) -> dict[str, object]:
        """What an admin (and the log) sees; the time in UTC."""
        moment = datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds")
        return {
            "id": self.event_id,
            "time": moment.replace("+00:00", "Z"),
            "type": self.type,
            "user_id": self.user_id,
            "actor_id": self.actor_id,
            "address": self.address,
            "request_id": self.request_id,
            "detail": dict(self.detail),
        }


class SecurityEventStore:
    """Writes and pages security events."""

    BATCH: ClassVar[int] = 25  # BatchWriteItem's limit

    def __init__(self, store: DocumentStore, *, retention: float) -> None:
        self._store = store
        self._retention = retention

    async def put_all(self, events: Sequence[SecurityEvent]) -> None:
        """Store up to :attr:`BATCH` events (retrying what the store leaves unprocessed)."""
        requests = [PutRequest(self._to_item(event)) for event in events]
        for _attempt in range(3):
            result = await self._store.batch_write({SECURITY_EVENTS_TABLE: requests})
            left = result.unprocessed_items.get(SECURITY_EVENTS_TABLE, [])
            if not left:
                return
            requests = [request for request in left if isinstance(request, PutRequest)]
        raise RuntimeError(f"{len(requests)} security events were not stored")

    async def page(
        self,
        *,
        user_id: str | None = None,
        event_type: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[SecurityEvent], str | None]:
        """Newest first: one page of events (of ``user_id``, of ``event_type``, or all)
        and the cursor of the next page, or None."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidRequestError(f"limit must be from 1 to {MAX_PAGE}.")
        if cursor is not None and not _EVENT_ID.fullmatch(cursor):
            raise InvalidRequestError("The cursor is not one this API returned.")
        names = {"#k": "stream", "#e": TTL_ATTRIBUTE}
        values: dict[str, object] = {":k": _STREAM, ":now": number(time.time())}
        index, filter_ = None, "#e > :now"
        start: dict[str, object] | None = None
        if cursor is not None:
            start = {"stream": _STREAM, "event_id": cursor}
        if user_id is not None:
            index, names["#k"], values[":k"] = "by_user", "user_id", user_id
            if start is not None:
                start["user_id"] = user_id
            if event_type is not None:
                filter_, names["#t"], values[":t"] = f"{filter_} AND #t = :t", "type", event_type
        elif event_type is not None:
            index, names["#k"], values[":k"] = "by_type", "type", event_type
            if start is not None:
                start["type"] = event_type
        page = await self._store.query(
            SECURITY_EVENTS_TABLE,
            "#k = :k",
            index=index,
            filter=filter_,
            names=names,
            values=values,
            limit=limit,
            exclusive_start_key=start,
            forward=False,
        )
        after = page.last_evaluated_key
        return [_from_item(item) for item in page.items], (
            str(after["event_id"]) if after else None
        )

    def _to_item(self, event: SecurityEvent) -> Item:
        item: Item = {
            "stream": _STREAM,
            "event_id": event.event_id,
            "type": event.type,
            "at": number(event.at),
            "detail": {
                name: Decimal(value)
                if isinstance(value, int) and not isinstance(value, bool)
                else value
                for name, value in event.detail.items()
            },
            TTL_ATTRIBUTE: Decimal(int(event.at + self._retention) + 1),
        }
        for name in ("user_id", "actor_id", "address", "request_id"):
            value = getattr(event, name)
            if value is not None:
                item[name] = value
        return item


def _from_item(item: Item) -> SecurityEvent:
    raw = item.get("detail")
    detail: dict[str, str | int | bool] = {}
    if isinstance(raw, dict):
        for name, value in raw.items():
            if isinstance(value, Decimal):
                detail[name] = int(value)
            elif isinstance(value, str | bool):
                detail[name] = value
    return SecurityEvent(
        event_id=str(item["event_id"]),
        at=float(str(item["at"])),
        type=str(item["type"]),
        user_id=_text(item, "user_id"),
        actor_id=_text(item, "actor_id"),
        address=_text(item, "address"),
        request_id=_text(item, "request_id"),
        detail=detail,
    )


def _text(item: Item, name: str) -> str | None:
    value = item.get(name)
    return value if isinstance(value, str) else None
