"""Tokenizer for DynamoDB expressions.

The token set is small and shared by all four grammars: identifiers, ``#name`` and
``:value`` placeholders, unsigned integers (list indexes), and the punctuation
``( ) [ ] , . = <> < <= > >= + -``. Keywords (AND, SET, ...) are identifiers that each
parser recognises case-insensitively, because which words are keywords depends on
the grammar (``remove`` is a fine attribute name in a condition).

Identifiers and placeholders are ASCII only, as DynamoDB's grammar says: an
attribute name with other characters has to go through ``#name``.
"""

from __future__ import annotations

import enum
import string
from dataclasses import dataclass

from storage.errors import ValidationError
from storage.expressions.limits import invalid

__all__ = ["Token", "TokenKind", "near", "syntax_error", "tokenize"]


class TokenKind(enum.Enum):
    IDENT = "identifier"
    NAME_REF = "#name"
    VALUE_REF = ":value"
    INDEX = "index"
    PUNCT = "punctuation"
    EOF = "end of expression"


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    start: int
    end: int


_IDENT_START = frozenset(string.ascii_letters + "_")
_IDENT_PART = _IDENT_START | frozenset(string.digits)
_DIGITS = frozenset(string.digits)
_WHITESPACE = frozenset(" \t\r\n")
_TWO_CHAR_PUNCT = frozenset({"<>", "<=", ">="})
_ONE_CHAR_PUNCT = frozenset("()[],.=<>+-")
# How much context a syntax error shows on each side: enough to find the spot,
# never the whole expression (it may hold values a log should not keep).
_NEAR_WIDTH = 24


def near(text: str, start: int, end: int) -> str:
    """The token at ``text[start:end]`` with one neighbouring word on each side.

    DynamoDB reports syntax errors as ``token: "x", near: "a x b"``; this gives the
    same shape, capped so a message never echoes a long expression back.
    """
    left = start
    while left > 0 and text[left - 1] in _WHITESPACE:
        left -= 1
    while left > 0 and text[left - 1] not in _WHITESPACE and start - left < _NEAR_WIDTH:
        left -= 1
    right = end
    while right < len(text) and text[right] in _WHITESPACE:
        right += 1
    while right < len(text) and text[right] not in _WHITESPACE and right - end < _NEAR_WIDTH:
        right += 1
    return text[left:right]


def syntax_error(label: str, text: str, token_text: str, start: int, end: int) -> ValidationError:
    """DynamoDB's ``Syntax error; token: "x", near: "..."`` for one spot of ``text``."""
    shown = token_text if len(token_text) <= _NEAR_WIDTH else token_text[:_NEAR_WIDTH] + "..."
    return invalid(label, f'Syntax error; token: "{shown}", near: "{near(text, start, end)}"')


def tokenize(text: str, label: str) -> tuple[Token, ...]:
    """Split ``text`` into tokens, ending with one EOF token; ValidationError on a bad character."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in _WHITESPACE:
            i += 1
            continue
        start = i
        if char in _IDENT_START:
            kind = TokenKind.IDENT
            i += 1
            while i < n and text[i] in _IDENT_PART:
                i += 1
        elif char in "#:":
            kind = TokenKind.NAME_REF if char == "#" else TokenKind.VALUE_REF
            i += 1
            while i < n and text[i] in _IDENT_PART:
                i += 1
            if i == start + 1:
                raise syntax_error(label, text, char, start, i)
        elif char in _DIGITS:
            kind = TokenKind.INDEX
            while i < n and text[i] in _DIGITS:
                i += 1
        elif text[i : i + 2] in _TWO_CHAR_PUNCT:
            kind = TokenKind.PUNCT
            i += 2
        elif char in _ONE_CHAR_PUNCT:
            kind = TokenKind.PUNCT
            i += 1
        else:
            raise syntax_error(label, text, char, start, start + 1)
        tokens.append(Token(kind, text[start:i], start, i))
    tokens.append(Token(TokenKind.EOF, "<EOF>", n, n))
    return tuple(tokens)
