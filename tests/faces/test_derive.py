"""`derive`: a pure function of the multiset of claims (SPEC §8.1)."""

from __future__ import annotations

import json
import random
from dataclasses import asdict, replace

from fased.faces.compile.derive import derive, weight
from fased.faces.compile.keys import component_of
from fased.faces.model import Claim, Component, Primitive

KEYS: list[tuple[Component, str]] = [
    ("alpha", "alpha:fact:location"), ("alpha", "alpha:fact:age"), ("beta", "beta:pref:jazz"),
    ("beta", "beta:value:honesty"), ("delta", "delta:domain:triage"),
    ("epsilon", "epsilon:style:sentence_length"), ("epsilon", "epsilon:habit:run"),
]  # fmt: skip
STATEMENTS = ["lives in Lisbon", "lives in Porto", "34 years old", "loves jazz", "dislikes jazz"]
CONFIDENCES = [0.1, 0.2, 0.3, 0.55, 0.7, 0.85, 0.9]  # sums of these are order-sensitive in floats


def claim(
    key: str = "alpha:fact:location",
    statement: str = "lives in Lisbon",
    confidence: float = 0.9,
    document_id: str = "doc_a",
    chunk_index: int = 0,
    span: tuple[int, int] = (0, 10),
    fact: tuple[str, str] | None = None,
) -> Claim:
    return Claim(
        key=key,
        component=component_of(key),
        statement=statement,
        quote="q" * (span[1] - span[0]),
        span=span,
        chunk_index=chunk_index,
        extractor="offline:test",
        confidence=confidence,
        document_id=document_id,
        fact=fact,
    )


def random_claims(rng: random.Random, count: int, documents: list[str]) -> list[Claim]:
    claims = []
    for _ in range(count):
        _, key = rng.choice(KEYS)
        start = rng.randrange(0, 50)
        statement = rng.choice(STATEMENTS)
        claims.append(
            claim(
                key,
                statement,
                rng.choice(CONFIDENCES),
                rng.choice(documents),
                rng.randrange(0, 3),
                (start, start + rng.randrange(1, 20)),
                ("location", statement) if key == "alpha:fact:location" else None,
            )
        )
    return claims


def dump(primitives: list[Primitive]) -> bytes:
    return json.dumps([asdict(p) for p in primitives], ensure_ascii=False).encode()


def test_one_primitive_per_key_with_the_most_confident_statement() -> None:
    claims = [
        claim(statement="lives in Porto", confidence=0.9, document_id="doc_b"),
        claim(statement="lives in Lisbon", confidence=0.7, document_id="doc_a"),
        claim(statement="lives in Lisbon", confidence=0.7, document_id="doc_c", chunk_index=2),
    ]
    [primitive] = derive(claims)
    assert primitive.statement == "lives in Lisbon"  # 1.4 summed beats 0.9
    assert primitive.support == 2
    assert primitive.sources == ("doc_a", "doc_b", "doc_c")  # every document on the key
    assert primitive.component == "alpha"
    assert primitive.weight == weight(1.4, 2.3)


def test_a_tie_goes_to_the_first_statement_in_order() -> None:
    claims = [claim(statement="lives in Porto"), claim(statement="lives in Lisbon")]
    assert derive(claims)[0].statement == "lives in Lisbon"
    assert derive(list(reversed(claims)))[0].statement == "lives in Lisbon"


def test_the_fact_comes_from_the_winning_claims() -> None:
    claims = [
        claim(statement="lives in Porto", confidence=0.5, fact=("location", "Porto")),
        claim(statement="lives in Lisbon", confidence=0.9, fact=("location", "Lisbon")),
        claim(statement="lives in Lisbon", confidence=0.1, fact=None),
    ]
    assert derive(claims)[0].fact == ("location", "Lisbon")
    assert derive([claim(key="beta:pref:jazz", statement="loves jazz")])[0].fact is None


def test_weight_grows_with_support_and_falls_with_conflict() -> None:
    assert weight(0.9, 0.9) == 0.4641  # 1 − ½^0.9
    assert weight(1.8, 1.8) == 0.7128
    assert weight(2.7, 2.7) == 0.8461
    assert weight(0.9, 1.8) == 0.2321  # the same evidence, half of it against
    assert weight(0.0, 0.0) == 0.0
    single = derive([claim()])[0].weight
    double = derive([claim(), claim(document_id="doc_b")])[0].weight
    contested = derive([claim(), claim(statement="lives in Porto", confidence=0.5)])[0].weight
    assert contested < single < double < 1


def test_output_is_sorted_by_component_then_weight_then_key() -> None:
    claims = [
        claim("epsilon:habit:run", "every morning: run", 0.9),
        claim("beta:pref:jazz", "loves jazz", 0.5),
        claim("beta:value:honesty", "values honesty", 0.9),
        claim("alpha:fact:age", "34 years old", 0.5),
        claim("alpha:fact:location", "lives in Lisbon", 0.5),
        claim("delta:domain:triage", "knows about triage", 0.3),
    ]
    assert [p.key for p in derive(claims)] == [
        "alpha:fact:age", "alpha:fact:location", "beta:value:honesty", "beta:pref:jazz",
        "delta:domain:triage", "epsilon:habit:run",
    ]  # fmt: skip


def test_nothing_in_nothing_out() -> None:
    assert derive([]) == []
    assert derive(iter([])) == []


def test_order_does_not_matter() -> None:
    rng = random.Random(5)
    for _ in range(200):
        claims = random_claims(rng, rng.randrange(1, 40), ["doc_a", "doc_b", "doc_c"])
        expected = dump(derive(claims))
        for _ in range(5):
            shuffled = claims[:]
            rng.shuffle(shuffled)
            assert dump(derive(shuffled)) == expected


def test_removing_a_document_gives_what_compiling_without_it_gives() -> None:
    rng = random.Random(8)
    for _ in range(200):
        a = random_claims(rng, rng.randrange(0, 30), ["doc_a", "doc_c"])
        b = random_claims(rng, rng.randrange(1, 30), ["doc_b"])
        both = a + b
        rng.shuffle(both)
        with_b = derive(both)
        without_b = derive([c for c in both if c.document_id != "doc_b"])
        assert dump(without_b) == dump(derive(a))
        # Keys B never touched keep exactly their primitive.
        touched = {c.key for c in b}
        untouched = {p.key: p for p in derive(a) if p.key not in touched}
        assert {p.key: p for p in with_b if p.key not in touched} == untouched


def test_duplicated_claims_count_as_evidence_and_derive_is_repeatable() -> None:
    claims = random_claims(random.Random(3), 25, ["doc_a"])
    assert derive(claims) == derive(claims)
    doubled = derive(claims + [replace(c, document_id="doc_z") for c in claims])
    assert {p.key for p in doubled} == {p.key for p in derive(claims)}
    assert all(p.support % 2 == 0 for p in doubled)
