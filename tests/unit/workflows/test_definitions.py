"""The one door to Temporal's private workflow definitions (workflows.definitions).

If the SDK renames ``_Definition`` or its fields, these fail, and only that module
needs mending.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

from workflows.definitions import workflow_definition


@dataclass
class ArchiveInput:
    board_id: str


@workflow.defn(name="archive-board")
class ArchiveBoard:
    @workflow.run
    async def run(self, inp: ArchiveInput) -> None:
        return None

    @workflow.query
    def progress(self) -> int:
        return 0


@workflow.defn
class Untyped:
    @workflow.run
    async def run(self, inp):  # type: ignore[no-untyped-def]
        return inp


def test_a_workflow_class_gives_its_name_argument_types_and_queries() -> None:
    definition = workflow_definition(ArchiveBoard)
    assert definition is not None
    assert definition.name == "archive-board"
    assert definition.arg_types == (ArchiveInput,)
    assert definition.queries == frozenset({"progress"})


def test_an_argument_without_annotation_has_none_for_its_type() -> None:
    definition = workflow_definition(Untyped)
    assert definition is not None
    assert (definition.name, definition.arg_types) == ("Untyped", (None,))


def test_anything_else_has_no_definition() -> None:
    assert workflow_definition(ArchiveInput) is None
    assert workflow_definition("archive-board") is None
