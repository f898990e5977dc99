"""The worker's build id: cheap to compute, and it follows the app's code."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from baas.worker import build_id


@pytest.fixture
def app_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    package = tmp_path / "buildidapp"
    package.mkdir()
    (package / "__init__.py").write_text("from buildidapp import jobs\n")
    (package / "jobs.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("buildidapp")
    yield package
    for name in [n for n in sys.modules if n.split(".")[0] == "buildidapp"]:
        del sys.modules[name]


def test_the_same_code_gives_the_same_id(app_package: Path) -> None:
    assert build_id("buildidapp:app") == build_id("buildidapp:app")
    assert build_id("buildidapp:app").startswith("baas-")


def test_an_edit_to_any_loaded_module_of_the_app_changes_the_id(app_package: Path) -> None:
    before = build_id("buildidapp:app")
    (app_package / "jobs.py").write_text("VALUE = 2\n")
    assert build_id("buildidapp:app") != before


def test_without_an_app_the_id_names_the_platform_versions_only(app_package: Path) -> None:
    assert build_id(None) == build_id(None)
    assert build_id(None) != build_id("buildidapp:app")
