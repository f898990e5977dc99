"""A table's version attribute: a change counter the store itself keeps.

A table may name a *version attribute* (``TableSpec.version_attribute``; baas's model
tables name ``version``). Then every write that changes an item leaves that attribute
**greater than before**, whatever the way in (a model write, a raw put from a function,
a DynamoDB client, a batch or a transaction), atomically with the write:

- a write that sets it to an integer above the current value keeps that value (a
  DynamoDB client doing its own optimistic locking, ``SET version = :next`` with
  ``version = :current`` as condition, gets its item as sent);
- any other write (one that leaves it alone, removes it, echoes the current or an older
  value, or sets something that is not an integer) gets the current value + 1;
- an item without one counts as version 0, so a new item starts at 1.

So a reader who saw version ``v`` and writes under the condition ``version = v``
(GraphQL's ``expectedVersion``) fails after *any* change it has not seen: no path can
change an item and leave its version where it was. A write that changes nothing (a put
of the very same item) is no change and keeps the version. A deleted item has no
version; one created again under the same key starts at 1 again.

Versions stay below 2^31 (what every client and GraphQL's ``Int`` can hold): a larger
value sent is treated as not sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from storage.values import Item

__all__ = ["MAX_VERSION", "next_version"]

MAX_VERSION: Final = 2**31 - 1


def next_version(attribute: str, old: Item | None, new: Item) -> Item:
    """``new`` with ``attribute`` raised above ``old``'s (see the module docstring)."""
    current = _version_of(old.get(attribute)) if old is not None else 0
    sent = _version_of(new.get(attribute))
    if sent > current:
        return new
    return {**new, attribute: Decimal(current + 1)}


def _version_of(value: object) -> int:
    """An attribute's value as a version: a whole number in range, else 0."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        number = int(value)
        return number if 0 <= number <= MAX_VERSION else 0
    return 0
