"""A workflow that calls a function its App does not register is found when the app loads.

Before, the call failed only when it ran (``internal`` to the client, the name only in
the worker's log). Now loading the app (and ``baas check``) names the workflow's file
and line.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from temporalio import workflow

import workflows
from baas import App, Context, Saga, call, function
from baas.application import unregistered_calls


@dataclass(frozen=True)
class Note:
    text: str


@function(timeout=5)
async def save_note(ctx: Context, inp: Note) -> Note:
    return inp


@function(timeout=5)
async def forget_note(ctx: Context, inp: Note) -> Note:
    return inp


@function(timeout=5)
async def mail_note(ctx: Context, inp: Note) -> Note:
    return inp


@workflow.defn(name="tests.NoteWorkflow")
class NoteWorkflow:
    @workflow.run
    async def run(self, inp: Note) -> Note:
        async with Saga() as saga:
            saved = await call(save_note, inp)
            saga.compensate(forget_note, inp)
            await workflows.call(mail_note, inp)
        return saved


def _line_of(text: str) -> int:
    lines, first = inspect.getsourcelines(NoteWorkflow)
    return first + next(i for i, line in enumerate(lines) if text in line)


def test_each_unregistered_call_is_named_with_its_file_and_line() -> None:
    app = App("notes")
    app.function(save_note)
    app.workflow(NoteWorkflow)

    problems = unregistered_calls(app)

    file = "tests/unit/baas/test_unregistered_calls.py"
    assert problems == [
        (
            f"{file}:{_line_of('saga.compensate')}: workflow NoteWorkflow calls function "
            "'forget_note', which the App does not register: add app.function(forget_note) "
            "beside its other functions"
        ),
        (
            f"{file}:{_line_of('workflows.call')}: workflow NoteWorkflow calls function "
            "'mail_note', which the App does not register: add app.function(mail_note) "
            "beside its other functions"
        ),
    ]


def test_an_app_registering_every_function_it_calls_has_no_problem() -> None:
    app = App("notes")
    for fn in (save_note, forget_note, mail_note):
        app.function(fn)
    app.workflow(NoteWorkflow)

    assert unregistered_calls(app) == []
