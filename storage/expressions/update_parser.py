"""The update and projection grammars.

Update grammar (DynamoDB Developer Guide, "Using update expressions")::

    update    := clause { clause }            each of SET, REMOVE, ADD, DELETE at most once
    clause    := SET action {',' action} | REMOVE path {',' path}
               | ADD path :value {',' path :value} | DELETE path :value {',' path :value}
    action    := path '=' value
    value     := term [ ('+' | '-') term ] | '(' value ')'
    term      := path | :value | if_not_exists '(' path ',' value ')'
               | list_append '(' value ',' value ')' | '(' term ')'

Projection grammar: ``path {',' path}``.
"""

from __future__ import annotations

from typing import Final, Literal

from storage.expressions.ast import (
    AddAction,
    Arithmetic,
    DeleteAction,
    IfNotExists,
    ListAppend,
    PathOperand,
    ProjectionTree,
    RemoveAction,
    SetAction,
    SetValue,
    SymbolicPath,
    UpdateTree,
    ValueRef,
)
from storage.expressions.lexer import TokenKind
from storage.expressions.limits import invalid
from storage.expressions.parser import Cursor, check_text, incorrect_operand_count, requires_path

__all__ = ["parse_projection_text", "parse_update_text"]

UPDATE_KEYWORDS: Final = frozenset({"SET", "REMOVE", "ADD", "DELETE"})
_NO_KEYWORDS: Final[frozenset[str]] = frozenset()


class _UpdateParser:
    def __init__(self, cursor: Cursor) -> None:
        self.c = cursor

    def parse(self) -> UpdateTree:
        c = self.c
        sets: list[SetAction] = []
        removes: list[RemoveAction] = []
        adds: list[AddAction] = []
        deletes: list[DeleteAction] = []
        seen: set[str] = set()
        while c.peek().kind is not TokenKind.EOF:
            token = c.advance()
            clause = token.text.upper()
            if token.kind is not TokenKind.IDENT or clause not in UPDATE_KEYWORDS:
                raise c.error(token)
            if clause in seen:
                raise invalid(
                    c.label,
                    f'The "{clause}" section can only be used once in an update expression;',
                )
            seen.add(clause)
            while True:
                if clause == "SET":
                    path = self.path()
                    c.expect_punct("=")
                    sets.append(SetAction(path, self.parse_value()))
                elif clause == "REMOVE":
                    removes.append(RemoveAction(self.path()))
                elif clause == "ADD":
                    adds.append(AddAction(self.path(), self.value_ref()))
                else:
                    deletes.append(DeleteAction(self.path(), self.value_ref()))
                if not c.take_punct(","):
                    break
        c.finish()
        return UpdateTree(tuple(sets), tuple(removes), tuple(adds), tuple(deletes))

    def path(self) -> SymbolicPath:
        return self.c.parse_path(UPDATE_KEYWORDS)

    def value_ref(self) -> ValueRef:
        token = self.c.advance()
        if token.kind is not TokenKind.VALUE_REF:
            raise self.c.error(token)
        return ValueRef(token.text)

    def parse_value(self) -> SetValue:
        c = self.c
        after = c.after_group() if c.at_punct("(") else None
        if after is not None and not (after.kind is TokenKind.PUNCT and after.text in "+-"):
            # "(a + :b)": the parentheses hold the whole value.
            c.advance()
            c.enter_group()
            value = self.parse_value()
            c.expect_punct(")")
            c.depth -= 1
            c.mark_group(value)
            return value
        left = self.parse_term()
        token = c.peek()
        if token.kind is TokenKind.PUNCT and token.text in ("+", "-"):
            c.advance()
            c.count_operator()
            op: Literal["+", "-"] = "+" if token.text == "+" else "-"
            return Arithmetic(op, left, self.parse_term())
        return left

    def parse_term(self) -> SetValue:
        c = self.c
        token = c.peek()
        if c.at_punct("("):
            c.advance()
            c.enter_group()
            term = self.parse_term()
            c.expect_punct(")")
            c.depth -= 1
            c.mark_group(term)
            return term
        if token.kind is TokenKind.VALUE_REF:
            c.advance()
            return ValueRef(token.text)
        if (
            token.kind is TokenKind.IDENT
            and c.at_punct("(", 1)
            and token.text.upper() not in UPDATE_KEYWORDS
        ):
            return self.parse_function()
        return PathOperand(self.path())

    def parse_function(self) -> SetValue:
        c = self.c
        name = c.peek().text
        if name not in ("if_not_exists", "list_append"):
            raise invalid(c.label, f"Invalid function name; function: {name}")
        args = c.parse_arguments(self.parse_value)
        if len(args) != 2:
            raise incorrect_operand_count(c.label, name, len(args))
        if name == "list_append":
            return ListAppend(args[0], args[1])
        if not isinstance(args[0], PathOperand):
            raise requires_path(c.label, name)
        return IfNotExists(args[0].path, args[1])


class _ProjectionParser:
    def __init__(self, cursor: Cursor) -> None:
        self.c = cursor

    def parse(self) -> ProjectionTree:
        paths = [self.c.parse_path(_NO_KEYWORDS)]
        while self.c.take_punct(","):
            paths.append(self.c.parse_path(_NO_KEYWORDS))
        self.c.finish()
        return ProjectionTree(tuple(paths))


def parse_update_text(text: str, label: str = "UpdateExpression") -> UpdateTree:
    """Parse an update expression into a symbolic tree."""
    check_text(text, label)
    return _UpdateParser(Cursor(text, label)).parse()


def parse_projection_text(text: str, label: str = "ProjectionExpression") -> ProjectionTree:
    """Parse a projection expression into a symbolic tree."""
    check_text(text, label)
    return _ProjectionParser(Cursor(text, label)).parse()
