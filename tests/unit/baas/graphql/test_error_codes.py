"""docs/graphql.md's error table is the list of codes the code can send, no more, no less."""

from __future__ import annotations

import re
from pathlib import Path

import baas.graphql  # noqa: F401 - imports every module defining a GraphQLApiError
from baas.graphql.error_shaping import SHAPING_CODES
from baas.graphql.errors import GraphQLApiError
from baas.graphql.http import REQUEST_ERRORS
from baas.http_errors import graphql_codes

DOC = Path(__file__).resolve().parents[4] / "docs" / "graphql.md"
_ROW = re.compile(r"^\| `([A-Z_]+)` \| ([^|]+) \|")


def _documented() -> dict[str, str]:
    """code -> its HTTP status cell, from the table under "## Errors"."""
    section = DOC.read_text().split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    rows = [_ROW.match(line) for line in section.splitlines()]
    return {row.group(1): row.group(2).strip() for row in rows if row}


def _api_error_codes() -> set[str]:
    codes: set[str] = set()
    pending: list[type[GraphQLApiError]] = [GraphQLApiError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending += cls.__subclasses__()
    return codes


def test_every_code_sent_is_documented_and_every_documented_code_is_sent() -> None:
    sent = set(SHAPING_CODES) | set(graphql_codes()) | _api_error_codes() | set(REQUEST_ERRORS)
    assert set(_documented()) == sent


def test_each_http_refusal_is_documented_with_its_status() -> None:
    documented = _documented()
    for code, status in REQUEST_ERRORS.items():
        assert str(status) in documented[code], code
