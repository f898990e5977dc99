"""App-defined queries: their declaration (App.query) and the types made for them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
import strawberry
from pydantic import BaseModel
from strawberry.schema.config import StrawberryConfig

from auth.errors import ModelDeclarationError
from auth.rules import allow
from baas.application import App, allow_call, allow_query
from baas.errors import AppLoadError
from baas.graphql.arguments import param, with_signature
from baas.graphql.function_types import PayloadTypes
from baas.graphql.scalars import SCALAR_MAP
from functions import Context, function


class Colour(enum.Enum):
    RED = "red"


@dataclass
class Point:
    x: float
    y: float


@dataclass
class Shape:
    name: str
    points: list[Point]
    colour: Colour
    tags: tuple[str, ...] = ()
    made: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Summary(BaseModel):
    shape_count: int
    largest: Shape | None = None


@function(retries=0)
async def describe(ctx: Context, inp: Shape) -> Summary:
    return Summary(shape_count=1)


def sdl_of(output: Any, input_type: Any) -> str:
    """The SDL of a schema with one field ``f(input: input_type): output``."""

    def resolve(info: Any, **args: Any) -> None:
        return None

    resolver = with_signature("f", resolve, [param("input", input_type)], output)
    query = strawberry.type(type("Query", (), {"f": strawberry.field(resolver=resolver)}))
    return str(strawberry.Schema(query=query, config=StrawberryConfig(scalar_map=SCALAR_MAP)))


def test_input_and_output_types_are_made_from_the_classes() -> None:
    types = PayloadTypes()
    sdl = sdl_of(types.output(Summary), types.input(Shape))
    assert "type Summary {\n  shapeCount: Int!\n  largest: Shape\n}" in sdl
    assert "type Point {\n  x: Float!\n  y: Float!\n}" in sdl
    assert (
        "type Shape {\n  name: String!\n  points: [Point!]!\n  colour: String!\n"
        "  tags: [String!]!\n  made: DateTime\n  meta: JSON!\n}"
    ) in sdl
    # Fields with a default may be left out of the input.
    assert (
        "input ShapeInput {\n  name: String!\n  points: [PointInput!]!\n  colour: String!\n"
        "  tags: [String!]\n  made: DateTime\n  meta: JSON\n}"
    ) in sdl


def test_each_class_is_made_once_and_an_empty_input_is_none() -> None:
    types = PayloadTypes()
    assert types.output(Point) is types.output(Point)

    @dataclass
    class Empty:
        pass

    assert types.input(Empty) is None


def test_two_classes_with_one_name_are_refused() -> None:
    types = PayloadTypes()
    types.output(Point)
    other = type("Point", (), {"__annotations__": {"z": int}})
    with pytest.raises(ModelDeclarationError, match="'Point'"):
        types.output(dataclass(other))


def test_app_query_registers_the_function_under_its_python_name() -> None:
    app = App("shapes")
    app.query(describe, rules=[allow_query.authenticated()])
    assert list(app.queries) == ["describe"]
    assert app.queries["describe"].cost == 10
    assert describe in app.functions
    app.query(describe, rules=[allow_query.groups("admin")], name="describe_again", cost=2)
    assert app.queries["describe_again"].cost == 2
    assert app.functions.count(describe) == 1


@pytest.mark.parametrize(
    ("target", "options", "problem"),
    [
        ("not a function", {"rules": [allow_query.authenticated()]}, "expects a @function"),
        (describe, {"rules": []}, "must allow someone"),
        (describe, {"rules": [allow_call.authenticated()]}, "allow_query"),
        (describe, {"rules": [allow.owner()]}, "allow_query"),
        (describe, {"rules": [allow_query.authenticated()], "name": "2d"}, "field name"),
        (describe, {"rules": [allow_query.authenticated()], "cost": -1}, "cost"),
    ],
)
def test_a_query_that_cannot_work_is_refused_at_declaration(
    target: Any, options: dict[str, Any], problem: str
) -> None:
    with pytest.raises(AppLoadError, match=problem):
        App("shapes").query(target, **options)


def test_a_query_declared_twice_is_refused() -> None:
    app = App("shapes")
    app.query(describe, rules=[allow_query.authenticated()])
    with pytest.raises(AppLoadError, match="declared twice"):
        app.query(describe, rules=[allow_query.authenticated()])
