from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fased.errors import Unprocessable
from fased.faces.formula import (
    MAX_DEPTH,
    MAX_FORMULA_LENGTH,
    MAX_OPERANDS,
    Alias,
    BinaryOp,
    EvaluatedFace,
    FaceOperand,
    Resolver,
    aliases,
    evaluate,
    evaluate_formula,
    parse,
    unparse,
)
from fased.faces.model import Component, Primitive

KEYS = [f"{c}:trait:{i}" for c in ("alpha", "beta", "delta", "epsilon") for i in range(4)]


def prim(owner: str, key: str) -> Primitive:
    component: Component = key.split(":", 1)[0]  # type: ignore[assignment]
    return Primitive(key, component, f"{owner} says {key}", weight=1.0, support=1)


def face(alias: str, keys: list[str], **facts: str) -> FaceOperand:
    return FaceOperand(alias, [prim(alias, key) for key in keys], facts)


def resolver(*faces: FaceOperand) -> Resolver:
    table = {f.alias: f for f in faces}
    return table.get


def run(formula: str, *faces: FaceOperand) -> EvaluatedFace:
    return evaluate_formula(formula, resolver(*faces))


key_sets = st.lists(st.sampled_from(KEYS), unique=True, max_size=10)


# -- grammar and precedence -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        ("a|b", "a | b"),
        ("  a |b&c ", "a | b & c"),
        ("a | b & c - d", "a | b & c - d"),
        ("a - b - c", "a - b - c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a | b) & c", "(a | b) & c"),
        ("a ^ b | c", "a ^ b | c"),
        ("a | (b ^ c)", "a | b ^ c"),
        ("((a))", "a"),
        ("Alice | BOB_2", "alice | bob_2"),
    ],
)
def test_parse_and_unparse(source: str, canonical: str) -> None:
    tree = parse(source)
    assert unparse(tree) == canonical
    assert parse(canonical) == tree


def test_precedence_is_pythons_for_sets() -> None:
    # tightest first: -, &, ^, | ; all left-associative
    assert parse("a | b ^ c & d - e") == BinaryOp(
        "|",
        Alias("a"),
        BinaryOp("^", Alias("b"), BinaryOp("&", Alias("c"), BinaryOp("-", Alias("d"), Alias("e")))),
    )
    assert parse("a - b - c") == BinaryOp("-", BinaryOp("-", Alias("a"), Alias("b")), Alias("c"))
    assert parse("a | b | c") == BinaryOp("|", BinaryOp("|", Alias("a"), Alias("b")), Alias("c"))


def test_a_hyphen_inside_a_name_is_part_of_the_alias() -> None:
    assert parse("a-b") == Alias("a-b")
    assert parse("a - b") == BinaryOp("-", Alias("a"), Alias("b"))
    assert parse("(a)-(b)") == BinaryOp("-", Alias("a"), Alias("b"))
    assert parse("mary-jane -bob") == BinaryOp("-", Alias("mary-jane"), Alias("bob"))


def test_positions_are_recorded() -> None:
    tree = parse("ab | (cd)")
    assert isinstance(tree, BinaryOp)
    assert (tree.position, tree.left, tree.right) == (3, Alias("ab"), Alias("cd"))
    assert isinstance(tree.right, Alias) and tree.right.position == 6


def test_aliases_in_order_of_first_appearance() -> None:
    assert aliases(parse("c | (a & c) - b ^ a")) == ("c", "a", "b")


# A formula as text, parenthesised at random, over the aliases a, b, c.
formulas = st.recursive(
    st.sampled_from(["a", "b", "c"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["|", "&", "-", "^"]), inner).map(" ".join),
        inner.map(lambda text: f"({text})"),
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(formula=formulas, a=key_sets, b=key_sets, c=key_sets)
def test_keys_are_what_python_sets_give(
    formula: str, a: list[str], b: list[str], c: list[str]
) -> None:
    # Python evaluates the same text over sets: an independent check of precedence too
    expected = eval(formula, {}, {"a": set(a), "b": set(b), "c": set(c)})
    result = run(formula, face("a", a), face("b", b), face("c", c))
    assert [p.key for p in result.primitives] == sorted(expected)
    assert parse(unparse(parse(formula))) == parse(formula)


# -- the laws ----------------------------------------------------------------------------------


@given(a=key_sets)
def test_union_with_itself_is_itself(a: list[str]) -> None:
    alice = face("a", a)
    assert run("a | a", alice).primitives == tuple(sorted(alice.primitives, key=lambda p: p.key))
    assert run("a & a", alice).primitives == run("a", alice).primitives


@given(a=key_sets)
def test_difference_with_itself_is_empty(a: list[str]) -> None:
    assert run("a - a", face("a", a)).primitives == ()
    assert run("a ^ a", face("a", a)).primitives == ()


@given(a=key_sets, b=key_sets)
def test_symmetric_difference_is_both_differences(a: list[str], b: list[str]) -> None:
    faces = face("a", a), face("b", b)
    assert run("a ^ b", *faces).primitives == run("(a - b) | (b - a)", *faces).primitives


@given(a=key_sets, b=key_sets)
def test_intersection_is_part_of_the_left(a: list[str], b: list[str]) -> None:
    alice = face("a", a)
    result = run("a & b", alice, face("b", b)).primitives
    assert set(result) <= set(alice.primitives)
    assert {p.key for p in result} == set(a) & set(b)


@given(a=key_sets, b=key_sets)
def test_union_takes_the_left_statement_on_conflict(a: list[str], b: list[str]) -> None:
    faces = face("a", a), face("b", b)
    left, right = run("a | b", *faces), run("b | a", *faces)
    assert [p.key for p in left.primitives] == [p.key for p in right.primitives]
    for mine, theirs in zip(left.primitives, right.primitives, strict=True):
        owner = "a" if mine.key in a else "b"
        assert mine.statement == f"{owner} says {mine.key}"
        assert theirs.statement == f"{'b' if theirs.key in b else 'a'} says {theirs.key}"


def test_conflict_precedence_concretely() -> None:
    faces = face("alice", ["beta:value:honesty"]), face("bob", ["beta:value:honesty"])
    assert run("alice | bob", *faces).primitives[0].statement == "alice says beta:value:honesty"
    assert run("bob | alice", *faces).primitives[0].statement == "bob says beta:value:honesty"
    assert run("bob & alice", *faces).primitives[0].statement == "bob says beta:value:honesty"


def test_facts_are_inherited_left_first() -> None:
    alice = face("alice", [], age="30", city="Lyon")
    bob = face("bob", [], age="41", job="baker")
    result = run("bob - alice | alice", alice, bob)
    assert result.basic_facts == {"age": "41", "job": "baker", "city": "Lyon"}
    assert list(result.basic_facts) == ["age", "job", "city"]
    assert result.operands == ("bob", "alice")


# -- every 422 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "position", "says"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("a |", 3, "expected a face alias or '(', found the end of the formula"),
        ("| a", 0, "expected a face alias or '(', found '|'"),
        ("a b", 2, "expected an operator"),
        ("(a | b", 6, "expected ')' to close the '(' at position 0"),
        ("a | b)", 5, "expected an operator (| & - ^), found ')'"),
        ("()", 1, "found ')'"),
        ("a + b", 2, "unexpected character '+'"),
        ("a | ${b}", 4, "unexpected character '$'"),
        ("a || b", 3, "found '|'"),
        ("_a", 0, "unexpected character '_'"),
        ("a | " + "x" * 65, 4, "over 64 characters"),
        ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), MAX_DEPTH, "nested"),
        (" | ".join(["a"] * (MAX_OPERANDS + 1)), MAX_OPERANDS * 4, f"over {MAX_OPERANDS} aliases"),
        ("a" * (MAX_FORMULA_LENGTH + 1), MAX_FORMULA_LENGTH, "characters"),
    ],
)
def test_syntax_errors_are_422_with_position(source: str, position: int, says: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        parse(source)
    error = caught.value
    assert (error.status, error.code, error.param) == (422, "formula_syntax_error", "formula")
    assert f"at position {position}" in error.message
    assert says in error.message


def test_limits_still_allow_reasonable_formulas() -> None:
    deep = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert parse(deep) == Alias("a")
    assert len(aliases(parse(" | ".join(f"f{i}" for i in range(MAX_OPERANDS))))) == MAX_OPERANDS


def test_every_unknown_alias_is_listed() -> None:
    with pytest.raises(Unprocessable) as caught:
        run("(ghost | alice) - nobody & ghost", face("alice", []))
    error = caught.value
    assert (error.status, error.code) == (422, "unknown_face")
    assert "ghost, nobody" in error.message and "alice" not in error.message


def test_unknown_hyphenated_alias_hints_at_spaces() -> None:
    with pytest.raises(Unprocessable, match="write 'a - b'"):
        run("alice-bob", face("alice", []), face("bob", []))


def test_nesting_a_synthetic_face_is_422() -> None:
    mix = FaceOperand("mix", [], formula="alice | bob")
    other = FaceOperand("other", [], formula="alice")
    with pytest.raises(Unprocessable) as caught:
        run("alice | mix | other", face("alice", []), mix, other)
    error = caught.value
    assert (error.status, error.code) == (422, "nested_formula")
    assert "mix, other are synthetic" in error.message


def test_resolve_is_asked_once_per_alias() -> None:
    asked: list[str] = []

    def resolve(alias: str) -> FaceOperand | None:
        asked.append(alias)
        return face(alias, [KEYS[0]])

    evaluate(parse("a | a & b - a"), resolve)
    assert asked == ["a", "b"]
