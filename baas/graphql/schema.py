"""The Strawberry schema generated from the application's models.

Per model (``Todo`` here), see :mod:`baas.graphql.names` for the naming rules::

    type Query {
      getTodo(boardId: String!, id: String!): Todo
      listTodos(filter: TodoFilterInput, limit: Int, nextToken: String): TodoPage!
      todosByBoardId(boardId: String!, id: StringKeyConditionInput,
                     sortDirection: SortDirection, filter: TodoFilterInput,
                     limit: Int, nextToken: String): TodoPage!
      todosByOwner(owner: String!, createdAt: DateTimeKeyConditionInput, ...): TodoPage!
      viewer: Viewer!
    }
    type Mutation {
      createTodo(input: CreateTodoInput!, condition: TodoFilterInput): Todo!
      updateTodo(input: UpdateTodoInput!, condition: TodoFilterInput, expectedVersion: Int): Todo!
      deleteTodo(key: TodoKeyInput!, condition: TodoFilterInput, expectedVersion: Int): Todo!
      transact(items: [TransactItemInput!]!): [ModelItem]!
    }
    type Subscription {
      onTodoCreated(filter: TodoFilterInput): Todo!      # also onTodoUpdated, onTodoDeleted
    }

The fields are declared in :mod:`baas.graphql.root_fields`; their logic is
:class:`~baas.graphql.operations.ModelOperations`, run as the caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError, GraphQLSchema
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info

from auth.model_relations import check_relations
from baas.graphql.change_hub import ChangeHub
from baas.graphql.computed import computed_field
from baas.graphql.limits import GraphQLLimits
from baas.graphql.model_types import ModelTypes, TypeFactory
from baas.graphql.names import camel
from baas.graphql.native import install_native_resolvers
from baas.graphql.object_fields import ObjectField
from baas.graphql.operations import ModelOperations
from baas.graphql.page_tokens import PageTokens, PendingToken
from baas.graphql.relations import relation_field
from baas.graphql.root_fields import RootField, model_fields, transact_field
from baas.graphql.scalars import SCALAR_MAP
from baas.graphql.subscriptions import ModelEvents
from baas.models import ModelDeclarationError, ModelSpec

__all__ = ["BaasSchema", "Extension", "build_schema", "core_schema", "limit_rules"]

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]
"""A Strawberry extension as ``strawberry.Schema(extensions=...)`` takes it: a class, or a
factory making one instance per operation."""


@strawberry.type(description="Who the request acts as.")
class Viewer:
    user_id: str | None
    groups: list[str]
    authenticated: bool


class BaasSchema(strawberry.Schema):
    """The generated schema; operations on it run in :mod:`baas.graphql.pipeline`.

    Error logging is left to the error shaping (:mod:`baas.graphql.error_shaping`):
    Strawberry logs every error with its traceback, but expected ones (not found, a
    failed condition) are not incidents, and unexpected ones are logged once, with the
    request id, where they are masked.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def _default_resolver(root: Any, name: str) -> Any:
    # Pages and their items travel as dicts; Viewer is an object. A page's token is
    # sealed only here, when the client selected it.
    if type(root) is dict:
        value = root.get(name)
        return value.issue() if type(value) is PendingToken else value
    return getattr(root, name, None)


def build_schema(
    models: Sequence[ModelSpec],
    tokens: Callable[[], Awaitable[PageTokens]],
    hub: ChangeHub,
    limits: GraphQLLimits,
    *,
    is_dev: bool,
    extra_fields: Sequence[RootField] = (),
    extensions: Sequence[Extension] = (),
) -> BaasSchema:
    """The schema of ``models``; :class:`ModelDeclarationError` on a name clash.

    ``extra_fields`` are root fields generated elsewhere (the call fields of
    :mod:`baas.graphql.invocations`); ``extensions`` are Strawberry extensions, run by
    the pipeline on every operation of either transport.
    """
    factory = TypeFactory()
    fields: list[RootField] = []
    transactable: list[tuple[ModelTypes, ModelOperations]] = []
    relations = check_relations(models)
    all_types = {model.name: factory.model_types(model) for model in models}
    all_ops = {model.name: ModelOperations(model, tokens, limits.page) for model in models}
    object_fields: list[ObjectField] = []
    for model in models:
        types, ops = all_types[model.name], all_ops[model.name]
        own = [
            relation_field(model, relation, all_ops[relation.target], all_types[relation.target])
            for relation in relations[model.name]
        ]
        own += [computed_field(factory, model, spec) for spec in model.computed]
        factory.finish(types, {field.name: field.field for field in own})
        object_fields += own
        fields += model_fields(factory, types, ops, ModelEvents(model, hub))
        transactable.append((types, ops))
    if transactable:
        fields.append(transact_field(transactable, limits.max_transaction_items))
    fields += extra_fields
    roots = _roots(fields)
    schema = BaasSchema(
        query=_root("Query", roots["query"]),
        mutation=_root("Mutation", roots["mutation"]) if roots["mutation"] else None,
        subscription=_root("Subscription", roots["subscription"])
        if roots["subscription"]
        else None,
        extensions=list(extensions),
        config=StrawberryConfig(
            default_resolver=_default_resolver,
            disable_field_suggestions=not is_dev,  # suggestions leak field names
            scalar_map=SCALAR_MAP,
        ),
    )
    install_native_resolvers(core_schema(schema), fields, list(models), object_fields)
    return schema


def core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built for ``schema``.

    Strawberry keeps it in the private ``_schema`` attribute, with no public accessor;
    baas reads it only here, so a Strawberry change breaks this function (and its unit
    test) rather than every caller.
    """
    core = schema._schema
    if not isinstance(core, GraphQLSchema):
        raise TypeError("Strawberry no longer keeps its graphql-core schema in _schema")
    return core


def limit_rules(limits: GraphQLLimits, *, is_dev: bool) -> tuple[type[ASTValidationRule], ...]:
    """The limits as validation rules, built once (not per request)."""
    rules: list[Any] = [
        depth_validator(limits.max_depth, None),
        alias_validator(limits.max_aliases),
    ]
    if not is_dev:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


async def _viewer(info: Info) -> Viewer:
    caller = info.context.caller
    return Viewer(
        user_id=caller.user_id,
        groups=sorted(caller.groups),
        authenticated=caller.user_id is not None,
    )


def _roots(fields: list[RootField]) -> dict[str, dict[str, Any]]:
    """Fields by root type, refusing a name generated twice."""
    roots: dict[str, dict[str, Any]] = {
        "query": {"viewer": strawberry.field(resolver=_viewer, description="Who you are.")},
        "mutation": {},
        "subscription": {},
    }
    for root_field in fields:
        existing = roots[root_field.root]
        if root_field.name in existing:
            where = f"model {root_field.model.name}" if root_field.model else "the schema"
            raise ModelDeclarationError(
                f"{where}: the GraphQL field {camel(root_field.name)!r} is generated twice"
            )
        existing[root_field.name] = root_field.field
    return roots


def _root(name: str, fields: dict[str, Any]) -> Any:
    return strawberry.type(type(name, (), dict(fields)), name=name)
