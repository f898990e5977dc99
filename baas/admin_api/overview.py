"""``/admin/overview``: what the app declares and what this API process has served.

The declaration is the app module as loaded (models with their tables and keys,
functions, workflows, which of them clients may start and by which GraphQL mutation,
triggers, schedules); the figures are this process's :class:`~baas.metrics.HttpMetrics`
(requests, errors and latency per path group since it started, the recent errors by
request id). Health is ``/healthz``'s, read by the console itself.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from baas.auth_routes.http import require_admin
from baas.graphql.invocations import start_field_name
from workflows.client import resolve_target

if TYPE_CHECKING:
    from baas.application import App, Invocable
    from baas.services import Services

__all__ = ["overview_routes"]

_JSON_VALUES = (str, int, float, bool, list, dict)


def overview_routes(services: Services) -> list[BaseRoute]:
    async def overview(request: Request) -> Response:
        require_admin(request)
        settings = services.settings
        return JSONResponse(
            {
                "app": declaration(services.app),
                "env": settings.env,
                "temporal_ui": settings.temporal_ui,
                "temporal_namespace": settings.temporal_namespace,
                "metrics": services.metrics.summary(),
            },
            headers={"Cache-Control": "no-store"},
        )

    return [Route("/admin/overview", overview, methods=["GET"])]


def declaration(app: App | None) -> dict[str, Any] | None:
    """What ``app`` declares, as JSON for the console (None without an app)."""
    if app is None:
        return None
    return {
        "name": app.name,
        "models": [
            {
                "name": spec.name,
                "table": spec.table,
                "partition_key": spec.partition_key,
                "sort_key": spec.sort_key,
                "indexes": sorted(spec.indexes),
                "fields": [field.name for field in spec.fields],
            }
            for spec in app.models.values()
        ],
        "functions": [
            {"name": fn.name, "invocable": fn.name in app.invocables} for fn in app.functions
        ],
        "workflows": [
            {"name": name, "invocable": name in app.invocables}
            for name in (resolve_target(cls)[0] for cls in app.workflows)
        ],
        "invocables": [_invocable(each) for each in app.invocables.values()],
        "triggers": [
            {
                "name": trigger.name,
                "table": trigger.table,
                "events": list(trigger.events),
                "target": _target_name(trigger.target),
            }
            for trigger in app.triggers
        ],
        "schedules": [
            {
                "name": schedule.name,
                "cron": list(schedule.cron),
                "timezone": schedule.timezone,
                "target": _target_name(schedule.target),
            }
            for schedule in app.schedules
        ],
    }


def _target_name(target: Any) -> str:
    workflow_name, _args, _input, function_name = resolve_target(target)
    return function_name or workflow_name


def _invocable(invocable: Invocable) -> dict[str, Any]:
    """A startable target: its GraphQL mutation, who may do what, and an input sketch."""
    python_name = start_field_name(invocable)
    head, *rest = python_name.split("_")
    return {
        "name": invocable.name,
        "kind": "workflow" if isinstance(invocable.target, type) else "function",
        "mutation": head + "".join(part.capitalize() for part in rest),
        "input_type": invocable.input_type.__name__,
        "input_example": _example(invocable.input_type),
        "rules": [
            {
                "strategy": rule.strategy,
                "operations": sorted(rule.operations),
                "groups": sorted(rule.groups),
            }
            for rule in invocable.rules
        ],
    }


def _example(input_type: type) -> dict[str, Any]:
    """The input's fields with their defaults (null where there is none): a start."""
    if dataclasses.is_dataclass(input_type):
        example: dict[str, Any] = {}
        for field in dataclasses.fields(input_type):
            default = field.default
            if field.default_factory is not dataclasses.MISSING:
                default = field.default_factory()
            example[field.name] = default if isinstance(default, _JSON_VALUES) else None
        return example
    model_fields = getattr(input_type, "model_fields", None)
    if isinstance(model_fields, dict):
        return dict.fromkeys(model_fields)
    return {}
