"""Stored forms of model values that every path writes the same way.

``datetime`` fields (and the server-owned ``created_at``/``updated_at``) are stored as
fixed-width UTC strings (``2026-01-31T09:30:00.000Z``, the format of JavaScript's
``toISOString``), so stored values sort and compare as text, which filters and key
conditions rely on.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_instant", "now_instant"]


def format_instant(moment: datetime) -> str:
    """The stored text of an aware datetime: UTC, millisecond precision, ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def now_instant() -> str:
    """The current instant in stored form (``created_at`` and ``updated_at``)."""
    return format_instant(datetime.now(UTC))
