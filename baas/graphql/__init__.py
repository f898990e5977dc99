"""The GraphQL API generated from the application's models (``/graphql``).

``graphql_routes(services)`` returns the HTTP and WebSocket routes; ``create_app``
mounts them. What the schema looks like: :mod:`baas.graphql.schema`; how requests are
taken: :mod:`baas.graphql.http` and :mod:`baas.graphql.websocket`; the user guide:
``docs/graphql.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Route, WebSocketRoute

from auth.stored_buckets import StoreBucketStore
from baas.graphql.app_schema import app_schema
from baas.graphql.change_hub import ChangeHub
from baas.graphql.http import GraphQLEndpoint
from baas.graphql.limits import GraphQLLimits
from baas.graphql.page_tokens import PageTokenKeeper
from baas.graphql.persisted_queries import PersistedQueries, PersistedQuerySettings
from baas.graphql.pipeline import OperationPipeline
from baas.graphql.root_fields import RootField
from baas.graphql.schema import BaasSchema, Extension
from baas.graphql.websocket import GraphQLWebSocket, UserActiveCheck
from baas.services import Services

__all__ = [
    "GRAPHQL_PATH",
    "BaasSchema",
    "Extension",
    "GraphQLLimits",
    "RootField",
    "UserActiveCheck",
    "graphql_routes",
]

GRAPHQL_PATH = "/graphql"


def graphql_routes(
    services: Services,
    *,
    limits: GraphQLLimits | None = None,
    is_user_active: UserActiveCheck | None = None,
    extra_fields: Sequence[RootField] = (),
    extensions: Sequence[Extension] = (),
) -> list[BaseRoute]:
    """``/graphql`` over HTTP and WebSocket for the models of ``services.app``.

    Builds the schema now, so an ill-formed model (two generated fields with one name,
    a key field named like a generated argument) fails at start-up. ``is_user_active``
    (default: ``services.is_user_active`` when the services have one) lets open
    WebSocket connections of a disabled user be closed. ``extra_fields`` are more root
    fields (Strawberry fields with their own resolvers), e.g. workflow operations.
    ``extensions`` are Strawberry schema extensions (classes, or factories making one
    instance per operation), after those the app declares (``@app.graphql_extension``);
    they run on every operation, over HTTP and WebSocket alike
    (:mod:`baas.graphql.pipeline`). Without ``limits``, the defaults, with
    ``BAAS_GRAPHQL_WS_CONNECTIONS_PER_ADDRESS``, ``BAAS_GRAPHQL_MAX_COST`` and
    ``BAAS_GRAPHQL_COST_PER_MINUTE``.
    """
    settings = services.settings
    limits = limits or GraphQLLimits(
        max_connections_per_address=settings.graphql_ws_connections_per_address,
        max_cost=settings.graphql_max_cost,
        cost_per_minute=settings.graphql_cost_per_minute,
    )
    hub = ChangeHub(lambda: services.store)

    async def page_token_key() -> bytes:
        # Derived from the secret key, so every API process opens every token.
        return services.secret_keys.derive("graphql page tokens")[0]

    tokens = PageTokenKeeper(page_token_key)
    # The one recipe `baas schema export` uses too, so the two never differ.
    schema = app_schema(
        services.app,
        tokens,
        hub,
        limits,
        is_dev=settings.is_dev,
        extra_fields=extra_fields,
        extensions=extensions,
    )
    persisted = PersistedQueries(
        lambda: services.store,
        PersistedQuerySettings(
            persisted_only=settings.graphql_persisted_only,
            apq_documents=settings.graphql_apq_documents,
            apq_max_bytes=settings.graphql_apq_max_bytes,
        ),
    )
    # One pipeline for both transports: the same caches, limits, errors and extensions;
    # the cost budgets are buckets in the store, shared by every API process.
    pipeline = OperationPipeline(
        schema,
        limits,
        is_dev=settings.is_dev,
        buckets=StoreBucketStore(lambda: services.store),
        persisted=persisted,
    )
    http = GraphQLEndpoint(pipeline, services, limits, graphiql=settings.is_dev)
    websocket = GraphQLWebSocket(
        schema,
        pipeline,
        services,
        limits,
        allowed_origins=settings.cors_origins,
        is_user_active=is_user_active or getattr(services, "is_user_active", None),
    )
    return [
        Route(GRAPHQL_PATH, http.handle, methods=["GET", "POST"]),
        WebSocketRoute(GRAPHQL_PATH, websocket),
    ]
