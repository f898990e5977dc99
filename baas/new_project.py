"""``baas new NAME``: a new application's project, laid out so that nothing collides.

    baas new notes        makes ./notes/ (the project) holding the package notes/

What it writes (templates in ``baas/project_template/``, ``{{name}}`` replaced)::

    notes/                     the project folder: run baas and pytest from here
      .env, .env.example       BAAS_APP=notes:app; the other settings, documented
      .gitignore, README.md, pyproject.toml (pytest settings)
      notes/__init__.py        the App and its registrations
      notes/models.py, functions.py, workflows.py
      tests/conftest.py, test_workflows.py, test_replay.py   (pass as generated)

The app's modules sit in a package of its own, so a ``workflows.py`` of the app is
``notes.workflows`` and never shadows baas's ``workflows`` (see :mod:`baas.app_layout`).
NAME must be a Python identifier that names nothing importable already (not one of
baas's packages, nor a module of the standard library), and the folder must not exist.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from baas.app_layout import BAAS_PACKAGES
from baas.errors import BaasError

__all__ = ["FILES", "new_project"]

_TEMPLATES = Path(__file__).parent / "project_template"

FILES: dict[str, str] = {
    "env.tmpl": ".env",
    "env.example.tmpl": ".env.example",
    "gitignore.tmpl": ".gitignore",
    "project-README.md.tmpl": "README.md",
    "pyproject.toml.tmpl": "pyproject.toml",
    "package/__init__.py.tmpl": "{{name}}/__init__.py",
    "package/models.py.tmpl": "{{name}}/models.py",
    "package/functions.py.tmpl": "{{name}}/functions.py",
    "package/workflows.py.tmpl": "{{name}}/workflows.py",
    "tests/conftest.py.tmpl": "tests/conftest.py",
    "tests/test_workflows.py.tmpl": "tests/test_workflows.py",
    "tests/test_replay.py.tmpl": "tests/test_replay.py",
}
"""Each template, and where it goes in the new project."""


class NewProjectError(BaasError):
    """NAME cannot name a new project here (the message says why, in one line)."""


def new_project(name: str, where: Path) -> Path:
    """Write the project ``name`` into ``where / name``; returns that folder."""
    _check_name(name)
    project = where / name
    if project.exists():
        raise NewProjectError(f"baas new: {project} exists already; pick another name or place")
    for template, target in FILES.items():
        path = project / target.replace("{{name}}", name)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (_TEMPLATES / template).read_text(encoding="utf-8")
        path.write_text(text.replace("{{name}}", name), encoding="utf-8")
    return project


def _check_name(name: str) -> None:
    if not name.isidentifier() or not name.isascii():
        suggestion = "".join(c if c.isalnum() else "_" for c in name).strip("_") or "myapp"
        raise NewProjectError(
            f"baas new: {name!r} is not a Python package name (letters, digits and _, "
            f"not starting with a digit); try {suggestion!r}"
        )
    if name in BAAS_PACKAGES or name in sys.stdlib_module_names or name in ("tests", "test"):
        raise NewProjectError(
            f"baas new: {name!r} is taken (baas's own packages, Python's standard library "
            "and tests): imports of it would find the other one; pick another name"
        )
    if importlib.util.find_spec(name) is not None:
        raise NewProjectError(
            f"baas new: a module {name!r} is installed already: imports of it would find "
            "the other one; pick another name"
        )
