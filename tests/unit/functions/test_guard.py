"""The run-time isolation guard: a function that invokes another fails at once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from functions import Caller, Context, FunctionIsolationError, function
from functions.guard import current_function


@dataclass
class Num:
    n: int


@function(name="t_inner")
async def inner(ctx: Context, inp: Num) -> Num:
    return Num(inp.n + 1)


@function(name="t_outer_direct")
async def outer_direct(ctx: Context, inp: Num) -> Num:
    return await inner(ctx, inp)


@function(name="t_outer_wrapped")
async def outer_wrapped(ctx: Context, inp: Num) -> Num:
    result: Num = await inner.__wrapped__(ctx, inp)
    return result


@function(name="t_reports_itself")
async def reports_itself(ctx: Context, inp: Num) -> Num:
    assert current_function() == "t_reports_itself"
    return inp


async def test_a_function_runs_directly_in_a_unit_test() -> None:
    ctx = Context.for_test("t_inner", caller=Caller.user("u1"))
    assert await inner(ctx, Num(1)) == Num(2)
    assert await reports_itself(ctx, Num(1)) == Num(1)
    assert current_function() is None


@pytest.mark.parametrize("outer", [outer_direct, outer_wrapped])
async def test_calling_another_function_raises_naming_both(outer: object) -> None:
    with pytest.raises(FunctionIsolationError) as error:
        await outer(Context.for_test(), Num(1))  # type: ignore[operator]
    assert "'t_outer_" in error.value.message
    assert "invoked function 't_inner'" in error.value.message
    assert error.value.callee == "t_inner"
    assert error.value.code == "function_isolation"


async def test_starting_a_call_from_a_function_is_refused_too() -> None:
    from workflows.client import start_call

    @function(name="t_starts_a_call")
    async def starts(ctx: Context, inp: Num) -> Num:
        await start_call(None, inner, inp, ctx.caller, task_queue="q")  # type: ignore[arg-type]
        return inp

    with pytest.raises(
        FunctionIsolationError, match="'t_starts_a_call' invoked function 't_inner'"
    ):
        await starts(Context.for_test(), Num(1))
