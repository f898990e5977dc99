"""auth/ stays framework-free and points only at storage (DESIGN.md, layering)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import auth

FORBIDDEN = {"starlette", "strawberry", "uvicorn", "temporalio", "baas", "workflows", "functions"}
SOURCES = sorted(Path(auth.__file__).parent.rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.partition(".")[0])
    return roots


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_auth_imports_no_framework_and_no_upper_layer(path: Path) -> None:
    assert _imported_roots(path).isdisjoint(FORBIDDEN)


def test_authlib_jose_is_not_used() -> None:
    for path in SOURCES:
        assert "authlib.jose" not in path.read_text(encoding="utf-8"), path.name
