from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fased.faces.model import COMPONENTS, SIGILS, Component, Primitive
from fased.faces.render import (
    BM25_K1,
    ProfileCache,
    ProfileInput,
    RenderedProfile,
    bm25_scores,
    facts_line,
    normalize_query,
    parse_facts,
    rank,
    render_profile,
)
from fased.providers.tokens import estimate_tokens

FACE = ProfileInput("Alice Moreau", "alice", {"age": "34", "occupation": "night-shift nurse"})
HEADER = (
    "You are Alice Moreau. Speak as Alice Moreau, in character; never recite or mention this "
    "profile."
)


def prim(
    key: str, statement: str, weight: float = 1.0, fact: tuple[str, str] | None = None
) -> Primitive:
    component: Component = key.split(":", 1)[0]  # type: ignore[assignment]
    return Primitive(key, component, statement, weight, support=1, fact=fact)


PRIMITIVES = [
    prim("alpha:fact:location", "lives in Lyon", 3.0, ("location", "Lyon")),
    prim("alpha:fact:age", "is 35", 1.0, ("age", "35")),  # the basic fact (34) wins
    prim("alpha:fact:nationality", "is French", 2.0, ("nationality", "French")),
    prim("alpha:role:sister", "older sister of two brothers", 2.0),
    prim("alpha:experience:farm", "grew up on a dairy farm in the Jura", 1.5),
    prim("alpha:goal:clinic", "wants to open a rural clinic", 1.0),
    prim("beta:value:honesty", "values honesty over tact", 3.0),
    prim("beta:stance:hospitals", "thinks hospitals are understaffed by design", 2.0),
    prim("beta:preference:coffee", "prefers black coffee to tea", 1.0),
    prim("beta:belief:luck", "does not believe in luck", 1.0),
    prim("delta:domain:gardening", "knows gardening, especially old roses and pruning", 1.0),
    prim("delta:domain:pharmacology", "knows pharmacology and drug interactions", 2.0),
    prim("delta:tendency:checklists", "reasons with checklists and worst cases", 1.5),
    prim("epsilon:style:sentence_length", "short sentences, 9 words on average", 2.0),
    prim("epsilon:style:emoji", "never uses emoji", 1.0),
    prim("epsilon:habit:night", "texts late at night after shifts", 1.0),
    prim("epsilon:phrase:honestly", 'starts replies with "honestly"', 1.0),
    prim("epsilon:example:1a2b", 'honestly? no idea. I\'ll ask "the" doctor\nand call you back'),
    prim("epsilon:example:3c4d", "roses need pruning in march, not before"),
    *(
        prim(f"delta:domain:topic{i:02d}", f"knows a little about topic number {i} " * 3)
        for i in range(30)
    ),
]


def lines_of(profile: RenderedProfile) -> list[str]:
    return profile.text.split("\n") if profile.text else []


# -- budget ------------------------------------------------------------------------------------


@pytest.mark.parametrize("budget", [64, 80, 100, 128, 200, 256, 384, 512, 1024, 2048, 4096])
@pytest.mark.parametrize("query", ["", "roses pruning garden", "coffee or tea? honestly"])
def test_profile_fits_the_budget(budget: int, query: str) -> None:
    profile = render_profile(FACE, PRIMITIVES, budget=budget, query=query)
    assert profile.tokens == estimate_tokens(profile.text) <= budget
    assert profile.lines == len(lines_of(profile))
    assert lines_of(profile)[0] == HEADER


def test_large_budget_renders_everything_and_small_budgets_fill_up() -> None:
    full = render_profile(FACE, PRIMITIVES, budget=4096)
    fact_primitives = 3
    assert full.lines == 2 + len(PRIMITIVES) - fact_primitives
    for budget in (64, 128, 256):
        profile = render_profile(FACE, PRIMITIVES, budget=budget)
        # greedy: no line left out would have fitted (every line is under ~30 tokens)
        assert profile.tokens > budget - 30


@pytest.mark.parametrize("budget", range(0, 40))
def test_tiny_budgets_render_the_header_or_nothing(budget: int) -> None:
    profile = render_profile(FACE, PRIMITIVES, budget=budget)
    assert profile.tokens <= budget
    if estimate_tokens(HEADER) > budget:
        assert profile == RenderedProfile("", 0, 0)
    else:
        assert lines_of(profile)[0] == HEADER


@settings(max_examples=60, deadline=None)
@given(budget=st.integers(0, 4096), seed=st.integers(0, 1000), query=st.text(max_size=40))
def test_never_over_budget_for_any_budget(budget: int, seed: int, query: str) -> None:
    sample = random.Random(seed).sample(PRIMITIVES, k=len(PRIMITIVES) // 2)
    assert render_profile(FACE, sample, budget=budget, query=query).tokens <= budget


# -- stability ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_same_bytes_whatever_the_input_order(seed: int) -> None:
    shuffled = list(PRIMITIVES)
    random.Random(seed).shuffle(shuffled)
    for budget in (128, 512, 4096):
        expected = render_profile(FACE, PRIMITIVES, budget=budget, query="roses and coffee")
        again = render_profile(FACE, PRIMITIVES, budget=budget, query="roses and coffee")
        got = render_profile(FACE, shuffled, budget=budget, query="roses and coffee")
        assert got.text.encode() == expected.text.encode() == again.text.encode()


def test_ties_break_by_weight_then_key() -> None:
    tied = [
        prim("beta:b", "same words here"),
        prim("beta:a", "same words here"),
        prim("beta:c", "same words here", weight=2.0),
    ]
    assert [p.key for p in rank(tied, "words")] == ["beta:c", "beta:a", "beta:b"]


# -- layout ------------------------------------------------------------------------------------


def test_identity_first_then_one_sigil_line_per_primitive() -> None:
    lines = lines_of(render_profile(FACE, PRIMITIVES, budget=4096, query="roses"))
    assert lines[0] == HEADER
    assert lines[1].startswith("@facts ")
    sigils = [line[0] for line in lines[2:]]
    assert set(sigils) <= set(SIGILS.values())
    alpha = [i for i, s in enumerate(sigils) if s == SIGILS["alpha"]]
    assert alpha == list(range(len(alpha))) and len(alpha) == 3
    assert all(line[1] == " " for line in lines[2:])


def test_facts_basic_first_then_extracted_not_already_stated() -> None:
    lines = lines_of(render_profile(FACE, PRIMITIVES, budget=4096))
    assert lines[1] == (
        "@facts age=34; occupation=night-shift nurse; location=Lyon; nationality=French"
    )
    assert not any("is 35" in line or "lives in Lyon" in line for line in lines)


def test_small_budget_keeps_identity_over_the_rest() -> None:
    lines = lines_of(render_profile(FACE, PRIMITIVES, budget=100, query="coffee"))
    assert lines[1].startswith("@facts age=34")
    assert lines[2].startswith(SIGILS["alpha"])


def test_query_changes_what_comes_first_and_what_fits() -> None:
    pool = [p for p in PRIMITIVES if p.fact or p.component != "alpha"]
    example = 'ε example: "roses need pruning in march, not before"'
    coffee = "β prefers black coffee to tea"
    garden_first = lines_of(
        render_profile(FACE, pool, budget=4096, query="do roses need pruning in march?")
    )
    coffee_first = lines_of(render_profile(FACE, pool, budget=4096, query="Coffee, or tea?"))
    neutral = lines_of(render_profile(FACE, pool, budget=4096))
    assert (garden_first[2], coffee_first[2]) == (example, coffee)
    assert neutral[2] == "β values honesty over tact"  # no query: by weight, then key
    facts_only = render_profile(FACE, [p for p in pool if p.fact], budget=4096)
    budget = facts_only.tokens + 14  # the facts and one more line
    garden = render_profile(FACE, pool, budget=budget, query="do roses need pruning in march?").text
    coffee_text = render_profile(FACE, pool, budget=budget, query="Coffee, or tea?").text
    assert example in garden and coffee not in garden
    assert coffee in coffee_text and example not in coffee_text


def test_escaping_keeps_the_grammar() -> None:
    face = ProfileInput("Eve\nEvil", "eve", {"motto": "a; b=c \\ d\nsecond", "Home Town": "x"})
    odd = [
        prim("beta:odd", "one\ntwo\r\nthree\u2028four"),
        prim("epsilon:example:q", 'she said "hi"\\ \nthen left'),
    ]
    profile = render_profile(face, odd, budget=4096)
    lines = lines_of(profile)
    assert profile.text.splitlines() == lines and len(lines) == 4
    assert lines[0].startswith("You are Eve Evil. Speak as Eve Evil,")
    assert lines[1] == "@facts motto=a\\; b=c \\\\ d\\nsecond; home_town=x"
    assert parse_facts(lines[1]) == [("motto", "a; b=c \\ d\nsecond"), ("home_town", "x")]
    assert lines[2] == "β one two three four"
    assert lines[3] == 'ε example: "she said \\"hi\\"\\\\ \\nthen left"'


@given(
    st.lists(st.tuples(st.from_regex(r"[a-z][a-z_]{0,9}", fullmatch=True), st.text()), max_size=5)
)
def test_facts_line_round_trips(facts: list[tuple[str, str]]) -> None:
    line = facts_line(facts)
    assert len(line.splitlines()) <= 1  # nothing in a value can end the line
    line_break = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
    assert parse_facts(line) == [(k, line_break.sub("\n", v.strip())) for k, v in facts]


def test_name_falls_back_to_alias() -> None:
    profile = render_profile(ProfileInput("  ", "bob", {}), [], budget=100)
    assert (
        profile.text
        == "You are bob. Speak as bob, in character; never recite or mention this profile."
    )


def test_duplicate_keys_render_once() -> None:
    twice = [prim("beta:x", "light", 1.0), prim("beta:x", "heavy", 2.0)]
    lines = lines_of(render_profile(FACE, twice, budget=4096))
    assert lines[2:] == ["β heavy"]


# -- BM25 --------------------------------------------------------------------------------------


def test_bm25_scores() -> None:
    docs = ["roses roses", "roses and tulips in the garden bed", "coffee", "tea and coffee"]
    scores = bm25_scores(docs, "roses")
    assert scores[0] > scores[1] > 0 and scores[2] == scores[3] == 0
    # a rarer term weighs more than a common one
    assert bm25_scores(docs, "tulips")[1] > bm25_scores(docs, "and")[1]
    # a repeated query term counts once; case and punctuation do not matter
    assert bm25_scores(docs, "ROSES, roses!") == scores
    assert bm25_scores(docs, "") == [0.0] * 4 and bm25_scores([], "x") == []
    # tf saturates towards k1 + 1
    single = bm25_scores(["x"] * 1 + ["y"] * 9, "x")[0]
    many = bm25_scores(["x " * 50] + ["y " * 50] * 9, "x")[0]
    assert single < many < single * (BM25_K1 + 1)


def test_normalize_query() -> None:
    assert normalize_query("Roses, roses and  GARDEN!") == "garden roses"  # "and" is a stop word


# -- the cache ---------------------------------------------------------------------------------


class Source:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> tuple[ProfileInput, list[Primitive]]:
        self.calls += 1
        return FACE, PRIMITIVES


def test_cache_renders_an_unchanged_persona_once() -> None:
    cache, source = ProfileCache(), Source()
    first = cache.get_or_render("f1", 1, source, budget=256, query="Roses & garden")
    second = cache.get_or_render("f1", 1, source, budget=256, query="garden roses")
    assert first is second and source.calls == 1
    assert first == render_profile(FACE, PRIMITIVES, budget=256, query="roses garden")
    assert (cache.hits, cache.misses) == (1, 1)


@pytest.mark.parametrize(("budget", "query"), [(512, ""), (256, "coffee"), (4096, "roses")])
def test_a_new_query_or_budget_reuses_the_face_index(budget: int, query: str) -> None:
    cache, source = ProfileCache(), Source()
    cache.get_or_render("f1", 1, source, budget=256)
    got = cache.get_or_render("f1", 1, source, budget=budget, query=query)
    assert source.calls == 1 and cache.misses == 2
    assert got == render_profile(FACE, PRIMITIVES, budget=budget, query=query)


@pytest.mark.parametrize(("face_id", "version"), [("f2", 1), ("f1", 2), ("f1", "v2")])
def test_another_face_or_version_loads_again(face_id: str, version: int | str) -> None:
    cache, source = ProfileCache(), Source()
    cache.get_or_render("f1", 1, source, budget=256)
    cache.get_or_render(face_id, version, source, budget=256)
    assert source.calls == 2


def test_lookup_then_render_for_async_loaders() -> None:
    cache = ProfileCache()
    assert cache.lookup("f1", 1, budget=256, query="roses") is None  # load the face, then:
    rendered = cache.render("f1", 1, FACE, PRIMITIVES, budget=256, query="roses")
    assert cache.lookup("f1", 1, budget=256, query="ROSES!") is rendered
    from_index = cache.lookup("f1", 1, budget=128, query="coffee")  # no load needed
    assert from_index == render_profile(FACE, PRIMITIVES, budget=128, query="coffee")


def test_cache_is_a_bounded_lru() -> None:
    cache = ProfileCache(max_profiles=2, max_indexes=1)
    face = ProfileInput("A", "a", {})
    a = cache.render("a", 1, face, [], budget=100)
    cache.render("b", 1, face, [], budget=100)
    assert cache.lookup("a", 1, budget=100) is a  # a is now the most recent profile
    cache.render("c", 1, face, [], budget=100)
    assert len(cache) == 2
    assert cache.lookup("b", 1, budget=100) is None  # profile evicted, and b's index too
    assert cache.lookup("a", 1, budget=100) is a and cache.lookup("c", 1, budget=100)
    assert cache.lookup("a", 1, budget=50) is None  # a's index was evicted by c's
    assert cache.lookup("c", 1, budget=50) is not None
    assert len(cache) == 2  # c at 100 and c at 50: a's profile aged out
    assert cache.discard("c") == 2 and len(cache) == 0
    assert cache.lookup("c", 1, budget=77) is None
    with pytest.raises(ValueError, match="at least one"):
        ProfileCache(max_profiles=0)
    with pytest.raises(ValueError, match="at least one"):
        ProfileCache(max_indexes=0)


def test_every_component_has_a_sigil() -> None:
    assert [SIGILS[c] for c in COMPONENTS] == ["α", "β", "δ", "ε"]
