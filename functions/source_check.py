"""The static half of function isolation: find functions that import or call others.

Reads Python source with :mod:`ast` — never imports it, so a broken or side-effecting
module can still be checked — and reports, for every module that declares
``@function``\\ s:

* an import of another function (``from pkg.billing import charge_card``), also
  through a module that re-exports it;
* a call of a function from inside a function: directly, through an alias
  (``g = charge_card; g(...)``), through a module attribute
  (``import pkg.billing as b; b.charge_card(...)``), or through what the decorated
  object wraps (``charge_card.__wrapped__(...)``).

Each :class:`Finding` prints as ``file:line: function 'a' calls function 'b' (defined
at file:line)``. ``baas check`` (``baas/check.py``) is the command around it.

What it does not see: calls hidden behind a plain helper function or ``getattr`` with
a computed name. The run-time guard (``functions/guard.py``) catches those when they run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Finding", "check_paths"]

_DECORATORS = {"baas.function", "functions.function", "functions.definition.function"}
_WRAPPER_ATTRIBUTES = {"__wrapped__", "run", "_impl", "__call__"}


@dataclass(frozen=True)
class Finding:
    """One violation, printable as ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class _Module:
    """What one parsed file declares: imports, aliases and @function definitions."""

    name: str
    path: Path
    tree: ast.Module
    bindings: dict[str, tuple[str, int]] = field(
        default_factory=dict
    )  # import: name -> (dotted, line)
    aliases: dict[str, tuple[str, int]] = field(default_factory=dict)  # `g = other_fn`
    functions: dict[str, ast.AsyncFunctionDef | ast.FunctionDef] = field(default_factory=dict)


def _module_name(path: Path) -> str:
    """The dotted name of ``path``, found by walking up through packages."""
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) or path.stem


def _absolute(module: _Module, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` names (resolving ``from . import x``)."""
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    if module.path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*base, *([node.module] if node.module else [])])


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


class _Index:
    """All parsed modules, and name resolution across them."""

    def __init__(self, modules: Iterable[_Module]) -> None:
        self.modules = {m.name: m for m in modules}

    def local(self, module: _Module, dotted: str, scope: dict[str, tuple[str, int]]) -> str:
        """Expand the first segment of ``dotted`` through ``scope`` or the module's bindings."""
        head, _, rest = dotted.partition(".")
        if head in scope:
            target = scope[head][0]
        elif head in module.aliases:
            target = self.local(module, module.aliases[head][0], {})
        elif head in module.bindings:
            target = module.bindings[head][0]
        elif head in module.functions:
            target = f"{module.name}.{head}"
        else:
            return dotted
        return f"{target}.{rest}" if rest else target

    def function_at(
        self, dotted: str, seen: frozenset[str] = frozenset()
    ) -> tuple[_Module, str] | None:
        """The (module, name) of the @function ``dotted`` refers to, following re-exports."""
        if dotted in seen:
            return None
        module_name, _, attr = dotted.rpartition(".")
        module = self.modules.get(module_name)
        if module is None or not attr:
            return None
        if attr in module.functions:
            return module, attr
        for table in (module.bindings, module.aliases):
            if attr in table:
                return self.function_at(self.local(module, table[attr][0], {}), seen | {dotted})
        return None

    def resolve(
        self, module: _Module, node: ast.expr, scope: dict[str, tuple[str, int]]
    ) -> tuple[_Module, str] | None:
        """The function ``node`` denotes, also through ``.__wrapped__`` and the like."""
        dotted = _dotted(node)
        if dotted is None:
            return None
        full = self.local(module, dotted, scope)
        parts = full.split(".")
        # Try the longest prefix first: pkg.mod.fn.__wrapped__ → pkg.mod.fn.
        for end in range(len(parts), 1, -1):
            if end < len(parts) and parts[end] not in _WRAPPER_ATTRIBUTES:
                continue
            found = self.function_at(".".join(parts[:end]))
            if found is not None:
                return found
        return None


def _collect(module: _Module) -> None:
    """Fill in the module's import bindings, aliases and @function definitions."""
    for node in module.tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.bindings[alias.asname] = (alias.name, node.lineno)
                else:  # `import a.b` binds `a`, and a.b.x then resolves through it
                    head = alias.name.split(".")[0]
                    module.bindings[head] = (head, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            for alias in node.names:
                module.bindings[alias.asname or alias.name] = (f"{base}.{alias.name}", node.lineno)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], _dotted(node.value)
            if isinstance(target, ast.Name) and value:
                module.aliases[target.id] = (value, node.lineno)
    for node in module.tree.body:
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and _is_function(module, node):
            module.functions[node.name] = node


def _is_function(module: _Module, node: ast.AsyncFunctionDef | ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        dotted = _dotted(target)
        if dotted is None:
            continue
        head, _, rest = dotted.partition(".")
        bound = module.bindings.get(head)
        expanded = (f"{bound[0]}.{rest}" if rest else bound[0]) if bound else dotted
        if expanded in _DECORATORS:
            return True
    return False


def _where(module: _Module, name: str) -> str:
    return f"{_display(module.path)}:{module.functions[name].lineno}"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _findings(index: _Index, module: _Module) -> Iterator[Finding]:
    if not module.functions:
        return
    yield from _imported_functions(index, module, module.bindings.values())
    for name, definition in module.functions.items():
        yield from _calls_in(index, module, name, definition)


def _imported_functions(
    index: _Index, module: _Module, bindings: Iterable[tuple[str, int]]
) -> Iterator[Finding]:
    for dotted, line in bindings:
        found = index.function_at(dotted)
        if found is not None and found[0] is not module:
            target_module, target = found
            yield Finding(
                _display(module.path),
                line,
                f"function module '{module.name}' imports function '{target}' "
                f"(defined at {_where(target_module, target)}); compose functions in a workflow",
            )


def _calls_in(
    index: _Index, module: _Module, name: str, definition: ast.AsyncFunctionDef | ast.FunctionDef
) -> Iterator[Finding]:
    scope: dict[str, tuple[str, int]] = {}
    for node in ast.walk(definition):
        if isinstance(node, ast.Import | ast.ImportFrom):
            fake = ast.Module(body=[node], type_ignores=[])
            inner = _Module(module.name, module.path, fake)
            _collect(inner)
            scope.update(inner.bindings)
            yield from _imported_functions(index, module, inner.bindings.values())
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], _dotted(node.value)
            if isinstance(target, ast.Name) and value:
                scope[target.id] = (index.local(module, value, scope), node.lineno)
    for node in ast.walk(definition):
        if not isinstance(node, ast.Call):
            continue
        found = index.resolve(module, node.func, scope)
        if found is not None and not (found[0] is module and found[1] == name):
            callee_module, callee = found
            yield Finding(
                _display(module.path),
                node.lineno,
                f"function '{name}' calls function '{callee}' "
                f"(defined at {_where(callee_module, callee)})",
            )


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        elif path.suffix == ".py":
            yield path


def _parse(path: Path) -> _Module | Finding:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, OSError) as exc:
        line = getattr(exc, "lineno", None) or 1
        return Finding(_display(path), line, f"cannot be checked: {exc}")
    module = _Module(_module_name(path), path, tree)
    _collect(module)
    return module


def check_paths(paths: Sequence[Path], context: Sequence[Path] = ()) -> list[Finding]:
    """Findings for the files under ``paths``; ``context`` adds modules to resolve against."""
    findings: list[Finding] = []
    checked: list[_Module] = []
    seen: set[Path] = set()
    modules: list[_Module] = []
    for group, is_target in ((paths, True), (context, False)):
        for file in _files(group):
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            parsed = _parse(file)
            if isinstance(parsed, Finding):
                findings.extend([parsed] if is_target else [])
                continue
            modules.append(parsed)
            if is_target:
                checked.append(parsed)
    index = _Index(modules)
    for module in checked:
        findings.extend(_findings(index, module))
    return sorted(findings, key=lambda f: (f.file, f.line, f.message))
