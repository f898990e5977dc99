"""``@function``: what it accepts, what it refuses (naming the function), what it builds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from functions import Context, FunctionDefinitionError, function, registry


@dataclass
class In:
    x: int


@dataclass
class Out:
    y: int


class Model(BaseModel):
    z: int


def test_a_valid_function_gets_its_policy_and_types() -> None:
    @function(timeout=5, retries=2, backoff=0.5, non_retryable=(KeyError,), name="t_valid")
    async def valid(ctx: Context, inp: In) -> Out:
        return Out(inp.x)

    assert (valid.name, valid.input_type, valid.output_type) == ("t_valid", In, Out)
    policy = valid.policy.retry_policy()
    assert valid.policy.timeout == timedelta(seconds=5)
    assert policy.maximum_attempts == 3  # two retries
    assert policy.initial_interval == timedelta(seconds=0.5)
    assert policy.non_retryable_error_types == ["KeyError"]
    assert registry.get("t_valid") is valid


def test_pydantic_models_are_accepted() -> None:
    @function(name="t_pydantic")
    async def with_models(ctx: Context, inp: Model) -> Model:
        return inp

    assert with_models.input_type is Model


def test_no_retries_means_exactly_one_attempt() -> None:
    @function(retries=0, name="t_once")
    async def once(ctx: Context, inp: In) -> Out:
        return Out(1)

    assert once.policy.retry_policy().maximum_attempts == 1


async def _sync_fn(ctx: Context, inp: In) -> Out:
    return Out(1)


def _not_async(ctx: Context, inp: In) -> Out:
    return Out(1)


async def _one_param(inp: In) -> Out:
    return Out(1)


async def _no_ctx(ctx: int, inp: In) -> Out:
    return Out(1)


async def _dict_input(ctx: Context, inp: dict[str, int]) -> Out:
    return Out(1)


async def _no_return(ctx: Context, inp: In):  # type: ignore[no-untyped-def]
    return Out(1)


async def _kw_only(ctx: Context, *, inp: In) -> Out:
    return Out(1)


@pytest.mark.parametrize(
    ("impl", "message"),
    [
        (_not_async, "function '_not_async' must be an 'async def'"),
        (_one_param, "function '_one_param' must take exactly two parameters"),
        (_kw_only, "function '_kw_only' must take exactly two parameters"),
        (_no_ctx, "function '_no_ctx': its first parameter must be 'ctx: Context'"),
        (
            _dict_input,
            "function '_dict_input': its input type must be a dataclass or a pydantic model",
        ),
        (
            _no_return,
            "function '_no_return': its output type must be a dataclass or a pydantic model",
        ),
    ],
)
def test_a_bad_signature_is_refused_naming_the_function(impl: Any, message: str) -> None:
    with pytest.raises(FunctionDefinitionError, match="^" + message.replace("(", r"\(")):
        function()(impl)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "timeout must be positive"),
        ({"backoff": -1}, "backoff must be positive"),
        ({"retries": -1}, "retries must be an int >= 0"),
        ({"acts_as": "root"}, "acts_as must be 'caller' or 'system'"),
        ({"non_retryable": ("KeyError",)}, "non_retryable must hold exception types"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(FunctionDefinitionError, match=message):
        function(**options, name="t_bad_options")(_sync_fn)


def test_two_functions_may_not_share_a_name() -> None:
    @function(name="t_shared")
    async def first(ctx: Context, inp: In) -> Out:
        return Out(1)

    with pytest.raises(FunctionDefinitionError, match="'t_shared' is declared twice"):

        @function(name="t_shared")
        async def second(ctx: Context, inp: In) -> Out:
            return Out(2)
