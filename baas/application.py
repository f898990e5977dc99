"""The application declaration: what a developer's module hands to baas.

An application is a Python module with an :class:`App` in it; ``BAAS_APP`` names it as
``module:attribute`` (for example ``examples.board:app``). The App collects what the
module declares — models, Temporal workflows and activities; functions, triggers and
schedules attach here as they are built — and the API and worker are assembled from it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from auth.errors import ModelDeclarationError
from auth.model_classes import make_item_class
from auth.models import ModelSpec, declare_model
from auth.rules import Allow, Rule
from baas.app_layout import check_app_layout
from baas.errors import AppLoadError
from functions import Function
from storage import ChangeRecord
from workflows import ScheduleBinding
from workflows.call_sites import function_call_sites
from workflows.client import Target, resolve_target
from workflows.definitions import workflow_definition
from workflows.triggers import Event, TriggerBinding, change_event

if TYPE_CHECKING:  # the worker loads apps too, and has no use for Strawberry
    from strawberry.extensions import SchemaExtension

__all__ = [
    "CALL_OPERATIONS",
    "QUERY_OPERATIONS",
    "App",
    "AppQuery",
    "Invocable",
    "allow_call",
    "allow_query",
    "load_app",
    "unregistered_calls",
]

_W = TypeVar("_W", bound=type)
_F = TypeVar("_F", bound=Callable[..., Any])
_Fn = TypeVar("_Fn", bound=Function[Any, Any])

CALL_OPERATIONS: tuple[str, ...] = ("start", "approve")
"""What rules on a workflow or function grant: starting a call, approving one."""

allow_call = Allow(operations=CALL_OPERATIONS)
"""Builds the rules of ``app.workflow(..., rules=[...])`` and ``app.function(..., rules=[...])``::

    app.workflow(ArchiveBoardWorkflow, rules=[
        allow_call.authenticated(operations=["start"]),   # any signed-in user starts one
        allow_call.groups("admin", operations=["approve"]),  # admins approve anyone's
    ])

``allow_call.owner(operations=["approve"])`` lets the starter approve their own call.
"""


QUERY_OPERATIONS: tuple[str, ...] = ("run",)
"""What rules on an app-defined query grant: running it."""

allow_query = Allow(operations=QUERY_OPERATIONS)
"""Builds the rules of ``app.query(..., rules=[...])``::

    app.query(search_boards, rules=[allow_query.authenticated()])  # any signed-in user
    app.query(board_stats, rules=[allow_query.groups("admin")])
    app.query(public_stats, rules=[allow_query.public(operations=["run"])])
"""


@dataclass(frozen=True)
class AppQuery:
    """A function clients run through a GraphQL query field and wait for (docs/graphql.md,
    "App-defined queries"). ``field`` is the field's Python name (camel-cased in the
    schema); ``cost`` is what one run adds to an operation's cost."""

    function: Function[Any, Any]
    field: str
    rules: tuple[Rule, ...]
    cost: int


@dataclass(frozen=True)
class Invocable:
    """A workflow or function clients may start through the API, and who may do what.

    ``name`` is its Temporal name (the workflow type, or the function's name): the
    ``target`` of its calls. Targets registered without rules are not invocable.
    """

    target: type | Function[Any, Any]
    name: str
    rules: tuple[Rule, ...]
    input_type: type


def _invocable(target: type | Function[Any, Any], rules: Sequence[Rule]) -> Invocable:
    workflow_name, _args, input_type, function_name = resolve_target(target)
    name = function_name or workflow_name
    for rule in rules:
        unknown = set(rule.operations) - set(CALL_OPERATIONS)
        if unknown:
            raise AppLoadError(
                f"{name}: rules grant {sorted(unknown)}; build call rules with "
                "baas.application.allow_call (operations: start, approve)"
            )
        # A call has no owner before it starts: an owner rule can only mean the starter.
        if rule.strategy == "owner" and "start" in rule.operations:
            raise AppLoadError(f"{name}: an owner rule cannot grant 'start'")
    if input_type is None:
        assert isinstance(target, type)  # noqa: S101 - resolve_target gave a workflow
        definition = workflow_definition(target)
        arg_types = definition.arg_types if definition else ()
        if len(arg_types) != 1 or not isinstance(arg_types[0], type):
            raise AppLoadError(f"{name}: an invocable workflow's run takes one typed input")
        input_type = arg_types[0]
    return Invocable(target, name, tuple(rules), input_type)


class App:
    """One application: a name and the things it declares."""

    def __init__(self, name: str, *, on_account_deleted: str | type = "keep") -> None:
        """``on_account_deleted`` says what becomes of the data a user owns in the app's
        models when their account is deleted (see docs/auth.md): ``"keep"`` (the
        default), ``"delete"`` (every item whose owner field is the user), or a
        ``@workflow.defn`` class, started with the user's id to do what the app needs."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise AppLoadError(f"app name must be letters, digits, '-' or '_', got {name!r}")
        if on_account_deleted not in ("keep", "delete") and (
            not isinstance(on_account_deleted, type)
            or workflow_definition(on_account_deleted) is None
        ):
            raise AppLoadError(
                "on_account_deleted must be 'keep', 'delete' or a @workflow.defn class, "
                f"got {on_account_deleted!r}"
            )
        self.name = name
        self.on_account_deleted = on_account_deleted
        self.models: dict[str, ModelSpec] = {}
        self.workflows: list[type] = []
        self.activities: list[Callable[..., Any]] = []
        self.functions: list[Function[Any, Any]] = []
        self.schedules: list[ScheduleBinding] = []
        self.triggers: list[TriggerBinding] = []
        self.invocables: dict[str, Invocable] = {}
        self.queries: dict[str, AppQuery] = {}
        self.graphql_extensions: list[type[SchemaExtension]] = []

    def model(
        self, *, rules: Sequence[Rule], table: str | None = None, ttl: str | None = None
    ) -> Callable[[_W], _W]:
        """Declare a model (see :mod:`baas.models`).

        The class becomes the type of the model's items: a keyword-only dataclass with
        the server-owned fields added (see :mod:`auth.model_classes`), which
        ``ctx.models`` answers with.
        """

        def register(cls: _W) -> _W:
            spec = declare_model(cls, rules=rules, table=table, ttl=ttl)
            if spec.name in self.models:
                raise ModelDeclarationError(f"model {spec.name}: declared twice")
            taken = {model.table: model.name for model in self.models.values()}
            if spec.table in taken:
                raise ModelDeclarationError(
                    f"model {spec.name}: table {spec.table!r} is already used by {taken[spec.table]}"
                )
            self.models[spec.name] = spec
            make_item_class(cls, spec)
            return cls

        return register

    def workflow(self, cls: _W, *, rules: Sequence[Rule] | None = None) -> _W:
        """Register a Temporal workflow class (decorate it with ``@workflow.defn`` first).

        With ``rules`` (see :data:`allow_call`) clients may start it through GraphQL;
        without, only triggers, schedules and the platform start it (fail closed).
        """
        if rules is not None:
            self._expose(cls, rules)
        self.workflows.append(cls)
        return cls

    def activity(self, fn: _F) -> _F:
        """Register a Temporal activity (decorated with ``@activity.defn``)."""
        self.activities.append(fn)
        return fn

    def function(self, fn: _Fn, *, rules: Sequence[Rule] | None = None) -> _Fn:
        """Register a function (declared with ``@functions.function``) to run on the worker.

        ``rules`` expose it to clients as a one-step call, as for :meth:`workflow`.
        """
        if not isinstance(fn, Function):
            raise AppLoadError(f"app.function expects a @function, got {fn!r}")
        if rules is not None:
            self._expose(fn, rules)
        if fn not in self.functions:
            self.functions.append(fn)
        return fn

    def query(
        self,
        fn: _Fn,
        *,
        rules: Sequence[Rule],
        name: str | None = None,
        cost: int = 10,
    ) -> _Fn:
        """Expose function ``fn`` as a GraphQL query that runs it and answers its result.

        ``search_boards(ctx, inp: SearchBoards) -> SearchResult`` becomes
        ``searchBoards(input: SearchBoardsInput!): SearchResult``, typed from the two
        classes (:mod:`baas.graphql.function_types`); it runs on the worker like any call,
        as the caller, and the query waits for it. ``rules`` (see :data:`allow_query`)
        say who may run it; ``name`` is the field's name (default: the function's Python
        name); ``cost`` (default 10) is what one run adds to an operation's cost
        (docs/graphql.md, "Query cost"). ``fn`` is registered as
        by :meth:`function`.
        """
        if not isinstance(fn, Function):
            raise AppLoadError(f"app.query expects a @function, got {fn!r}")
        field = name or fn.__qualname__.rsplit(".", 1)[-1]
        if not field.isidentifier() or field.startswith("_"):
            raise AppLoadError(f"app.query: {field!r} is not a usable field name")
        if cost < 0:
            raise AppLoadError(f"app.query {field}: cost must be 0 or more")
        for rule in rules:
            unknown = set(rule.operations) - set(QUERY_OPERATIONS)
            if unknown or rule.strategy == "owner":
                raise AppLoadError(
                    f"app.query {field}: build its rules with baas.application.allow_query "
                    "(authenticated, groups or public; operation: run)"
                )
        if not rules:
            raise AppLoadError(f"app.query {field}: rules=[...] must allow someone")
        if field in self.queries:
            raise AppLoadError(f"app.query {field}: declared twice")
        self.queries[field] = AppQuery(fn, field, tuple(rules), cost)
        if fn not in self.functions:
            self.functions.append(fn)
        return fn

    def _expose(self, target: type | Function[Any, Any], rules: Sequence[Rule]) -> None:
        invocable = _invocable(target, rules)
        if invocable.name in self.invocables:
            raise AppLoadError(f"{invocable.name}: rules declared twice")
        self.invocables[invocable.name] = invocable

    def schedule(
        self,
        name: str,
        *,
        cron: str | list[str],
        target: Target,
        inp: Any,
        timezone: str | None = None,
    ) -> ScheduleBinding:
        """Run ``target`` (a workflow class or a function) on ``inp`` on a cron schedule.

        The worker keeps Temporal Schedules in sync with these at start-up.
        """
        binding = ScheduleBinding(name, cron, target, inp, timezone)
        self.schedules.append(binding)
        return binding

    def trigger(
        self,
        name: str,
        *,
        model: type | str,
        target: Target,
        events: Sequence[Event] = ("INSERT", "MODIFY", "REMOVE"),
        where: Callable[[ChangeRecord], bool] | None = None,
        to_input: Callable[[ChangeRecord], Any] = change_event,
    ) -> TriggerBinding:
        """Start ``target`` once for every change of ``model``'s table (see workflows.triggers).

        ``model`` is a declared model class (or its name); ``where`` filters changes and
        ``to_input`` turns a change record into the target's input.
        """
        model_name = model if isinstance(model, str) else model.__name__
        spec = self.models.get(model_name)
        if spec is None:
            raise AppLoadError(f"trigger {name}: {model_name} is not a model of this app")
        if any(existing.name == name for existing in self.triggers):
            raise AppLoadError(f"trigger {name}: declared twice")
        binding = TriggerBinding(name, spec.table, target, tuple(events), where, to_input)
        self.triggers.append(binding)
        return binding

    def graphql_extension(self, extension: type[SchemaExtension]) -> type[SchemaExtension]:
        """Run a Strawberry schema extension on every GraphQL operation, over HTTP and
        WebSocket alike (docs/graphql.md, "One pipeline, and extensions"); a decorator."""
        self.graphql_extensions.append(extension)
        return extension

    def __repr__(self) -> str:
        return f"App({self.name!r})"


def load_app(ref: str, *, check_calls: bool = True) -> App:
    """Import ``module:attribute`` from the current directory and return the App there.

    Before importing, the folder is checked for files that shadow baas's packages
    (:mod:`baas.app_layout`); after, unless ``check_calls`` is false, the App's
    workflows for calls of functions it does not register (:func:`unregistered_calls`).
    Each problem is one line.
    """
    module_name, _, attribute = ref.partition(":")
    # Like uvicorn: the application lives in the developer's project, not site-packages.
    folder = Path.cwd()
    check_app_layout(ref, folder)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AppLoadError(f"BAAS_APP: cannot import module {module_name!r}: {exc}") from exc
    app = getattr(module, attribute, None)
    if not isinstance(app, App):
        imported = getattr(module, "__file__", None) or module_name
        found = "is not defined" if app is None else f"is of type {type(app).__name__}"
        raise AppLoadError(
            f"BAAS_APP: {ref!r} is not a baas App: {attribute!r} in {imported} {found}"
        )
    problems = unregistered_calls(app) if check_calls else []
    if problems:
        raise AppLoadError("; ".join(problems))
    return app


def unregistered_calls(app: App) -> list[str]:
    """One line per place a workflow of ``app`` calls a function ``app`` does not register.

    The worker serves only the App's functions: such a call would fail when it runs.
    """
    registered = {fn.name for fn in app.functions}
    problems: list[str] = []
    for workflow_class in app.workflows:
        for site in function_call_sites(workflow_class):
            if site.function.name not in registered:
                python_name = site.function.__qualname__
                problems.append(
                    f"{site}: workflow {workflow_class.__name__} calls function "
                    f"{site.function.name!r}, which the App does not register: add "
                    f"app.function({python_name}) beside its other functions"
                )
    return problems
