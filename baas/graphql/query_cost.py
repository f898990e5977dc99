"""What an operation may cost, computed from its document and variables before it runs.

The unit is one object the server reads and builds (an item, a page, a call), the way
GitHub's GraphQL API counts nodes and Hasura counts rows. A field that returns an object
costs 1 plus what its selection costs; a scalar costs nothing (a computed field costs
what its ``@computed(cost=...)`` says, 1 by default, per parent); and a field with a
``limit`` argument (a page: ``listTodos``, ``todosByBoardId``, a has-many relation such as
``todos``, ``myCalls``) multiplies the cost of its selection by that limit, or by the
argument's default (the default page size, 100) when none is given. Nested pages
multiply::

    listBoards(limit: 20) {            # 1 + 20 x (
      items {                          #   1 +
        name                           #   0 +
        todos(limit: 20) {             #   1 + 20 x (
          items { title }              #     1 + 0 ))
        }
      }
    }                                  # = 441: 20 boards and 400 todos

It is an upper bound: both sides of ``@skip``/``@include`` and every fragment of a union
are counted, since which applies is only known while running. A ``limit`` given by a
variable is read from the request's variables (a value that is not an integer counts as
the default, one above the largest page size as that size: the field refuses both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.language import OperationType
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from baas.graphql.operations import PageLimits

__all__ = ["COST_EXTENSION", "LIMIT_ARGUMENT", "operation_cost"]

LIMIT_ARGUMENT = "limit"
COST_EXTENSION = "baasCost"
"""A field's own cost when it is not the default, in its graphql-core ``extensions``:
a computed field's ``@computed(cost=...)`` (set by :mod:`baas.graphql.native`)."""
_META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    page: PageLimits,
) -> int:
    """The cost of running ``operation`` of ``document`` with ``variables`` (validated)."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    walker = _CostWalker(schema, fragments, variables or {}, page)
    root = _root_type(schema, operation.operation)
    return walker.selections(root, operation.selection_set, frozenset())


def _root_type(schema: GraphQLSchema, operation: OperationType) -> GraphQLObjectType | None:
    roots = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }
    return roots[operation]


class _CostWalker:
    """Walks a validated selection set, fragments expanded (module docstring)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        page: PageLimits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.page = page

    def selections(
        self,
        parent: GraphQLNamedType | None,
        selection_set: SelectionSetNode,
        spread: frozenset[str],
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, spread)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(inner, selection.selection_set, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spread:  # validation refuses both
                    continue
                inner = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selections(inner, fragment.selection_set, spread | {name})
        return total

    def field(
        self, parent: GraphQLNamedType | None, node: FieldNode, spread: frozenset[str]
    ) -> int:
        definition = _field_definition(parent, node.name.value)
        if definition is None:
            return 0  # __typename; validation refuses an unknown field before this runs
        own = (definition.extensions or {}).get(COST_EXTENSION)
        if node.selection_set is None:  # a scalar or an enum: free unless declared
            return own if isinstance(own, int) else 0
        inner = self.selections(get_named_type(definition.type), node.selection_set, spread)
        base = own if isinstance(own, int) else 1
        return base + self.multiplier(definition, node) * inner

    def multiplier(self, definition: GraphQLField, node: FieldNode) -> int:
        argument = definition.args.get(LIMIT_ARGUMENT)
        if argument is None:
            return 1
        limit = _int_default(argument)
        for given in node.arguments or ():
            if given.name.value != LIMIT_ARGUMENT:
                continue
            value = given.value
            if isinstance(value, IntValueNode):
                limit = int(value.value)
            elif isinstance(value, VariableNode):
                bound = self.variables.get(value.name.value)
                if isinstance(bound, int) and not isinstance(bound, bool):
                    limit = bound
        # A limit out of bounds is refused by the field (VALIDATION, which says why), so
        # it reads at most the largest page; and it must not make a page look free.
        return min(max(1, self.page.default if limit is None else limit), self.page.maximum)


def _int_default(argument: GraphQLArgument) -> int | None:
    """The argument's default when it is an integer (Strawberry gives it as a value, an
    SDL-built schema as a literal)."""
    default: Any = argument.default_value
    given = getattr(argument, "default", None)  # graphql-core 3.3: a value or a literal
    if given is not None:
        literal = getattr(given, "literal", None)
        default = int(literal.value) if isinstance(literal, IntValueNode) else given.value
    return default if isinstance(default, int) and not isinstance(default, bool) else None


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if name in _META_FIELDS:
        return _META_FIELDS[name]
    fields = getattr(parent, "fields", None)  # object and interface types have fields
    return fields.get(name) if isinstance(fields, Mapping) else None
