"""Recursive-descent parsing shared by all grammars, and the condition grammar.

Condition grammar (DynamoDB Developer Guide, "Condition and filter expressions,
operators, and functions"), loosest binding first::

    condition  := and { OR and }
    and        := not { AND not }
    not        := NOT not | primary
    primary    := '(' condition ')'
                | function '(' operand, ... ')'
                | operand comparator operand
                | operand BETWEEN operand AND operand
                | operand IN '(' operand { ',' operand } ')'
    operand    := path | :value | size '(' path ')' | '(' operand ')'
    path       := name { '.' name | '[' index ']' }      name := identifier | #name

Keywords are case-insensitive; function names are case-sensitive, as in DynamoDB.
"""

from __future__ import annotations

from typing import Final

from storage.errors import ValidationError
from storage.expressions.ast import (
    And,
    Between,
    Comparison,
    ConditionNode,
    Function,
    FunctionName,
    In,
    Not,
    Operand,
    Or,
    PathOperand,
    Size,
    ValueRef,
)
from storage.expressions.lexer import Token, TokenKind
from storage.expressions.limits import MAX_IN_OPERANDS, invalid
from storage.expressions.parser import Cursor, check_text, incorrect_operand_count, requires_path

__all__ = ["CONDITION_KEYWORDS", "parse_condition_text"]

CONDITION_KEYWORDS: Final = frozenset({"AND", "OR", "NOT", "BETWEEN", "IN"})
COMPARATORS: Final = frozenset({"=", "<>", "<", "<=", ">", ">="})
_BOOLEAN_FUNCTIONS: Final[dict[str, int]] = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
_UPDATE_FUNCTIONS: Final = frozenset({"if_not_exists", "list_append"})


class _ConditionParser:
    """The condition grammar over a ``Cursor``; also used for key conditions."""

    def __init__(self, cursor: Cursor) -> None:
        self.c = cursor

    def parse(self) -> ConditionNode:
        node = self.parse_or()
        self.c.finish()
        return node

    def parse_or(self) -> ConditionNode:
        node = self.parse_and()
        while self.c.at_keyword("OR"):
            self.c.advance()
            self.c.count_operator()
            node = Or(node, self.parse_and())
        return node

    def parse_and(self) -> ConditionNode:
        node = self.parse_not()
        while self.c.at_keyword("AND"):
            self.c.advance()
            self.c.count_operator()
            node = And(node, self.parse_not())
        return node

    def parse_not(self) -> ConditionNode:
        # Iterative, so a long run of NOTs cannot exhaust the Python stack.
        negations = 0
        while self.c.at_keyword("NOT"):
            self.c.advance()
            self.c.count_operator()
            negations += 1
        node = self.parse_primary()
        for _ in range(negations):
            node = Not(node)
        return node

    def parse_primary(self) -> ConditionNode:
        c = self.c
        # "(a) = :v" groups an operand, "(a = :v)" a condition: what follows the
        # matching ")" tells them apart without backtracking.
        if c.at_punct("(") and not _continues_operand(c.after_group()):
            c.advance()
            c.enter_group()
            node = self.parse_or()
            c.expect_punct(")")
            c.depth -= 1
            c.mark_group(node)
            return node
        token = c.peek()
        if (
            token.kind is TokenKind.IDENT
            and c.at_punct("(", 1)
            and token.text.upper() not in CONDITION_KEYWORDS
            and token.text != "size"
        ):
            function = self.parse_function()
            if _continues_operand(c.peek()):
                raise _misused_function(c.label, function.name)
            return function
        left = self.parse_operand()
        token = c.peek()
        if token.kind is TokenKind.PUNCT and token.text in COMPARATORS:
            c.advance()
            c.count_operator()
            return Comparison(token.text, left, self.parse_operand())  # type: ignore[arg-type]
        if c.at_keyword("BETWEEN"):
            c.advance()
            c.count_operator()
            low = self.parse_operand()
            if not c.at_keyword("AND"):
                raise c.error(c.peek())
            c.advance()
            return Between(left, low, self.parse_operand())
        if c.at_keyword("IN"):
            c.advance()
            c.count_operator()
            c.expect_punct("(")
            options = [self.parse_operand()]
            while c.take_punct(","):
                options.append(self.parse_operand())
            c.expect_punct(")")
            if len(options) > MAX_IN_OPERANDS:
                raise invalid(
                    c.label,
                    "The IN operator is provided with too many operands; "
                    f"number of operands: {len(options)}",
                )
            return In(left, tuple(options))
        if isinstance(left, Size):
            raise _misused_function(c.label, "size")
        raise c.error(token)

    def parse_function(self) -> Function:
        c = self.c
        name = c.peek().text
        if name not in _BOOLEAN_FUNCTIONS:
            raise invalid(c.label, f"Invalid function name; function: {name}")
        args = c.parse_arguments(self.parse_operand)
        if len(args) != _BOOLEAN_FUNCTIONS[name]:
            raise incorrect_operand_count(c.label, name, len(args))
        if name != "begins_with" and name != "contains" and not isinstance(args[0], PathOperand):
            raise requires_path(c.label, name)
        for arg in args:
            if isinstance(arg, Size) and name == "begins_with":
                raise invalid(
                    c.label,
                    "Incorrect operand type for operator or function; "
                    "operator or function: begins_with, operand type: N",
                )
        if name == "attribute_type" and not isinstance(args[1], ValueRef):
            raise invalid(
                c.label,
                "Incorrect operand type for operator or function; "
                "operator or function: attribute_type, operand type: PATH",
            )
        function_name: FunctionName = name  # type: ignore[assignment]
        return Function(function_name, tuple(args))

    def parse_operand(self) -> Operand:
        c = self.c
        token = c.peek()
        if c.at_punct("("):
            c.advance()
            c.enter_group()
            operand = self.parse_operand()
            c.expect_punct(")")
            c.depth -= 1
            c.mark_group(operand)
            return operand
        if token.kind is TokenKind.VALUE_REF:
            c.advance()
            return ValueRef(token.text)
        if (
            token.kind is TokenKind.IDENT
            and c.at_punct("(", 1)
            and token.text.upper() not in CONDITION_KEYWORDS
        ):
            name = token.text
            if name != "size":
                if name in _BOOLEAN_FUNCTIONS or name in _UPDATE_FUNCTIONS:
                    raise _misused_function(c.label, name)
                raise invalid(c.label, f"Invalid function name; function: {name}")
            args = c.parse_arguments(self.parse_operand)
            if len(args) != 1:
                raise incorrect_operand_count(c.label, name, len(args))
            if not isinstance(args[0], PathOperand):
                raise requires_path(c.label, name)
            return Size(args[0].path)
        return PathOperand(c.parse_path(CONDITION_KEYWORDS))


def _continues_operand(token: Token) -> bool:
    """True if ``token`` can only follow an operand (so a group before it is one)."""
    if token.kind is TokenKind.PUNCT:
        return token.text in COMPARATORS
    return token.kind is TokenKind.IDENT and token.text.upper() in {"BETWEEN", "IN"}


def _misused_function(label: str, name: str) -> ValidationError:
    return invalid(
        label,
        f"The function is not allowed to be used this way in an expression; function: {name}",
    )


def parse_condition_text(text: str, label: str) -> ConditionNode:
    """Parse a condition/filter/key-condition text into a symbolic tree."""
    check_text(text, label)
    return _ConditionParser(Cursor(text, label)).parse()
