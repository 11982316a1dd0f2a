"""Alpha roles, relationships, experiences and goals; epsilon habits."""

from __future__ import annotations

import pytest

from fased.faces.compile import habits, identity
from fased.faces.compile.registry import ExtractContext, SourceKind
from fased.faces.model import Chunk, Perspective


def stated(
    text: str,
    perspective: Perspective = "first-person",
    kind: SourceKind = "document",
    module: object = identity,
) -> set[tuple[str, str]]:
    context = ExtractContext("doc", kind, perspective, "Daniel Okafor", ("dan",), ("he",))
    extract = habits.extract if module is habits else identity.extract
    return {(c.key, c.statement) for c in extract(Chunk(0, 0, len(text), text), context)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("As a mother of two, I worry a lot.", ("alpha:role:mother-two", "mother of two")),
        ("I'm the founder of the Lisbon Running Club.",
         ("alpha:role:founder-lisbon-running-club", "founder of the Lisbon Running Club")),
        ("I volunteer at the food bank.", ("alpha:role:volunteer", "volunteers at the food bank")),
        ("My sister Inês lives in Paris.", ("alpha:relationship:sister", "sister Inês")),
        ("My best friend, Sam, is a chef.", ("alpha:relationship:best-friend", "best friend Sam")),
        ("I've been nursing for eleven years.",
         ("alpha:experience:nursing", "has been nursing for eleven years")),
        ("I have been a teacher for over 20 years.",
         ("alpha:experience:teacher", "has been a teacher for over 20 years")),
        ("I have supervised theses for twenty years.",
         ("alpha:experience:supervised-theses", "has supervised theses for twenty years")),
        ("I spent three years in Japan.",
         ("alpha:experience:japan", "spent three years in Japan")),
        ("I used to live in Berlin.", ("alpha:experience:live-berlin", "used to live in Berlin")),
        ("My goal is to run a marathon before I turn forty.",
         ("alpha:goal:run-marathon", "goal: run a marathon")),
        ("I hope to lead my own research group one day.",
         ("alpha:goal:lead-research-group", "goal: lead my own research group")),
        ("I also want to learn German someday.", ("alpha:goal:learn-german", "goal: learn German")),
        ("I'd love to open a bakery.", ("alpha:goal:open-bakery", "goal: open a bakery")),
    ],
)  # fmt: skip
def test_identity(text: str, expected: tuple[str, str]) -> None:
    assert expected in stated(text)


def test_identity_in_third_person() -> None:
    text = (
        "Daniel has been writing software for almost twenty years. His goal is to start a "
        "coding school in Lagos. He used to play the trumpet. His daughter Ada loves jazz."
    )
    assert stated(text, "third-person") == {
        ("alpha:experience:writing-software", "has been writing software for almost twenty years"),
        ("alpha:goal:start-coding-school-lagos", "goal: start a coding school in Lagos"),
        ("alpha:experience:play-trumpet", "used to play the trumpet"),
        ("alpha:relationship:daughter", "daughter Ada"),
    }


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to move.",  # a negated goal
        "As a result, I stayed home.",  # not a role
        "Do I want to learn German?",
        "My sister wants to learn German.",
    ],
)
def test_not_identity(text: str) -> None:
    assert stated(text) == set()


def test_a_bare_want_is_a_goal_in_documents_only() -> None:
    assert stated("I want to learn German.") == {("alpha:goal:learn-german", "goal: learn German")}
    assert stated("Dan: I want to grab pizza.", kind="thread") == set()
    assert stated("Dan: My goal is to learn German.", kind="thread") == {
        ("alpha:goal:learn-german", "goal: learn German")
    }


@pytest.mark.parametrize(
    ("text", "perspective", "expected"),
    [
        ("Every morning I run along the river before my shift.", "first-person",
         ("epsilon:habit:run-river", "every morning: run along the river")),
        ("I usually cook dinner for the kids.", "first-person",
         ("epsilon:habit:cook-dinner-kids", "usually: cook dinner for the kids")),
        ("I never drink coffee after noon.", "first-person",
         ("epsilon:habit:drink-coffee-noon", "never: drink coffee after noon")),
        ("I go swimming twice a week.", "first-person",
         ("epsilon:habit:go-swimming", "twice a week: go swimming")),
        ("My morning routine starts with stretching.", "first-person",
         ("epsilon:habit:stretching", "morning routine: stretching")),
        ("If it rains, I usually take the tram.", "first-person",
         ("epsilon:habit:take-tram", "usually: take the tram")),
        ("Every Saturday he plays football with friends.", "third-person",
         ("epsilon:habit:play-football-friends", "every saturday: play football with friends")),
        ("He always reviews code before lunch.", "third-person",
         ("epsilon:habit:review-code-lunch", "always: review code before lunch")),
        ("On Sundays Dan watches old films.", "third-person",
         ("epsilon:habit:watch-old-films", "on sundays: watch old films")),
    ],
)  # fmt: skip
def test_habit(text: str, perspective: Perspective, expected: tuple[str, str]) -> None:
    assert stated(text, perspective, module=habits) == {expected}


@pytest.mark.parametrize(
    "text",
    [
        "I always thought I'd be a teacher.",  # a state of mind
        "I never knew her.",
        "I don't usually eat breakfast.",
        "Most days I still love it.",
        "On Sundays we visit my parents.",  # "we", not the face alone
        "Every morning my husband runs.",
    ],
)
def test_not_a_habit(text: str) -> None:
    assert stated(text, module=habits) == set()
