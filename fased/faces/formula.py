"""Synthetic faces (SPEC §9): set algebra over other faces' primitives, by canonical key.

Grammar (whitespace between tokens is free)::

    formula := expr END
    expr    := expr OP expr | "(" expr ")" | ALIAS
    OP      := "|" union | "^" symmetric difference | "&" intersection | "-" difference
    ALIAS   := [a-z0-9][a-z0-9_-]{0,63}      (letters are lower-cased first)

Precedence is Python's for sets, tightest first: `-`, then `&`, then `^`, then `|`; every operator
is left-associative. So `a | b & c - d` is `a | (b & (c - d))` and `a - b - c` is `(a - b) - c`:
a formula means what the same expression over Python sets means.

An alias may itself contain `-`, and the longest run of alias characters is one alias: `a-b` is
the face `a-b`; a difference needs a space (`a - b`) or parentheses (`(a)-(b)`).

Semantics over each operand's primitives keyed by `key`: `a | b` every key, a's primitive where
both have it; `a & b` the keys both have, a's primitive; `a - b` a's keys that b lacks; `a ^ b` the
keys exactly one has, with that one's primitive. Basic facts are inherited from the operands in
the order they first appear (left first): the first operand stating a fact wins.

Every failure is a 422 (`Unprocessable`): a syntax error (with its position, 0-based), every
unknown alias at once, an operand that is itself synthetic (formulas don't nest).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from fased.errors import Unprocessable
from fased.faces.model import Primitive

ALIAS_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_FORMULA_LENGTH = 1024
MAX_OPERANDS = 64  # alias occurrences in one formula
MAX_DEPTH = 16  # nested parentheses

Operator = Literal["|", "^", "&", "-"]
PRECEDENCE: dict[Operator, int] = {"|": 1, "^": 2, "&": 3, "-": 4}
_OPERATORS: dict[str, Operator] = {"|": "|", "^": "^", "&": "&", "-": "-"}
_TOKEN = re.compile(r"(?P<alias>[A-Za-z0-9][A-Za-z0-9_-]*)|(?P<op>[|^&-])|(?P<paren>[()])")


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class BinaryOp:
    op: Operator
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


Node = Alias | BinaryOp


TokenKind = Literal["alias", "op", "paren", "end"]
_KINDS: dict[str, TokenKind] = {"alias": "alias", "op": "op", "paren": "paren"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    position: int


# -- parsing ----------------------------------------------------------------------------------


def _syntax_error(source: str, position: int, problem: str) -> Unprocessable:
    return Unprocessable(
        f"Formula syntax error at position {position} in {source!r}: {problem}. "
        "Combine face aliases with | & - ^ and parentheses, e.g. '(alice | bob) - carol'.",
        code="formula_syntax_error",
        param="formula",
    )


def _describe(token: Token) -> str:
    return "the end of the formula" if token.kind == "end" else repr(token.text)


def tokenize(source: str) -> list[Token]:
    """The formula's tokens, ending with an `end` token; aliases lower-cased."""
    tokens: list[Token] = []
    position = 0
    while True:
        while position < len(source) and source[position].isspace():
            position += 1
        if position == len(source):
            return [*tokens, Token("end", "", position)]
        match = _TOKEN.match(source, position)
        if match is None:
            raise _syntax_error(source, position, f"unexpected character {source[position]!r}")
        kind = _KINDS[match.lastgroup or ""]
        text = match.group().lower()
        if kind == "alias" and not ALIAS_PATTERN.fullmatch(text):
            raise _syntax_error(source, position, f"alias {text[:20]!r}… is over 64 characters")
        tokens.append(Token(kind, text, position))
        position = match.end()


class _Parser:
    """Recursive descent with precedence climbing: one `_expr` per binding level."""

    __slots__ = ("_depth", "_index", "_operands", "_source", "_tokens")

    def __init__(self, source: str) -> None:
        self._source = source
        self._tokens = tokenize(source)
        self._index = 0
        self._depth = 0
        self._operands = 0

    def parse(self) -> Node:
        node = self._expr(1)
        end = self._tokens[self._index]
        if end.kind != "end":
            raise self._error(end, "expected an operator (| & - ^)")
        return node

    def _error(self, token: Token, expected: str) -> Unprocessable:
        return _syntax_error(self._source, token.position, f"{expected}, found {_describe(token)}")

    def _expr(self, min_precedence: int) -> Node:
        left = self._atom()
        while (token := self._tokens[self._index]).kind == "op":
            op = _OPERATORS[token.text]
            if PRECEDENCE[op] < min_precedence:
                break
            self._index += 1
            right = self._expr(PRECEDENCE[op] + 1)
            left = BinaryOp(op, left, right, token.position)
        return left

    def _atom(self) -> Node:
        token = self._tokens[self._index]
        self._index += 1
        if token.kind == "alias":
            self._operands += 1
            if self._operands > MAX_OPERANDS:
                raise _syntax_error(self._source, token.position, f"over {MAX_OPERANDS} aliases")
            return Alias(token.text, token.position)
        if token.text != "(":
            raise self._error(token, "expected a face alias or '('")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _syntax_error(self._source, token.position, f"over {MAX_DEPTH} nested '('")
        node = self._expr(1)
        closing = self._tokens[self._index]
        if closing.text != ")":
            raise self._error(
                closing, f"expected ')' to close the '(' at position {token.position}"
            )
        self._index += 1
        self._depth -= 1
        return node


def parse(source: str) -> Node:
    """The formula's syntax tree; `Unprocessable` (422) on any syntax error."""
    if len(source) > MAX_FORMULA_LENGTH:
        raise _syntax_error(
            source[:40] + "…", MAX_FORMULA_LENGTH, f"over {MAX_FORMULA_LENGTH} characters"
        )
    if not source.strip():
        raise _syntax_error(source, 0, "the formula is empty")
    return _Parser(source).parse()


def unparse(node: Node) -> str:
    """Canonical text: single spaces around operators, only the parentheses needed."""
    if isinstance(node, Alias):
        return node.name
    level = PRECEDENCE[node.op]
    left, right = unparse(node.left), unparse(node.right)
    if isinstance(node.left, BinaryOp) and PRECEDENCE[node.left.op] < level:
        left = f"({left})"
    if isinstance(node.right, BinaryOp) and PRECEDENCE[node.right.op] <= level:
        right = f"({right})"
    return f"{left} {node.op} {right}"


def aliases(node: Node) -> tuple[str, ...]:
    """Every alias in the formula, in order of first appearance, once each."""
    if isinstance(node, Alias):
        return (node.name,)
    return tuple(dict.fromkeys((*aliases(node.left), *aliases(node.right))))


# -- evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FaceOperand:
    """What evaluation needs of an operand face; `formula` set means it is itself synthetic."""

    alias: str
    primitives: Sequence[Primitive]
    basic_facts: Mapping[str, str] = field(default_factory=dict)
    formula: str | None = None


@dataclass(frozen=True, slots=True)
class EvaluatedFace:
    """The synthetic face's primitives (sorted by key), inherited facts and operand aliases."""

    primitives: tuple[Primitive, ...]
    basic_facts: dict[str, str]
    operands: tuple[str, ...]


Resolver = Callable[[str], FaceOperand | None]
_KeyedPrimitives = dict[str, Primitive]


def _union(left: _KeyedPrimitives, right: _KeyedPrimitives) -> _KeyedPrimitives:
    return {**right, **left}


def _intersection(left: _KeyedPrimitives, right: _KeyedPrimitives) -> _KeyedPrimitives:
    return {key: value for key, value in left.items() if key in right}


def _difference(left: _KeyedPrimitives, right: _KeyedPrimitives) -> _KeyedPrimitives:
    return {key: value for key, value in left.items() if key not in right}


def _symmetric(left: _KeyedPrimitives, right: _KeyedPrimitives) -> _KeyedPrimitives:
    return {**_difference(left, right), **_difference(right, left)}


_APPLY: dict[Operator, Callable[[_KeyedPrimitives, _KeyedPrimitives], _KeyedPrimitives]] = {
    "|": _union,
    "&": _intersection,
    "-": _difference,
    "^": _symmetric,
}


def _apply(node: Node, operands: Mapping[str, _KeyedPrimitives]) -> _KeyedPrimitives:
    if isinstance(node, Alias):
        return operands[node.name]
    return _APPLY[node.op](_apply(node.left, operands), _apply(node.right, operands))


def resolve_operands(names: Sequence[str], resolve: Resolver) -> dict[str, FaceOperand]:
    """Each alias's face; 422 listing every unknown alias, or every synthetic operand."""
    found = {name: resolve(name) for name in names}
    unknown = [name for name, face in found.items() if face is None]
    if unknown:
        hint = " (a '-' inside a name is part of the alias; write 'a - b' for a difference)"
        raise Unprocessable(
            f"Unknown face alias{'es' if len(unknown) > 1 else ''} in formula: "
            f"{', '.join(unknown)}. Use the aliases of faces you own"
            f"{hint if any('-' in name for name in unknown) else ''}.",
            code="unknown_face",
            param="formula",
        )
    faces = {name: face for name, face in found.items() if face is not None}
    nested = [name for name, face in faces.items() if face.formula]
    if nested:
        raise Unprocessable(
            f"Synthetic faces cannot be nested: {', '.join(nested)} "
            f"{'is' if len(nested) == 1 else 'are'} synthetic. "
            "Use concrete faces only, or write their formula out in full.",
            code="nested_formula",
            param="formula",
        )
    return faces


def evaluate(node: Node, resolve: Resolver) -> EvaluatedFace:
    """The synthetic face `node` describes, over the faces `resolve` returns by alias."""
    names = aliases(node)
    faces = resolve_operands(names, resolve)
    keyed = {name: {p.key: p for p in faces[name].primitives} for name in names}
    result = _apply(node, keyed)
    facts: dict[str, str] = {}
    for name in names:
        for fact, value in faces[name].basic_facts.items():
            facts.setdefault(fact, value)
    return EvaluatedFace(tuple(result[key] for key in sorted(result)), facts, names)


def evaluate_formula(source: str, resolve: Resolver) -> EvaluatedFace:
    """`evaluate(parse(source), resolve)`."""
    return evaluate(parse(source), resolve)
