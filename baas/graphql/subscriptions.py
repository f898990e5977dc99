"""``on<Model>Created``/``Updated``/``Deleted``: change-feed events, behind the rules.

Subscribing needs the caller's ``list`` permission on the model (a subscription sees a
stream of many items, like a list). Each event is then checked before it is sent, in
this order, and dropped at the first "no" — fail closed:

1. the event kind matches (INSERT, MODIFY or REMOVE);
2. the caller may see the item: allowed outright, or owner-only and the item's image
   (the new one; the old one for a deletion) names the caller in an owner field. An
   item handed to someone else stops reaching its former owner at that change;
3. the optional filter holds on that image — evaluated by the store's own expression
   engine, so a filter means the same here as in a list.

A field the subscriber may not read on that item (its own read rules,
:mod:`auth.field_rules`) is stripped from the event: sent as null, without an error.

Any error while checking drops the event (and is logged), never sends it.

Before an event is sent, the subscriber's token is checked again against every
revocation committed before that change (:meth:`RequestContext.allowed_through`): once
the user was disabled, deleted, signed out, changed password or lost a group, the
subscription ends — no event after the revocation, whichever API process made it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

from auth.field_rules import filter_fields
from auth.model_filters import compile_filter
from auth.models import ModelSpec
from auth.rules import Decision, Effect
from baas.graphql.change_hub import ChangeHub
from baas.graphql.context import RequestContext
from baas.graphql.values import ItemView, from_graphql
from storage import Item
from storage.expressions import Condition, Placeholders, parse_condition
from storage.expressions.builder import ExpressionBuilder
from storage.values import validate_item

__all__ = ["EventKind", "ModelEvents"]

EventKind = Literal["INSERT", "MODIFY", "REMOVE"]
_log = logging.getLogger("baas.graphql.subscriptions")


class ModelEvents:
    """The change events of one model, as one subscriber may see them."""

    def __init__(self, model: ModelSpec, hub: ChangeHub) -> None:
        self.model = model
        self.hub = hub

    async def stream(
        self, context: RequestContext, event: EventKind, filter_: Mapping[str, Any] | None
    ) -> AsyncIterator[dict[str, Any]]:
        decision = context.store.require(self.model.table, "list")
        # A hidden field is stripped from events (None), never sent, never filtered on.
        view = ItemView(self.model, context.caller, hidden=None)
        view.check_usable(filter_fields(filter_))
        condition = self._condition(filter_)
        subscriber = await self.hub.subscribe(self.model.table)
        async for record in subscriber.records():
            if record.event != event:
                continue
            image = record.old_image if event == "REMOVE" else record.new_image
            if image is not None and self._visible(decision, condition, image):
                if not await context.allowed_through(record.seq):
                    return  # revoked at or before this change: the subscription ends
                yield view(image)

    def _condition(self, filter_: Mapping[str, Any] | None) -> Condition | None:
        builder = ExpressionBuilder()
        text = compile_filter(self.model, filter_, builder, from_graphql)
        if text is None:
            return None
        values = validate_item(builder.values) if builder.values else None
        return parse_condition(text, Placeholders(builder.names, values), label="FilterExpression")

    def _visible(self, decision: Decision, condition: Condition | None, image: Item) -> bool:
        try:
            if decision.effect == Effect.OWNER_ONLY and not any(
                image.get(field) == decision.caller_id for field in decision.owner_fields
            ):
                return False
            if decision.effect not in (Effect.OWNER_ONLY, Effect.ALLOWED):
                return False
            return condition is None or condition.evaluate(image)
        except Exception:  # noqa: BLE001 - fail closed: an event we cannot judge is not sent
            _log.exception("dropped a %s event that could not be checked", self.model.name)
            return False
