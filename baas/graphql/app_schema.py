"""The schema of an application, as the API serves it and as ``baas schema export`` writes it.

:func:`app_schema` is the one place that decides which root fields an App's schema has
(its models' fields, the call fields of its invocable targets, its app-defined queries,
any extra ones), so the schema a running server answers introspection with and the
exported one cannot drift apart. :func:`export_schema` needs no server, store, secret key or Temporal: the
resolvers it builds are never run, so their store and key are never reached.

Formats:

- ``sdl``: the schema definition language, printed by graphql-core's ``print_schema``
  from the introspection result below (Strawberry keeps ``@oneOf`` to its own type
  definitions and its introspection, not graphql-core's types: printed from the
  introspection, the SDL says what the JSON says, ``@oneOf`` inputs included);
- ``json``: the standard introspection result, ``{"data": {"__schema": ...}}``, the
  shape GraphQL Code Generator (``schema: schema.json``) and Apollo's tools read.
  It is what a server in dev answers to the introspection query with descriptions,
  ``specifiedByURL``, repeatable directives, the schema's description, deprecated input
  values and ``isOneOf`` asked for (graphql-js's ``getIntrospectionQuery`` options).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from graphql import (
    GraphQLSchema,
    build_client_schema,
    introspection_from_schema,
    print_schema,
)

from baas.application import App
from baas.graphql.app_queries import app_query_fields
from baas.graphql.calls import Calls
from baas.graphql.change_hub import ChangeHub
from baas.graphql.invocations import invocation_fields
from baas.graphql.limits import GraphQLLimits
from baas.graphql.page_tokens import PageTokenKeeper, PageTokens
from baas.graphql.root_fields import RootField
from baas.graphql.schema import BaasSchema, Extension, build_schema, core_schema
from storage import DocumentStore

__all__ = [
    "INTROSPECTION_OPTIONS",
    "ExportFormat",
    "app_schema",
    "export_schema",
    "exported_core_schema",
    "introspection_result",
]

ExportFormat = Literal["sdl", "json"]

INTROSPECTION_OPTIONS: dict[str, bool] = {
    "descriptions": True,
    "specified_by_url": True,
    "directive_is_repeatable": True,
    "schema_description": True,
    "input_value_deprecation": True,
    "one_of": True,
    # graphql-core's own extension, unknown to graphql-js's tools: left out.
    "experimental_directive_deprecation": False,
}
"""What the JSON export holds: ``get_introspection_query(**INTROSPECTION_OPTIONS)``
asked of a server in dev answers the same ``data``."""


def app_schema(
    app: App | None,
    tokens: Callable[[], Awaitable[PageTokens]],
    hub: ChangeHub,
    limits: GraphQLLimits,
    *,
    is_dev: bool,
    extra_fields: Sequence[RootField] = (),
    extensions: Sequence[Extension] = (),
) -> BaasSchema:
    """The schema ``app`` is served with: its models, its call fields, its app-defined
    queries, ``extra_fields``.

    The app's own extensions (``@app.graphql_extension``) run before ``extensions``.
    """
    return build_schema(
        list(app.models.values()) if app else [],
        tokens,
        hub,
        limits,
        is_dev=is_dev,
        extra_fields=[
            *invocation_fields(app, tokens=tokens),
            *app_query_fields(list(app.queries.values()) if app else [], Calls({})),
            *extra_fields,
        ],
        extensions=[*(app.graphql_extensions if app else ()), *extensions],
    )


def exported_core_schema(app: App | None) -> GraphQLSchema:
    """``app``'s graphql-core schema, built without a store or a key (never to be run)."""
    return core_schema(
        app_schema(
            app, PageTokenKeeper(_no_key), ChangeHub(_no_store), GraphQLLimits(), is_dev=True
        )
    )


def introspection_result(app: App | None) -> dict[str, Any]:
    """``app``'s schema as the standard introspection result, ``{"data": {"__schema": ...}}``.

    What a server in dev answers to the introspection query (module docstring), and what
    the console's GraphiQL is given where introspection is off (``/admin/graphql-schema``).
    """
    schema = exported_core_schema(app)
    return {"data": introspection_from_schema(schema, **INTROSPECTION_OPTIONS)}


def export_schema(app: App | None, export_format: ExportFormat = "sdl") -> str:
    """``app``'s schema as SDL or as the JSON introspection result (module docstring)."""
    result = introspection_result(app)
    if export_format == "json":
        return json.dumps(result, indent=2) + "\n"
    return print_schema(build_client_schema(result["data"])) + "\n"


async def _no_key() -> bytes:  # pragma: no cover - an exported schema never runs
    raise RuntimeError("an exported schema has no page-token key")


def _no_store() -> DocumentStore:  # pragma: no cover - an exported schema never runs
    raise RuntimeError("an exported schema has no store")
