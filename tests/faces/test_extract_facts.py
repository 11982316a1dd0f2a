"""Alpha facts: positive and negative examples, first and third person, hedges and negation."""

from __future__ import annotations

import pytest

from fased.faces.compile import facts, family, work
from fased.faces.compile.derive import derive
from fased.faces.compile.registry import ExtractContext
from fased.faces.model import Chunk, Claim, Perspective

FACE = ("Alice Moreira", ("ali",), ("she",))


def extract(text: str, perspective: Perspective = "first-person") -> list[Claim]:
    name, aliases, pronouns = FACE
    context = ExtractContext("doc", "document", perspective, name, aliases, pronouns)
    chunk = Chunk(0, 0, len(text), text)
    return [c for m in (facts, work, family) for c in m.extract(chunk, context)]


def stated(text: str, perspective: Perspective = "first-person") -> set[tuple[str, str]]:
    return {(c.key, c.statement) for c in extract(text, perspective)}


FIRST_PERSON = [
    ("I'm 34.", ("alpha:fact:age", "34 years old")),
    ("I am 34 years old and tired.", ("alpha:fact:age", "34 years old")),
    ("I just turned 40, which hurts.", ("alpha:fact:age", "40 years old")),
    ("I live in Berlin.", ("alpha:fact:location", "lives in Berlin")),
    ("I currently live in New York City with two cats.",
     ("alpha:fact:location", "lives in New York City")),
    ("i live in Leeds lol", ("alpha:fact:location", "lives in Leeds")),
    ("I'm based in Porto.", ("alpha:fact:location", "lives in Porto")),
    ("I've lived in Germany since 2021.", ("alpha:fact:location", "lives in Germany")),
    ("I’m originally from Chennai.", ("alpha:fact:origin", "from Chennai")),
    ("I was born in Lagos, Nigeria.", ("alpha:fact:birthplace", "born in Lagos, Nigeria")),
    ("I grew up in Braga.", ("alpha:fact:hometown", "grew up in Braga")),
    ("I'm Portuguese.", ("alpha:fact:nationality", "Portuguese")),
    ("I speak Portuguese, English and some Spanish.",
     ("alpha:fact:languages", "speaks English, Portuguese, Spanish")),
    ("I'm fluent in German.", ("alpha:fact:languages", "speaks German")),
    ("My name is Alice Moreira.", ("alpha:fact:name", "named Alice Moreira")),
    ("I work as a nurse.", ("alpha:fact:occupation", "nurse")),
    ("I work as a nurse at St. Mary's Hospital.",
     ("alpha:fact:employer", "works at St. Mary's Hospital")),
    ("I'm a senior software engineer at Spotify.",
     ("alpha:fact:occupation", "senior software engineer")),
    ("I'm a senior software engineer at Spotify.", ("alpha:fact:employer", "works at Spotify")),
    ("I work for the Red Cross.", ("alpha:fact:employer", "works at Red Cross")),
    ("I'm retired.", ("alpha:fact:occupation", "retired")),
    ("I studied physics at ETH Zurich.", ("alpha:fact:education", "studied physics at ETH Zurich")),
    ("I have a PhD in machine learning.", ("alpha:fact:degree", "PhD in machine learning")),
    ("I'm married to João.", ("alpha:fact:marital_status", "married to João")),
    ("I am divorced.", ("alpha:fact:marital_status", "divorced")),
    ("My husband makes great bread.", ("alpha:fact:partner", "has a husband")),
    ("I have two kids.", ("alpha:fact:children", "has two kids")),
    ("I have an older sister.", ("alpha:fact:siblings", "has an older sister")),
    ("I'm an only child.", ("alpha:fact:siblings", "no siblings (only child)")),
    ("I have a dog named Pixel.", ("alpha:fact:pets", "has a dog named Pixel")),
    ("My cat Miso sleeps all day.", ("alpha:fact:pets", "has a cat named Miso")),
]  # fmt: skip

THIRD_PERSON = [
    ("Alice is 34.", ("alpha:fact:age", "34 years old")),
    ("Alice Moreira, 34, is a nurse.", ("alpha:fact:age", "34 years old")),
    ("Alice Moreira, 34, is a nurse.", ("alpha:fact:occupation", "nurse")),
    ("She is a 29-year-old climate scientist.", ("alpha:fact:age", "29 years old")),
    ("She is a 29-year-old climate scientist.", ("alpha:fact:occupation", "climate scientist")),
    ("She lives in Lisbon.", ("alpha:fact:location", "lives in Lisbon")),
    ("Alice, a keen cyclist, lives in Utrecht.", ("alpha:fact:location", "lives in Utrecht")),
    ("She is a climate scientist based in Potsdam.", ("alpha:fact:location", "lives in Potsdam")),
    ("She works in Berlin and lives in Potsdam.", ("alpha:fact:location", "lives in Potsdam")),
    ("Alice was born in Porto.", ("alpha:fact:birthplace", "born in Porto")),
    ("She is Nigerian.", ("alpha:fact:nationality", "Nigerian")),
    ("She is 29 and speaks Tamil and English.", ("alpha:fact:languages", "speaks English, Tamil")),
    ("Her name is Alice.", ("alpha:fact:name", "named Alice")),
    ("She is a retired teacher.", ("alpha:fact:occupation", "retired teacher")),
    ("She studied law and holds a master's degree in economics.",
     ("alpha:fact:degree", "master's degree in economics")),
    ("She is a mother of two.", ("alpha:fact:children", "has two children")),
    ("She has a daughter.", ("alpha:fact:children", "has a daughter")),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), FIRST_PERSON)
def test_first_person_fact(text: str, expected: tuple[str, str]) -> None:
    assert expected in stated(text)


@pytest.mark.parametrize(("text", "expected"), THIRD_PERSON)
def test_third_person_fact(text: str, expected: tuple[str, str]) -> None:
    assert expected in stated(text, "third-person")


NOT_FACTS = [
    "I'd live in Berlin if I could.",  # hedged
    "I wish I lived in Berlin.",
    "If I were a doctor I would earn more.",
    "If I were a doctor, I would earn more.",
    "Someday I'm moving to Tokyo.",
    "I don't live in Porto anymore.",  # negated
    "I no longer live in Porto.",
    "I'm not a politician.",
    "I'm not married.",
    "I don't have kids.",
    "Do I live in Berlin?",  # a question
    "Are you from Lisbon?",
    "My sister lives in Paris.",  # another subject
    "My sister has three kids.",
    "I met a man who works at Google and lives in Dublin.",
    "I'm a big fan of jazz.",  # not an occupation
    "I'm a terrible cook.",  # a judgement, not a job
    "I'm a morning person.",
    "I'm 5 minutes away.",  # not an age
    "I'm 100% sure.",
    "I used to live in Berlin.",  # past: an experience, not where I live
]


@pytest.mark.parametrize("text", NOT_FACTS)
def test_not_a_fact(text: str) -> None:
    assert stated(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "Her brother lives in London.",
        "She would move to Lisbon if the office opened.",
        "Alice's sister is a nurse.",
    ],
)
def test_not_a_third_person_fact(text: str) -> None:
    assert stated(text, "third-person") == set()


def test_third_person_subject_is_the_face_not_anyone() -> None:
    # With only "she" as the face's pronoun, "He" is someone else.
    assert stated("He lives in Oslo.", "third-person") == set()
    assert stated("Ali lives in Oslo.", "third-person") == {
        ("alpha:fact:location", "lives in Oslo")
    }


def test_what_the_partner_does_is_not_the_face_s_fact() -> None:
    assert stated("My husband works as an architect.") == {("alpha:fact:partner", "has a husband")}
    assert stated("Her husband says she is a terrible cook.", "third-person") == {
        ("alpha:fact:partner", "has a husband")
    }


def test_facts_carry_name_and_value() -> None:
    claims = extract("I'm 34 and I live in Lisbon, Portugal.")
    assert {c.fact for c in claims} == {("age", "34"), ("location", "Lisbon, Portugal")}


def test_the_most_specific_rule_wins_within_a_sentence() -> None:
    claims = extract("I have a dog named Pixel.")
    assert [(c.statement, c.fact) for c in claims] == [
        ("has a dog named Pixel", ("pets", "a dog (Pixel)"))
    ]


def test_a_later_move_outranks_an_earlier_one() -> None:
    claims = extract("I moved to London in 2012. I moved to Lisbon in 2019.")
    assert [p.statement for p in derive(claims)] == ["lives in Lisbon"]


def test_claims_quote_the_sentence_they_come_from() -> None:
    text = "I grew up in Braga. Dr. Silva says I work as a nurse at Hospital de Santa Maria."
    for claim in extract(text):
        assert text[claim.span[0] : claim.span[1]] == claim.quote
        assert claim.extractor in {"offline:facts", "offline:work", "offline:family"}
        assert claim.document_id == "doc"
        assert 0 < claim.confidence <= 1
    quotes = {c.key: c.quote for c in extract(text)}
    assert quotes["alpha:fact:hometown"] == "I grew up in Braga."
    assert quotes["alpha:fact:employer"] == (
        "Dr. Silva says I work as a nurse at Hospital de Santa Maria."
    )
