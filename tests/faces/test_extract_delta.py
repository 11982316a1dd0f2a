"""Knowledge domains (keywords against the built-in background) and reasoning cues."""

from __future__ import annotations

from fased.faces.compile import domains, reasoning
from fased.faces.compile.registry import ExtractContext
from fased.faces.model import Chunk, Claim, Perspective

SYSTEMS = (
    "Daniel has spent his career on distributed systems. Consensus protocols are easy to "
    "describe and hard to get right, and distributed systems fail in creative ways. Every "
    "replication bug teaches him something about consensus protocols and replication lag. "
    "He lives in Stockholm. In Stockholm the winters are long."
)


def run(module: object, text: str, perspective: Perspective = "third-person") -> list[Claim]:
    context = ExtractContext("doc", "document", perspective, "Daniel Okafor", (), ("he",))
    extract = domains.extract if module is domains else reasoning.extract
    return extract(Chunk(0, 0, len(text), text), context)


def test_domains_are_the_repeated_rare_terms() -> None:
    claims = run(domains, SYSTEMS)
    assert [(c.key, c.statement) for c in claims] == [
        ("delta:domain:consensus-protocol", "knows about consensus protocols"),
        ("delta:domain:distributed-system", "knows about distributed systems"),
        ("delta:domain:replication", "knows about replication"),
    ]
    for claim in claims:  # each quotes its first occurrence, as written
        assert SYSTEMS[claim.span[0] : claim.span[1]] == claim.quote
        assert claim.quote.lower() == claim.statement.removeprefix("knows about ")
        assert claim.extractor == "offline:domains"


def test_places_names_everyday_words_and_single_mentions_are_not_domains() -> None:
    keys = {c.key for c in run(domains, SYSTEMS)}
    assert "delta:domain:stockholm" not in keys  # a place ("in Stockholm")
    assert "delta:domain:daniel" not in keys  # the face's name
    assert "delta:domain:winters" not in keys  # said once
    text = "I really love my friends. My friends are really great people, really."
    assert run(domains, text, "first-person") == []  # everyday words only


def test_a_term_inside_a_longer_one_as_frequent_is_dropped() -> None:
    terms = [t for t, _, _ in domains.top_terms(Chunk(0, 0, len(SYSTEMS), SYSTEMS), context())]
    assert "protocol" not in terms
    assert "consensus" not in terms


def context() -> ExtractContext:
    return ExtractContext("doc", "document", "third-person", "Daniel Okafor", (), ("he",))


def test_at_most_five_domains_a_chunk() -> None:
    words = ["kafka", "raft", "paxos", "zookeeper", "etcd", "gossip", "quorum"]
    text = " ".join(f"{w} is hard, {w} is fun." for w in words)
    assert len(run(domains, text, "first-person")) == domains.TOP_TERMS


def test_reasoning_styles_from_cue_phrases() -> None:
    text = (
        "The data shows that staffing matters. On the other hand, budgets are fixed. "
        "We should reason from first principles. Perhaps I'm wrong."
    )
    claims = run(reasoning, text, "first-person")
    assert [(c.key, c.statement, c.quote) for c in claims] == [
        ("delta:reasoning:balanced", "weighs both sides", "On the other hand, budgets are fixed."),
        (
            "delta:reasoning:empirical",
            "reasons from evidence and data",
            "The data shows that staffing matters.",
        ),
        (
            "delta:reasoning:first-principles",
            "reasons from first principles",
            "We should reason from first principles.",
        ),
    ]  # fmt: skip  (one "perhaps" is not yet a tentative style: it takes two cues)


def test_reasoning_confidence_grows_with_cues() -> None:
    once = run(reasoning, "Intuitively, yes.", "first-person")
    thrice = run(reasoning, "Intuitively, yes. My gut says so. I trust my gut.", "first-person")
    assert [c.key for c in once] == [c.key for c in thrice] == ["delta:reasoning:intuitive"]
    assert once[0].confidence < thrice[0].confidence


def test_no_cue_no_reasoning_claim() -> None:
    assert run(reasoning, "I went to the shop and bought bread.", "first-person") == []
