"""Where an application's code is, checked before it is imported.

``BAAS_APP=module:attribute`` names the app; it is imported from the working directory
(like uvicorn). Two mistakes are found here by looking at files, without importing
anything, so ``baas dev`` reports them before it starts Temporal and every command says
what is wrong in one line:

* the module is not there (a typo, or the command runs from another folder);
* a file of the project is named like one of baas's own top-level packages
  (``workflows.py``, ``functions.py``, ``auth.py``, ``storage.py``, ``baas.py``, as
  Temporal's samples lay projects out): Python finds one or the other under that name,
  so either the app's ``from workflows import ...`` reaches baas's package, or baas
  imports the user's file. Apps live in a package of their own (``baas new NAME``).

This module imports nothing heavy: ``baas dev``'s supervisor uses it.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from baas.errors import AppLoadError

__all__ = ["BAAS_PACKAGES", "check_app_layout", "find_app_module", "shadowing_files"]

BAAS_PACKAGES = ("baas", "workflows", "functions", "auth", "storage")
"""The top-level packages baas installs (one distribution, see pyproject.toml)."""

# Where the running baas's packages are: all five are siblings in one folder.
_INSTALLED = Path(__file__).resolve().parent.parent


def shadowing_files(folder: Path) -> list[tuple[Path, str]]:
    """The files in ``folder`` that a top-level import of a baas package would find.

    Each is ``(file, package)``: a ``NAME.py`` or a package ``NAME/`` for one of
    :data:`BAAS_PACKAGES`, unless it *is* baas's own package (running from a checkout).
    A folder without ``__init__.py`` shadows nothing: a regular package wins over it.
    """
    found: list[tuple[Path, str]] = []
    for name in BAAS_PACKAGES:
        own = (_INSTALLED / name).resolve()
        for candidate, location in (
            (folder / f"{name}.py", folder / f"{name}.py"),
            (folder / name / "__init__.py", folder / name),
        ):
            if candidate.is_file() and location.resolve() != own:
                found.append((location, name))
    return found


def find_app_module(ref: str, folder: Path) -> Path:
    """The file of ``ref``'s module (``module:attribute``) under ``folder``.

    Looked up on the file system like :func:`baas.check.resolve_target`; an app
    installed elsewhere on ``sys.path`` (not in ``folder``) is left to the import.
    """
    module = ref.partition(":")[0]
    relative = Path(*module.split("."))
    for candidate in (folder / relative / "__init__.py", (folder / relative).with_suffix(".py")):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(module)


def check_app_layout(ref: str, folder: Path) -> Path | None:
    """Raise :class:`AppLoadError` for a shadowing file, a missing module, or an app
    module that never binds the attribute.

    Returns the app module's file when it is in ``folder`` (None otherwise: it may be
    installed, and the import will say).
    """
    shadows = shadowing_files(folder)
    if shadows:
        raise AppLoadError(shadowing_message(shadows, folder))
    try:
        path = find_app_module(ref, folder)
    except FileNotFoundError:
        top = ref.partition(":")[0].split(".")[0]
        # Installed elsewhere on sys.path? (find_spec of a top-level name runs no code)
        if importlib.util.find_spec(top) is None:
            raise AppLoadError(
                f"BAAS_APP: no module {top!r} in {folder} (neither {top}.py nor {top}/) "
                "nor installed; run the command from your project's folder, or fix BAAS_APP"
            ) from None
        return None
    attribute = ref.partition(":")[2]
    if attribute and attribute not in _top_level_names(path):
        raise AppLoadError(
            f"BAAS_APP: {_shown(path, folder)} defines no {attribute!r} at its top level "
            f"(BAAS_APP={ref}); name the variable that holds the App"
        )
    return path


def shadowing_message(shadows: list[tuple[Path, str]], folder: Path) -> str:
    """One line: which file hides which package, and how to lay the project out instead."""
    named = ", ".join(
        f"{_shown(path, folder)} shadows baas's package '{package}'" for path, package in shadows
    )
    return (
        f"BAAS_APP: {named} (Python would import one for the other); "
        "keep your modules in a package of your own, e.g. myapp/workflows.py "
        "(`baas new myapp` lays one out), or rename the file"
    )


def _shown(path: Path, folder: Path) -> str:
    try:
        relative = path.relative_to(folder)
    except ValueError:
        return str(path)
    return f"./{relative}" + ("/" if path.is_dir() else "")


def _top_level_names(path: Path) -> set[str]:
    """Names a module binds at its top level (assignments, imports, defs, classes).

    A module whose text cannot be parsed binds everything as far as this check goes:
    its import will report the real error.
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
        return _ANY
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            if node.name == "*":
                return _ANY
            names.add(node.asname or node.name.split(".")[0])
    # A module __getattr__ answers names it never binds.
    return _ANY if "__getattr__" in names else names


class _Everything(set[str]):
    def __contains__(self, _item: object) -> bool:
        return True


_ANY = _Everything()
