"""``baas check``: the static function-isolation check, as a command.

    baas check [module-or-path ...]     (default: the package of the BAAS_APP module)

Prints one line per finding — ``file:line: function 'a' calls function 'b' (defined at
file:line)`` — and exits 1 when there is any, 0 when there is none, 2 when a target
cannot be found. The analysis itself (``functions/source_check.py``) reads the code
with ``ast`` and never imports it.

An app named as ``module:attribute`` (``baas check myapp:app``) is also loaded, to find
workflows that call a function the App does not register (``file:line: workflow W calls
function 'f', which the App does not register ...``): what is registered is only known
once the app's module has run. Without such a target nothing is imported (the default,
BAAS_APP's package, is only read).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from functions.source_check import Finding, check_paths

__all__ = ["Finding", "check_paths", "main", "resolve_target"]


def resolve_target(target: str) -> Path:
    """A path given as is, or a dotted module/package name found on ``sys.path``.

    Found by looking at the file system, not by importing: ``find_spec`` would run the
    parent packages' code.
    """
    as_path = Path(target)
    if as_path.exists():
        return as_path
    relative = Path(*target.split(":")[0].split("."))
    for root in [Path.cwd(), *(Path(p) for p in sys.path if p)]:
        for candidate in (root / relative, root / relative.with_suffix(".py")):
            if candidate.exists():
                return candidate
    raise FileNotFoundError(f"no module or path named {target!r}")


def _context_for(paths: Sequence[Path]) -> list[Path]:
    """The top-level packages around ``paths``, to follow imports and re-exports."""
    roots: list[Path] = []
    for path in paths:
        folder = path if path.is_dir() else path.parent
        while (folder.parent / "__init__.py").is_file():
            folder = folder.parent
        if (folder / "__init__.py").is_file() and folder not in roots:
            roots.append(folder)
    return roots


def main(targets: Sequence[str], default: str | None) -> int:
    """Run the check on ``targets`` (or ``default``'s package); print findings; exit code."""
    if not targets and not default:
        print("baas check: name a module or path, or set BAAS_APP", file=sys.stderr)  # noqa: T201
        return 2
    try:
        paths = [resolve_target(name) for name in targets]
        if not targets and default:
            app_module = resolve_target(default.split(":")[0])
            # The app module's package: the package itself, or the one holding the module
            # (a top-level module alone: its folder may be the whole project, venv included).
            package = app_module.parent
            if app_module.is_dir() or not (package / "__init__.py").is_file():
                package = app_module
            paths = [package]
    except FileNotFoundError as exc:
        print(f"baas check: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    findings = [str(finding) for finding in check_paths(paths, _context_for(paths))]
    apps = [name for name in targets if ":" in name]
    for ref in apps:
        findings += _app_problems(ref)
    for finding in findings:
        print(finding)  # noqa: T201 - the command's output
    if findings:
        print(f"baas check: {len(findings)} problem(s) found", file=sys.stderr)  # noqa: T201
        return 1
    checked = ", ".join(str(path) for path in paths)
    print(f"baas check: no function imports or calls another ({checked})")  # noqa: T201
    if apps:
        registered = ", ".join(apps)
        print(f"baas check: every function a workflow calls is registered ({registered})")  # noqa: T201
    return 0


def _app_problems(ref: str) -> list[str]:
    """Load the app (which runs its code) and list workflows' calls it does not serve."""
    from baas.application import load_app, unregistered_calls
    from baas.errors import AppLoadError

    try:
        app = load_app(ref, check_calls=False)
    except AppLoadError as exc:
        return [exc.message]
    return unregistered_calls(app)
