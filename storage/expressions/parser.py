"""The token cursor and the productions every grammar shares (paths, argument lists).

Each grammar (conditions in ``condition_parser``, updates and projections in
``update_parser``) is a small class driving one ``Cursor``. The cursor also keeps
what DynamoDB reports only after a successful parse (reserved words, redundant
parentheses) and enforces the operator, nesting and size limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

from storage.errors import ValidationError
from storage.expressions.ast import (
    NameRef,
    PathPart,
    SymbolicPath,
)
from storage.expressions.lexer import Token, TokenKind, syntax_error, tokenize
from storage.expressions.limits import (
    MAX_EXPRESSION_BYTES,
    MAX_OPERATORS,
    MAX_PARENTHESES_DEPTH,
    MAX_PATH_DEPTH,
    invalid,
)
from storage.expressions.reserved import is_reserved

__all__ = ["Cursor", "check_text", "incorrect_operand_count", "requires_path"]

_T = TypeVar("_T")

# Deferred errors, reported after a successful parse in DynamoDB's order: a syntax
# error anywhere wins over these, and among them the lower number wins.
_REDUNDANT_PARENTHESES: Final = 0
_RESERVED_WORD: Final = 1
# These labels report the expression's size when it is too long; the others do not.
_SIZE_REPORTING_LABELS: Final = frozenset({"ConditionExpression", "FilterExpression"})


def check_text(text: str, label: str) -> None:
    """Refuse empty and over-long expressions before any parsing."""
    if not text.strip():
        raise invalid(label, "The expression can not be empty;")
    # A str of n characters has at most 4n UTF-8 bytes, so short texts skip encoding.
    if len(text) * 4 > MAX_EXPRESSION_BYTES:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_EXPRESSION_BYTES:
            detail = "Expression size has exceeded the maximum allowed size;"
            if label in _SIZE_REPORTING_LABELS:
                detail += f" expression size: {size}"
            raise invalid(label, detail)


class Cursor:
    """A position in the token stream plus the bookkeeping every grammar needs."""

    def __init__(self, text: str, label: str) -> None:
        self.text = text
        self.label = label
        self.tokens = tokenize(text, label)
        self.pos = 0
        self.operators = 0
        self.depth = 0
        self._deferred: dict[int, str] = {}
        self._grouped: set[int] = set()
        self.closing = _match_parentheses(self.tokens)

    # -- token access -------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        index = min(self.pos + offset, len(self.tokens) - 1)
        return self.tokens[index]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind is not TokenKind.EOF:
            self.pos += 1
        return token

    def at_punct(self, symbol: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token.kind is TokenKind.PUNCT and token.text == symbol

    def take_punct(self, symbol: str) -> bool:
        if self.at_punct(symbol):
            self.pos += 1
            return True
        return False

    def expect_punct(self, symbol: str) -> None:
        if not self.take_punct(symbol):
            raise self.error(self.peek())

    def at_keyword(self, word: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token.kind is TokenKind.IDENT and token.text.upper() == word

    def after_group(self) -> Token:
        """The token after the ``)`` matching the ``(`` at the cursor (EOF if unmatched)."""
        close = self.closing.get(self.pos)
        return self.tokens[-1] if close is None else self.tokens[close + 1]

    # -- errors and limits -------------------------------------------------------
    def error(self, token: Token) -> ValidationError:
        return syntax_error(self.label, self.text, token.text, token.start, token.end)

    def defer(self, priority: int, message: str) -> None:
        self._deferred.setdefault(priority, message)

    def count_operator(self) -> None:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            raise invalid(
                self.label,
                f"The expression contains too many operators; operator count: {self.operators}",
            )

    def enter_group(self) -> None:
        self.depth += 1
        if self.depth > MAX_PARENTHESES_DEPTH:
            raise invalid(
                self.label, f"The expression is nested too deeply; limit: {MAX_PARENTHESES_DEPTH}"
            )

    def mark_group(self, node: object) -> None:
        """Record that ``node`` came out of parentheses; a second pair is redundant."""
        if id(node) in self._grouped:
            self.defer(_REDUNDANT_PARENTHESES, "The expression has redundant parentheses;")
        self._grouped.add(id(node))

    def finish(self) -> None:
        """Require the end of the text, then report the first deferred error."""
        token = self.peek()
        if token.kind is not TokenKind.EOF:
            raise self.error(token)
        if self._deferred:
            raise invalid(self.label, self._deferred[min(self._deferred)])

    # -- shared productions ----------------------------------------------------------
    def parse_path(self, keywords: frozenset[str]) -> SymbolicPath:
        parts: list[PathPart] = [self._path_name(keywords)]
        while True:
            if self.take_punct("."):
                parts.append(self._path_name(keywords))
            elif self.take_punct("["):
                token = self.advance()
                if token.kind is not TokenKind.INDEX:
                    raise self.error(token)
                parts.append(int(token.text))
                self.expect_punct("]")
            else:
                break
        if len(parts) > MAX_PATH_DEPTH:
            raise invalid(
                self.label,
                f"The document path has too many nesting levels; nesting levels: {len(parts)}",
            )
        return tuple(parts)

    def _path_name(self, keywords: frozenset[str]) -> str | NameRef:
        token = self.advance()
        if token.kind is TokenKind.NAME_REF:
            return NameRef(token.text)
        if token.kind is TokenKind.IDENT and token.text.upper() not in keywords:
            if is_reserved(token.text):
                self.defer(
                    _RESERVED_WORD,
                    f"Attribute name is a reserved keyword; reserved keyword: {token.text}",
                )
            return token.text
        raise self.error(token)

    def parse_arguments(self, parse_argument: Callable[[], _T]) -> list[_T]:
        """``name '(' arg {',' arg} ')'`` with the cursor on the name; returns the args."""
        self.advance()
        self.expect_punct("(")
        self.enter_group()
        args = [parse_argument()]
        while self.take_punct(","):
            args.append(parse_argument())
        self.expect_punct(")")
        self.depth -= 1
        self.count_operator()
        return args


def _match_parentheses(tokens: tuple[Token, ...]) -> dict[int, int]:
    """Index of each ``(`` token -> index of its ``)``, found once per parse."""
    stack: list[int] = []
    closing: dict[int, int] = {}
    for index, token in enumerate(tokens):
        if token.kind is TokenKind.PUNCT:
            if token.text == "(":
                stack.append(index)
            elif token.text == ")" and stack:
                closing[stack.pop()] = index
    return closing


def incorrect_operand_count(label: str, name: str, count: int) -> ValidationError:
    return invalid(
        label,
        "Incorrect number of operands for operator or function; "
        f"operator or function: {name}, number of operands: {count}",
    )


def requires_path(label: str, name: str) -> ValidationError:
    return invalid(
        label, f"Operator or function requires a document path; operator or function: {name}"
    )
