"""Computed fields (:mod:`auth.model_computed`) as fields of a model's object type.

The app's method gets the item as an instance of the model's class — each field the
caller may not read set to None, so a computed field cannot show what a restricted one
hides by accident — and a :class:`~auth.model_computed.FieldContext` with the caller and
the models read-only (:class:`~auth.read_only_store.ReadOnlyActingStore`). It runs
marked as running, so calling a function from it fails like calling one from another
function (:mod:`functions.guard`): a client reaches functions only through calls.

An error the method raises is that field's error (null, with the error at its path): an
expected one (a store or auth error) keeps its code, anything else is masked as
``INTERNAL_SERVER_ERROR`` and logged.
"""

from __future__ import annotations

import inspect
from typing import Any

from strawberry.utils.str_converters import to_camel_case

from auth.model_access import Models
from auth.model_classes import new_instance
from auth.model_computed import ComputedSpec, FieldContext
from auth.model_values import from_store
from auth.models import ModelSpec
from auth.read_only_store import ReadOnlyActingStore
from baas.graphql.context import RequestContext
from baas.graphql.model_types import TypeFactory
from baas.graphql.object_fields import ObjectField, declare_object_field
from baas.graphql.values import HIDDEN, STORED
from functions.guard import running

__all__ = ["computed_field"]


def computed_field(factory: TypeFactory, model: ModelSpec, spec: ComputedSpec) -> ObjectField:
    """The field of ``model``'s object type that runs ``spec``'s method."""
    names = [(field, to_camel_case(field.name)) for field in model.fields]
    label = f"computed field {model.name}.{spec.name}"

    async def run(context: RequestContext, parent: dict[str, Any], _args: dict[str, Any]) -> Any:
        stored = model.with_defaults(parent[STORED])
        values = {
            field.name: None
            if parent.get(graphql_name) is HIDDEN
            else from_store(field, stored.get(field.name))
            for field, graphql_name in names
        }
        instance = new_instance(model.declared, values)
        store = ReadOnlyActingStore.of(context.store)
        field_context = FieldContext(context.caller, Models(store))
        with running(label):
            value = spec.function(instance, field_context)
            if inspect.isawaitable(value):
                value = await value
        return value

    doc = (inspect.getdoc(spec.function) or "").strip() or f"Computed by {model.name}."
    return declare_object_field(
        model, spec.name, run, [], factory.output_type(spec.output), doc, cost=spec.cost
    )
