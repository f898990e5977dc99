"""Logging, set up in one place.

Dev gets readable lines, prod gets one JSON object per line. Every record carries the
id of the request it belongs to (see :mod:`baas.requests`), and every message passes a
redaction filter, so a password, token or secret that slips into a log call is masked
before it reaches a handler. The values put into a message (its ``%s`` arguments: a path,
a header, anything a client chose) have their control characters escaped, so a line
break in them (``/x%0a2026-01-01 INFO forged`` decodes to one) cannot start a forged
line of its own.
"""

from __future__ import annotations

import json
import logging
import numbers
import re
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Final

__all__ = ["configure_logging", "escape_controls", "redact", "request_id_var"]

request_id_var: ContextVar[str | None] = ContextVar("baas_request_id", default=None)

# Threat: credentials leaking into log files that are shipped to less trusted systems.
_SECRET_PATTERNS: Final = (
    re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*"),  # anything shaped like a JWT
    re.compile(r"(?i)\b(bearer|basic)\s+[\w\-.~+/=]+"),
    re.compile(
        r"(?i)\b(password|passwd|secret|client_secret|token|access_token|refresh_token|"
        r"id_token|code_verifier|authorization|api_key|secret_access_key)"
        r"(\"?'?\s*[:=]\s*\"?'?)([^\"'\s,&;}]+)"
    ),
)


# Threat: log forging. C0 and C1 controls (line feed, carriage return, escape, NEL) and
# the Unicode line separators; a tab stays a tab.
_CONTROL: Final = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """``text`` with its control characters written as escapes (``\\n``, ``\\x1b``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class _Escaped:
    """An argument that formats (``%s`` and ``%r``) with its control characters escaped."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return escape_controls(str(self.value))

    def __repr__(self) -> str:
        return escape_controls(repr(self.value))


def _escaped(value: object) -> object:
    # Numbers stay numbers (%d, %.2f); anything else may carry a client's text.
    if value is None or isinstance(value, numbers.Number):
        return value
    return _Escaped(value)


def redact(text: str) -> str:
    """Mask credentials in ``text``: JWTs, bearer values, ``password=...`` and similar."""
    text = _SECRET_PATTERNS[0].sub("[REDACTED]", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: f"{m.group(1)} [REDACTED]", text)
    return _SECRET_PATTERNS[2].sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", text)


class _ContextFilter(logging.Filter):
    """Attaches the request id and masks secrets in the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        if isinstance(record.args, Mapping):
            record.args = {key: _escaped(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_escaped(value) for value in record.args)
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            entry["request_id"] = request_id
        for key in ("method", "path", "status", "duration_ms", "security_event"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


class _ReadableFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s")

    def formatException(self, ei: object) -> str:  # noqa: N802 (stdlib name)
        return redact(super().formatException(ei))  # type: ignore[arg-type]


def configure_logging(*, json_lines: bool, level: str = "INFO") -> None:
    """Route every logger (ours, uvicorn's, temporalio's) to stderr in one format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if json_lines else _ReadableFormatter())
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own handlers would print a second, unfiltered copy; its access log would
    # print query strings (which may carry OAuth codes), so we log requests ourselves.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
