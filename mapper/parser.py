"""Parse a JMESPath Community expression into a syntax tree of plain dicts.

``parse(text)`` returns the tree or raises ``ExpressionError`` (message,
text, 0-based column). For every expression jmespath 1.1.0 parses, the tree
is exactly ``jmespath.parser.Parser().parse(text).parsed``, and where
jmespath refuses one, the error is found at the same column, in the words
mapper has always used. The community's additions give these nodes (the
contract with the generator and ``mapper check``):

- ``$``: ``{"type": "root"}``; ``$name``: ``{"type": "variable_ref", "value", "offset"}``;
- ``let $a = e1, $b = e2 in body``: ``{"type": "let", "children": [binding..., body]}``,
  each binding ``{"type": "binding", "value": "a", "offset", "children": [e1]}``;
- ``c ? a : b``: ``{"type": "ternary", "children": [c, a, b]}``;
- ``a + b`` (``-``, ``*``, ``/``, ``%``, ``//``): ``{"type": "arithmetic", "value": "plus"..., "offset"}``;
- ``-a``, ``+a``: ``{"type": "arithmetic_unary", "value": "minus" or "plus", "offset"}``.

Every node has ``children``; ``offset`` is the column of the ``$`` or of the operator.

A Pratt parser (top-down operator precedence) shaped like jmespath's, so
that its quirks (``a.b.c`` is one ``subexpression`` of three children,
``f(a b)`` passes two arguments) stay the same. From loosest to tightest:
``|``, ``?:`` (right-associative), ``||``, ``&&``, comparisons, ``+ -``,
``* / % //``, unary ``- +``, then jmespath's projections and paths. A
``let`` body reaches as far right as it can.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from .errors import ExpressionError
from .lexer import MAX_NESTING, Token, tokenize

__all__ = ["INCOMPLETE", "parse"]

Node = dict[str, Any]

#: The message for an expression that stops where more was expected.
#: The error of a bare number where an expression belongs (``a - 1``), with the number.
BARE_NUMBER = ("a number in an expression is a JSON literal in backticks: `{}` (bare numbers are only indexes "
               "and slices, inside [ ])")
INCOMPLETE = "the expression ends too early (is a bracket, brace or parenthesis left open?)"

_BINDING_POWER = {
    "eof": 0, "unquoted_identifier": 0, "quoted_identifier": 0, "literal": 0, "rbracket": 0, "rparen": 0,
    "comma": 0, "rbrace": 0, "number": 0, "current": 0, "expref": 0, "colon": 0, "variable": 0, "root": 0,
    "assign": 0,
    "pipe": 1, "question": 2, "or": 3, "and": 4,
    "eq": 5, "gt": 5, "lt": 5, "gte": 5, "lte": 5, "ne": 5,
    "plus": 6, "minus": 6,
    # ``*`` after an expression multiplies; as a wildcard it binds with _STAR.
    "star": 7, "multiply": 7, "divide": 7, "modulo": 7, "integer_divide": 7,
    "flatten": 9, "filter": 21, "dot": 40, "not": 45, "lbrace": 50, "lbracket": 55, "lparen": 60,
}
#: Unary ``-`` and ``+``: tighter than ``*``, looser than paths (``-a.b`` is ``-(a.b)``).
_UNARY = 8
#: jmespath's binding power of the wildcard, for the projection after ``*`` or ``[*]``.
_STAR = 20
#: Tokens binding less than this end the right side of a projection.
_PROJECTION_STOP = 10

_ARITHMETIC = {
    "plus": "plus", "minus": "minus", "star": "multiply", "multiply": "multiply", "divide": "divide",
    "modulo": "modulo", "integer_divide": "integer_divide",
}
_COMPARATORS = ("eq", "ne", "gt", "gte", "lt", "lte")


def parse(text: str) -> Node:
    """The syntax tree of ``text``; ``ExpressionError`` with the column of the first fault."""
    return _Parser(text, tokenize(text)).run()


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def run(self) -> Node:
        tree = self.expression(0)
        if self.kind() != "eof":
            token = self.tokens[self.index]
            self.fail(token, f"unexpected token: {token.value}")
        return tree

    # -- the Pratt loop -------------------------------------------------------------------------

    def expression(self, binding_power: int) -> Node:
        token = self.tokens[self.index]
        if self.depth == MAX_NESTING:
            self.fail(token, f"the expression nests deeper than {MAX_NESTING} levels")
        self.depth += 1
        self.index += 1
        left = self.nud(token)
        kind = self.kind()
        while binding_power < _BINDING_POWER[kind]:
            led = self._LEDS.get(kind)
            if led is None:
                self.fail(self.tokens[self.index], "invalid token")
            operator = self.tokens[self.index]
            self.index += 1
            left = led(self, left, operator)
            kind = self.kind()
        self.depth -= 1
        return left

    def nud(self, token: Token) -> Node:
        kind = token.kind
        if kind == "literal":
            return {"type": "literal", "value": token.value, "children": []}
        if kind == "unquoted_identifier":
            if token.value == "let" and self.kind() == "variable":
                return self.let()
            return _field(token.value)
        if kind == "quoted_identifier":
            if self.kind() == "lparen":
                # jmespath puts this one at column 0.
                raise ExpressionError("quoted identifier not allowed for function names.", self.text, 0)
            return _field(token.value)
        if kind == "star":
            right = _identity() if self.kind() == "rbracket" else self.projection_rhs(_STAR)
            return {"type": "value_projection", "children": [_identity(), right]}
        if kind == "filter":
            return self.led_filter(_identity(), token)
        if kind == "lbrace":
            return self.multi_select_dict()
        if kind == "lparen":
            inner = self.expression(0)
            self.match("rparen")
            return inner
        if kind == "flatten":
            return self.led_flatten(_identity(), token)
        if kind == "not":
            return {"type": "not_expression", "children": [self.expression(_BINDING_POWER["not"])]}
        if kind == "lbracket":
            return self.nud_lbracket()
        if kind == "current":
            return {"type": "current", "children": []}
        if kind == "expref":
            return {"type": "expref", "children": [self.expression(0)]}
        if kind == "root":
            return {"type": "root", "children": []}
        if kind == "variable":
            return {"type": "variable_ref", "value": token.value, "offset": token.start, "children": []}
        if kind in ("minus", "plus"):
            return {"type": "arithmetic_unary", "value": kind, "offset": token.start,
                    "children": [self.expression(_UNARY)]}
        if kind == "eof":
            raise ExpressionError(INCOMPLETE, self.text, len(self.text))
        if kind == "number":
            # The grammar keeps bare numbers for indexes and slices; a number value is a JSON literal.
            self.fail(token, BARE_NUMBER.format(token.value))
        self.fail(token, "invalid token")

    # -- jmespath's constructs ------------------------------------------------------------------

    def nud_lbracket(self) -> Node:
        if self.kind() in ("number", "colon"):
            return self.project_if_slice(_identity(), self.index_expression())
        if self.kind() == "star" and self.kind(1) == "rbracket":
            self.index += 2
            return {"type": "projection", "children": [_identity(), self.projection_rhs(_STAR)]}
        return self.multi_select_list()

    def index_expression(self) -> Node:
        if self.kind() == "colon" or self.kind(1) == "colon":
            return self.slice()
        node = {"type": "index", "value": self.tokens[self.index].value, "children": []}
        self.index += 1
        self.match("rbracket")
        return node

    def slice(self) -> Node:
        parts: list[int | None] = [None, None, None]
        position = 0
        while self.kind() != "rbracket" and position < 3:
            token = self.tokens[self.index]
            if token.kind == "colon":
                position += 1
                if position == 3:
                    self.fail(token, "syntax error")
                self.index += 1
            elif token.kind == "number":
                parts[position] = token.value
                self.index += 1
            else:
                self.fail(token, "syntax error")
        self.match("rbracket")
        return {"type": "slice", "children": parts}

    def led_dot(self, left: Node, operator: Token) -> Node:
        if self.kind() == "star":
            self.index += 1
            return {"type": "value_projection", "children": [left, self.projection_rhs(_BINDING_POWER["dot"])]}
        right = self.dot_rhs(_BINDING_POWER["dot"])
        if left["type"] == "subexpression":
            left["children"].append(right)
            return left
        return {"type": "subexpression", "children": [left, right]}

    def led_pipe(self, left: Node, operator: Token) -> Node:
        return {"type": "pipe", "children": [left, self.expression(_BINDING_POWER["pipe"])]}

    def led_or(self, left: Node, operator: Token) -> Node:
        return {"type": "or_expression", "children": [left, self.expression(_BINDING_POWER["or"])]}

    def led_and(self, left: Node, operator: Token) -> Node:
        return {"type": "and_expression", "children": [left, self.expression(_BINDING_POWER["and"])]}

    def led_lparen(self, left: Node, operator: Token) -> Node:
        if left["type"] != "field":
            name = self.tokens[self.index - 2]
            self.fail(name, f"invalid function name '{name.value}'")
        arguments = []
        while self.kind() != "rparen":
            argument = self.expression(0)
            if self.kind() == "comma":
                self.match("comma")
            arguments.append(argument)
        self.match("rparen")
        return {"type": "function_expression", "children": arguments, "value": left["value"]}

    def led_filter(self, left: Node, operator: Token) -> Node:
        condition = self.expression(0)
        self.match("rbracket")
        right = _identity() if self.kind() == "flatten" else self.projection_rhs(_BINDING_POWER["filter"])
        return {"type": "filter_projection", "children": [left, right, condition]}

    def led_comparator(self, left: Node, operator: Token) -> Node:
        right = self.expression(_BINDING_POWER[operator.kind])
        return {"type": "comparator", "children": [left, right], "value": operator.kind}

    def led_flatten(self, left: Node, operator: Token) -> Node:
        flattened = {"type": "flatten", "children": [left]}
        return {"type": "projection", "children": [flattened, self.projection_rhs(_BINDING_POWER["flatten"])]}

    def led_lbracket(self, left: Node, operator: Token) -> Node:
        if self.kind() in ("number", "colon"):
            right = self.index_expression()
            if left["type"] == "index_expression":
                left["children"].append(right)
                return left
            return self.project_if_slice(left, right)
        self.match("star")
        self.match("rbracket")
        return {"type": "projection", "children": [left, self.projection_rhs(_STAR)]}

    def project_if_slice(self, left: Node, right: Node) -> Node:
        indexed = {"type": "index_expression", "children": [left, right]}
        if right["type"] == "slice":
            return {"type": "projection", "children": [indexed, self.projection_rhs(_STAR)]}
        return indexed

    def multi_select_list(self) -> Node:
        items = []
        while True:
            items.append(self.expression(0))
            if self.kind() == "rbracket":
                break
            self.match("comma")
        self.match("rbracket")
        return {"type": "multi_select_list", "children": items}

    def multi_select_dict(self) -> Node:
        pairs = []
        while True:
            key = self.tokens[self.index]
            self.match("quoted_identifier", "unquoted_identifier")
            self.match("colon")
            pairs.append({"type": "key_val_pair", "children": [self.expression(0)], "value": key.value})
            if self.kind() == "comma":
                self.match("comma")
            elif self.kind() == "rbrace":
                self.match("rbrace")
                break
        return {"type": "multi_select_dict", "children": pairs}

    def projection_rhs(self, binding_power: int) -> Node:
        kind = self.kind()
        if _BINDING_POWER[kind] < _PROJECTION_STOP:
            return _identity()
        if kind in ("lbracket", "filter"):
            return self.expression(binding_power)
        if kind == "dot":
            self.match("dot")
            return self.dot_rhs(binding_power)
        self.fail(self.tokens[self.index], "syntax error")

    def dot_rhs(self, binding_power: int) -> Node:
        token = self.tokens[self.index]
        if token.kind == "unquoted_identifier" and token.value == "let" and self.kind(1) == "variable":
            self.fail(token, "a let expression cannot follow a dot: pipe into it instead (a | let ...)")
        if token.kind in ("quoted_identifier", "unquoted_identifier", "star"):
            return self.expression(binding_power)
        if token.kind == "lbracket":
            self.match("lbracket")
            return self.multi_select_list()
        if token.kind == "lbrace":
            self.match("lbrace")
            return self.multi_select_dict()
        allowed = ["quoted_identifier", "unquoted_identifier", "lbracket", "lbrace"]
        self.fail(token, f"expected {allowed}, got: {token.kind}")

    # -- the community's constructs -------------------------------------------------------------

    def let(self) -> Node:
        bindings: list[Node] = []
        while True:
            variable = self.tokens[self.index]
            if variable.kind != "variable":
                self.fail(variable, "expected a $name to bind in let")
            self.index += 1
            if self.kind() != "assign":
                raise ExpressionError(f"expected '=' after ${variable.value} in let", self.text,
                                      self.tokens[self.index].start)
            self.index += 1
            bindings.append({"type": "binding", "value": variable.value, "offset": variable.start,
                             "children": [self.expression(0)]})
            if self.kind() != "comma":
                break
            self.index += 1
        keyword = self.tokens[self.index]
        if keyword.kind != "unquoted_identifier" or keyword.value != "in":
            if keyword.kind == "eof":
                raise ExpressionError("the let expression ends before 'in' and its body", self.text, keyword.start)
            self.fail(keyword, "expected ',' or 'in' after a let binding")
        self.index += 1
        return {"type": "let", "children": [*bindings, self.expression(0)]}

    def led_question(self, condition: Node, operator: Token) -> Node:
        if_true = self.expression(0)
        colon = self.tokens[self.index]
        if colon.kind != "colon":
            raise ExpressionError("expected ':' and the value for a false condition after '?'", self.text,
                                  colon.start)
        self.index += 1
        # One less than its own binding power: a ? b : c ? d : e nests to the right.
        if_false = self.expression(_BINDING_POWER["question"] - 1)
        return {"type": "ternary", "children": [condition, if_true, if_false]}

    def led_arithmetic(self, left: Node, operator: Token) -> Node:
        right = self.expression(_BINDING_POWER[operator.kind])
        return {"type": "arithmetic", "value": _ARITHMETIC[operator.kind], "offset": operator.start,
                "children": [left, right]}

    # -- tokens ---------------------------------------------------------------------------------

    def kind(self, ahead: int = 0) -> str:
        return self.tokens[self.index + ahead].kind

    def match(self, *kinds: str) -> None:
        token = self.tokens[self.index]
        if token.kind not in kinds:
            expected = kinds[0] if len(kinds) == 1 else list(kinds)
            self.fail(token, f"expected {expected}, got: {token.kind}")
        self.index += 1

    def fail(self, token: Token, message: str) -> NoReturn:
        """Raise the error for ``token``; at the end of the text, every error is the one of an incomplete text."""
        if token.kind == "eof":
            raise ExpressionError(INCOMPLETE, self.text, len(self.text))
        raise ExpressionError(message, self.text, token.start)

    _LEDS: dict[str, Callable[[_Parser, Node, Token], Node]] = {
        "dot": led_dot, "pipe": led_pipe, "or": led_or, "and": led_and, "lparen": led_lparen,
        "filter": led_filter, "flatten": led_flatten, "lbracket": led_lbracket, "question": led_question,
        **dict.fromkeys(_COMPARATORS, led_comparator), **dict.fromkeys(_ARITHMETIC, led_arithmetic),
    }


def _field(name: str) -> Node:
    return {"type": "field", "children": [], "value": name}


def _identity() -> Node:
    return {"type": "identity", "children": []}
