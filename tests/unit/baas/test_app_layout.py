"""A project's files that would shadow baas's packages, found before the app is imported.

Laid out like Temporal's samples (``workflows.py``, ``functions.py`` at the top), a
project hid baas's packages of those names: ``baas serve`` failed with ``cannot import
name ... from 'workflows'``. Now loading the app says in one line which file shadows
which package, and how to lay the project out instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from baas.app_layout import BAAS_PACKAGES, check_app_layout, shadowing_files
from baas.application import load_app
from baas.errors import AppLoadError

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("package", BAAS_PACKAGES)
def test_a_top_level_module_named_like_a_baas_package_is_one_line_naming_both(
    tmp_path: Path, package: str
) -> None:
    (tmp_path / "app.py").write_text("app = None\n")
    (tmp_path / f"{package}.py").write_text("")

    with pytest.raises(AppLoadError) as raised:
        check_app_layout("app:app", tmp_path)

    message = raised.value.message
    assert "\n" not in message
    assert f"./{package}.py shadows baas's package '{package}'" in message
    assert "baas new" in message


def test_a_package_shadows_too_but_a_folder_without_init_does_not(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / "__init__.py").write_text("")
    (tmp_path / "auth").mkdir()  # a namespace folder: a regular package wins over it
    (tmp_path / "auth" / "notes.txt").write_text("")

    assert shadowing_files(tmp_path) == [(tmp_path / "storage", "storage")]


def test_baas_own_checkout_shadows_nothing() -> None:
    assert shadowing_files(ROOT) == []


def test_load_app_refuses_before_importing_the_users_workflows_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Importing this workflows.py would fail the test: the check comes first.
    (tmp_path / "workflows.py").write_text("raise SystemExit('imported')\n")
    (tmp_path / "app.py").write_text("from workflows import MyWorkflow\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # load_app adds the folder

    with pytest.raises(AppLoadError, match=r"\./workflows\.py shadows baas's package"):
        load_app("app:app")


def test_a_missing_module_or_attribute_is_named(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("from baas import App\napplication = App('x')\n")

    with pytest.raises(AppLoadError, match=r"no module 'nosuch' in .* nor installed"):
        check_app_layout("nosuch:app", tmp_path)
    with pytest.raises(AppLoadError, match=r"\./shop/__init__\.py defines no 'app'"):
        check_app_layout("shop:app", tmp_path)
    assert check_app_layout("shop:application", tmp_path) == tmp_path / "shop" / "__init__.py"


def test_something_that_is_not_an_app_names_the_file_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes_app.py").write_text("app = object()\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # load_app adds the folder

    with pytest.raises(AppLoadError) as raised:
        load_app("notes_app:app")

    assert raised.value.message == (
        f"BAAS_APP: 'notes_app:app' is not a baas App: 'app' in "
        f"{tmp_path / 'notes_app.py'} is of type object"
    )
