"""New item ids: unique and time-ordered (the ULID layout).

26 characters of Crockford base32: 48 bits of milliseconds since the epoch, then 80
random bits. Ids made in different milliseconds sort by creation time as plain text,
which suits sort keys (``id: SortKey[str] = generated_id()`` lists oldest first).
"""

from __future__ import annotations

import secrets
import time

__all__ = ["new_id"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_LENGTH = 26


def new_id() -> str:
    """A new id such as ``01JDQ4ZC3V5W9X2ZB8T7KQ4M6N``."""
    number = (time.time_ns() // 1_000_000) << _RANDOM_BITS | secrets.randbits(_RANDOM_BITS)
    chars = []
    for _ in range(_LENGTH):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))
