"""Preferences, values and beliefs (beta): polarity, lists, hedges, negation, keys."""

from __future__ import annotations

import pytest

from fased.faces.compile import preferences
from fased.faces.compile.registry import ExtractContext, SourceKind
from fased.faces.model import Chunk, Perspective


def stated(
    text: str, perspective: Perspective = "first-person", kind: SourceKind = "document"
) -> set[tuple[str, str]]:
    context = ExtractContext("doc", kind, perspective, "Daniel Okafor", ("dan",), ("he",))
    claims = preferences.extract(Chunk(0, 0, len(text), text), context)
    return {(c.key, c.statement) for c in claims}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love hiking.", {("beta:pref:hiking", "loves hiking")}),
        ("I really like jazz.", {("beta:pref:jazz", "likes jazz")}),
        ("I enjoy baking bread with my kids.", {("beta:pref:baking-bread", "likes baking bread")}),
        ("I love to cook.", {("beta:pref:cook", "loves to cook")}),
        ("I don't like crowded beaches.",
         {("beta:pref:crowded-beaches", "dislikes crowded beaches")}),
        ("I hate traffic.", {("beta:pref:traffic", "hates traffic")}),
        ("I can't stand cold weather, which is awkward.",
         {("beta:pref:cold-weather", "hates cold weather")}),
        ("I prefer trains over planes.", {("beta:pref:trains", "prefers trains over planes")}),
        ("I'm a big fan of the Beatles.", {("beta:pref:beatles", "likes the Beatles")}),
        ("My favourite city is Porto.", {("beta:pref:porto", "favourite city: Porto")}),
        ("I love hiking, cooking and jazz.", {
            ("beta:pref:hiking", "loves hiking"), ("beta:pref:cooking", "loves cooking"),
            ("beta:pref:jazz", "loves jazz"),
        }),
        ("I love the flat 😍", {("beta:pref:flat", "loves the flat")}),
    ],
)  # fmt: skip
def test_preference(text: str, expected: set[tuple[str, str]]) -> None:
    assert stated(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'd love to visit Japan.",  # a wish
        "If I liked coffee I would drink it.",
        "I don't hate mornings.",  # negated dislike: no stance
        "I love you.",  # not an object of taste
        "I love it when that happens.",
        "I like to think that I'm patient.",
        "Do you like jazz?",
        "Do I like jazz?",
        "My wife loves jazz.",
    ],
)
def test_not_a_preference(text: str) -> None:
    assert stated(text) == set()


def test_a_second_predicate_is_not_a_list_item() -> None:
    assert stated("He loves jazz and cares deeply about open source.", "third-person") == {
        ("beta:pref:jazz", "loves jazz"),
        ("beta:value:open-source", "values open source"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I value honesty above everything.", {("beta:value:honesty", "values honesty")}),
        ("What matters most to me is honesty.", {("beta:value:honesty", "values honesty")}),
        ("I care a lot about fairness.", {("beta:value:fairness", "values fairness")}),
        ("Family is everything to me.", {("beta:value:family", "values family")}),
        ("I believe in hard work.", {("beta:value:hard-work", "believes in hard work")}),
        ("I value patience, kindness and courage.", {
            ("beta:value:patience", "values patience"), ("beta:value:kindness", "values kindness"),
            ("beta:value:courage", "values courage"),
        }),
        ("He values rigour.", set()),  # first person: "He" is not the face
    ],
)  # fmt: skip
def test_value(text: str, expected: set[tuple[str, str]]) -> None:
    assert stated(text) == expected


def test_values_in_third_person() -> None:
    assert stated("Dan values rigour and curiosity.", "third-person") == {
        ("beta:value:rigour", "values rigour"),
        ("beta:value:curiosity", "values curiosity"),
    }
    assert stated("What matters most to him is loyalty.", "third-person") == {
        ("beta:value:loyalty", "values loyalty")
    }


def test_beliefs_key_on_their_topic_so_a_doubt_meets_its_belief() -> None:
    believes = stated("I think that remote work is more productive.")
    doubts = stated("I don't think remote work is more productive.")
    assert believes == {
        ("beta:belief:remote-work-productive", "believes remote work is more productive")
    }
    assert doubts == {
        ("beta:belief:remote-work-productive", "doubts that remote work is more productive")
    }


@pytest.mark.parametrize(
    ("text", "statement"),
    [
        ("In my opinion, small teams ship better software.",
         "believes small teams ship better software"),
        ("He believes that small teams ship better software.",
         "believes small teams ship better software"),
    ],
)  # fmt: skip
def test_belief(text: str, statement: str) -> None:
    perspective: Perspective = "third-person" if text.startswith("He") else "first-person"
    assert {s for _, s in stated(text, perspective)} == {statement}


@pytest.mark.parametrize(
    "text",
    [
        "I think I'll go to bed.",  # about oneself: a plan
        "I think so.",  # too short to be a belief
        "I feel tired today.",
        "Do you think that the bus is late?",
    ],
)
def test_not_a_belief(text: str) -> None:
    assert stated(text) == set()
