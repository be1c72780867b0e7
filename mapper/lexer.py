"""The tokens of a JMESPath Community expression, with their columns.

``tokenize(text)`` returns every token of ``text`` and a final ``eof`` token,
or raises ``ExpressionError`` at the first character that starts no token.
For the jmespath.org grammar the tokens, their kinds (``unquoted_identifier``,
``lbracket``, ``filter``...) and the errors are jmespath 1.1.0's, so parse
errors name the same kinds; the community adds ``variable`` (``$name``),
``root`` (``$``), ``assign`` (the ``=`` of a ``let`` binding), ``question``
and the arithmetic operators (``×``, ``÷`` and ``−`` are spellings of ``*``,
``/`` and ``-``).

As in jmespath: a ``-`` before a digit is part of a (negative) number;
backslashes in raw strings stay as written except before a quote; a literal
between backticks that is not JSON is read as a string (the deprecated
"bare literal").
"""

from __future__ import annotations

import json
import string
from typing import Any, NamedTuple

from .documents import json_too_deep
from .errors import ExpressionError

__all__ = ["MAX_NESTING", "Token", "call_offsets", "tokenize"]

#: How deep an expression may nest: its sub-expressions (parentheses, brackets, braces, calls,
#: operands) and the arrays and objects of a JSON literal. Far beyond what a person writes (the
#: deepest expression of the JMESPath compliance suite nests 104 levels), and well inside the
#: recursion of the parser, the code generator and the checker, which recurse on every level.
MAX_NESTING = 128


class Token(NamedTuple):
    """One token: its kind, its value (the parsed value for literals and numbers) and its columns."""

    kind: str
    value: Any
    start: int
    end: int


_IDENTIFIER_START = frozenset(string.ascii_letters + "_")
_IDENTIFIER = frozenset(string.ascii_letters + string.digits + "_")
_DIGITS = frozenset(string.digits)
_WHITESPACE = frozenset(" \t\n\r")

_SINGLE = {
    ".": "dot", "*": "star", "]": "rbracket", ",": "comma", ":": "colon", "@": "current", "(": "lparen",
    ")": "rparen", "{": "lbrace", "}": "rbrace", "?": "question", "+": "plus", "%": "modulo",
    "\u00d7": "multiply", "\u00f7": "divide", "\u2212": "minus",
}
#: A first character, the second that makes a two-character token, and the kinds with and without it.
_PAIRS = {
    "|": ("|", "or", "pipe"), "&": ("&", "and", "expref"), "<": ("=", "lte", "lt"), ">": ("=", "gte", "gt"),
    "!": ("=", "ne", "not"), "/": ("/", "integer_divide", "divide"),
}


def call_offsets(text: str, name: str) -> list[int]:
    """The columns of every call of the function ``name`` in ``text`` (syntax trees keep no offsets
    for calls); none when ``text`` does not lex."""
    try:
        tokens = tokenize(text)
    except ExpressionError:
        return []
    return [token.start for token, following in zip(tokens, tokens[1:])
            if token.kind == "unquoted_identifier" and token.value == name and following.kind == "lparen"]


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with ``eof``; ``ExpressionError`` at a character that starts none."""
    if not text:
        raise ExpressionError("the expression is empty", text, 0)
    return _Lexer(text).run()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        text, length, position = self.text, len(self.text), 0
        while position < length:
            char = text[position]
            if char in _WHITESPACE:
                position += 1
            elif char in _SINGLE:
                self.add(_SINGLE[char], char, position, position + 1)
                position += 1
            elif char in _IDENTIFIER_START:
                end = self.identifier_end(position)
                self.add("unquoted_identifier", text[position:end], position, end)
                position = end
            elif char in _DIGITS or (char == "-" and text[position + 1:position + 2] in _DIGITS):
                end = self.digits_end(position + 1)
                self.add("number", int(text[position:end]), position, end)
                position = end
            elif char == "-":
                self.add("minus", char, position, position + 1)
                position += 1
            elif char in _PAIRS:
                second, paired, single = _PAIRS[char]
                if text[position + 1:position + 2] == second:
                    self.add(paired, char + second, position, position + 2)
                    position += 2
                else:
                    self.add(single, char, position, position + 1)
                    position += 1
            else:
                position = self.special(char, position)
        self.add("eof", "", length, length)
        return self.tokens

    def add(self, kind: str, value: Any, start: int, end: int) -> None:
        self.tokens.append(Token(kind, value, start, end))

    def identifier_end(self, position: int) -> int:
        end = position + 1
        while end < len(self.text) and self.text[end] in _IDENTIFIER:
            end += 1
        return end

    def digits_end(self, position: int) -> int:
        while position < len(self.text) and self.text[position] in _DIGITS:
            position += 1
        return position

    def special(self, char: str, position: int) -> int:
        """Lex the token starting with ``char`` at ``position`` (brackets, quotes, ``=``, ``$``); where it ends."""
        text = self.text
        if char == "[":
            following = text[position + 1:position + 2]
            kind = {"]": "flatten", "?": "filter"}.get(following)
            if kind is None:
                self.add("lbracket", char, position, position + 1)
                return position + 1
            self.add(kind, char + following, position, position + 2)
            return position + 2
        if char == "=":
            if text[position + 1:position + 2] == "=":
                self.add("eq", "==", position, position + 2)
                return position + 2
            if not self.tokens or self.tokens[-1].kind != "variable":
                # Only a let binding (``$name =``) gives a single ``=`` a meaning.
                raise ExpressionError("unknown token '='", text, position)
            self.add("assign", char, position, position + 1)
            return position + 1
        if char == "$":
            return self.dollar(position)
        if char in "'`\"":
            return self.delimited(char, position)
        raise ExpressionError(f"unknown token {char}", text, position)

    def dollar(self, position: int) -> int:
        following = self.text[position + 1:position + 2]
        if following in _IDENTIFIER_START:
            end = self.identifier_end(position + 1)
            self.add("variable", self.text[position + 1:end], position, end)
            return end
        if following in _DIGITS:
            raise ExpressionError("a variable name starts with a letter or an underscore", self.text, position + 1)
        self.add("root", "$", position, position + 1)
        return position + 1

    def delimited(self, delimiter: str, start: int) -> int:
        """A raw string, a literal or a quoted identifier: a backslash keeps the next character in."""
        text, position, parts = self.text, start + 1, []
        while True:
            if position >= len(text):
                raise ExpressionError(f"unclosed {delimiter} delimiter", text, start)
            char = text[position]
            if char == delimiter:
                break
            if char == "\\":
                if position + 1 >= len(text):
                    raise ExpressionError(f"unclosed {delimiter} delimiter", text, start)
                parts.append(text[position:position + 2])
                position += 2
            else:
                parts.append(char)
                position += 1
        lexeme, end = "".join(parts), position + 1
        if delimiter == "'":
            self.add("literal", lexeme.replace("\\'", "'"), start, end)
        elif delimiter == "`":
            self.add("literal", self.json_literal(lexeme.replace("\\`", "`"), start), start, end)
        else:
            try:
                name = json.loads(f'"{lexeme}"')
            except ValueError as error:
                raise ExpressionError(_sentence(str(error).split(":")[0]), text, start) from None
            self.add("quoted_identifier", name, start, end)
        return end

    def json_literal(self, lexeme: str, start: int) -> Any:
        if json_too_deep(lexeme, MAX_NESTING) is not None:
            raise ExpressionError(f"the literal nests deeper than {MAX_NESTING} levels", self.text, start)
        try:
            return json.loads(lexeme)
        except ValueError:
            pass
        try:
            return json.loads(f'"{lexeme.lstrip()}"')  # jmespath's deprecated bare literal: `foo` is "foo"
        except ValueError:
            raise ExpressionError(f"bad token {lexeme}", self.text, start) from None


def _sentence(message: str) -> str:
    return f"{message[:1].lower()}{message[1:]}"
