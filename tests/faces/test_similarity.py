from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fased.faces.model import COMPONENTS, Component, Primitive
from fased.faces.similarity import (
    COMPONENT_WEIGHTS,
    FaceDocument,
    bucket,
    component_similarity,
    diff,
    neighbors,
    similarity,
    vectorize,
)


def prim(key: str, statement: str, fact: tuple[str, str] | None = None) -> Primitive:
    component: Component = key.split(":", 1)[0]  # type: ignore[assignment]
    return Primitive(key, component, statement, weight=1.0, support=1, fact=fact)


ALICE = FaceDocument(
    "alice",
    [
        prim("alpha:fact:location", "lives in Lyon", ("location", "Lyon")),
        prim("alpha:role:nurse", "works night shifts as a nurse"),
        prim("beta:value:honesty", "values honesty over tact"),
        prim("beta:preference:coffee", "prefers black coffee to tea"),
        prim("delta:domain:pharmacology", "knows pharmacology and drug interactions"),
        prim("epsilon:style:sentence_length", "short sentences"),
        prim("epsilon:example:1", "honestly? no idea, I'll ask the doctor"),
    ],
    {"age": "34"},
)
ALICE_TWIN = FaceDocument("twin", ALICE.primitives, ALICE.basic_facts)
ALICE_LIKE = FaceDocument(
    "alike",
    [
        prim("alpha:role:nurse", "works day shifts as a nurse"),
        prim("beta:value:honesty", "values honesty above kindness"),
        prim("delta:domain:pharmacology", "knows pharmacology"),
        prim("epsilon:style:sentence_length", "short sentences, few words"),
    ],
    {"age": "36"},
)
BOB = FaceDocument(
    "bob",
    [
        prim("alpha:role:baker", "runs a bakery in Brest"),
        prim("beta:value:tradition", "cherishes tradition and family recipes"),
        prim("delta:domain:chemistry", "understands fermentation chemistry"),
        prim("epsilon:style:exclamations", "exclaims a lot!!!"),
    ],
    {"age": "61"},
)
EMPTY = FaceDocument("empty", [])


def test_a_face_is_fully_similar_to_itself() -> None:
    result = similarity(ALICE, ALICE_TWIN)
    assert result.components == {"alpha": 1.0, "beta": 1.0, "delta": 1.0, "epsilon": 1.0}
    assert result.overall == 1.0


def test_empty_components_score_zero() -> None:
    only_values = FaceDocument("v", [prim("beta:value:honesty", "values honesty")])
    assert component_similarity(only_values, only_values) == {
        "alpha": 0.0,
        "beta": 1.0,
        "delta": 0.0,
        "epsilon": 0.0,
    }
    # a component neither face has does not count against the overall score
    assert similarity(only_values, only_values).overall == 1.0
    assert similarity(EMPTY, EMPTY).overall == 0.0
    assert similarity(ALICE, EMPTY).components == dict.fromkeys(COMPONENTS, 0.0)


def test_similarity_is_symmetric_and_ranks_sensibly() -> None:
    for a, b in [(ALICE, BOB), (ALICE, ALICE_LIKE), (BOB, ALICE_LIKE)]:
        assert similarity(a, b) == similarity(b, a)
    like, unlike = similarity(ALICE, ALICE_LIKE), similarity(ALICE, BOB)
    assert 0 < unlike.overall < like.overall < 1
    assert all(like.components[c] > unlike.components[c] for c in COMPONENTS)


def test_overall_is_the_weighted_mean_of_present_components() -> None:
    result = similarity(ALICE, ALICE_LIKE)
    expected = sum(COMPONENT_WEIGHTS[c] * result.components[c] for c in COMPONENTS)
    assert result.overall == pytest.approx(expected / sum(COMPONENT_WEIGHTS.values()), abs=1e-6)
    assert sum(COMPONENT_WEIGHTS.values()) == pytest.approx(1.0)


def test_primitive_order_does_not_matter() -> None:
    reversed_alice = FaceDocument("r", list(reversed(ALICE.primitives)), ALICE.basic_facts)
    assert similarity(ALICE, BOB) == similarity(reversed_alice, BOB)


def test_diff_matrix() -> None:
    matrix = diff([ALICE, BOB, ALICE_LIKE, EMPTY])
    assert matrix.ids == ("alice", "bob", "alike", "empty")
    for table in [*matrix.components.values(), matrix.overall]:
        assert all(table[i][j] == table[j][i] for i in range(4) for j in range(4))
        assert all(0.0 <= value <= 1.0 for row in table for value in row)
    assert [matrix.overall[i][i] for i in range(4)] == [1.0, 1.0, 1.0, 0.0]
    assert matrix.overall[0][2] > matrix.overall[0][1]


def test_identical_faces_are_nearest() -> None:
    found = neighbors(ALICE, [BOB, EMPTY, ALICE_LIKE, ALICE_TWIN, ALICE], k=5)
    assert [n.id for n in found] == ["twin", "alike", "bob", "empty"]  # alice itself excluded
    assert found[0].score == 1.0 and found[-1].score == 0.0
    assert [n.score for n in found] == sorted((n.score for n in found), reverse=True)
    furthest = neighbors(ALICE, [BOB, EMPTY, ALICE_LIKE, ALICE_TWIN], k=2, direction="furthest")
    assert [n.id for n in furthest] == ["empty", "bob"]
    assert neighbors(ALICE, [BOB, ALICE_TWIN], k=1)[0].components == dict.fromkeys(COMPONENTS, 1.0)
    assert neighbors(ALICE, [], k=3) == [] and neighbors(ALICE, [BOB], k=0) == []
    with pytest.raises(ValueError, match="negative"):
        neighbors(ALICE, [BOB], k=-1)


def test_ties_are_broken_by_id() -> None:
    copies = [FaceDocument(name, BOB.primitives) for name in ("c", "a", "b")]
    assert [n.id for n in neighbors(ALICE, copies, k=3)] == ["a", "b", "c"]
    assert [n.id for n in neighbors(ALICE, copies, k=3, direction="furthest")] == ["a", "b", "c"]


def test_vectors_do_not_depend_on_the_hash_seed() -> None:
    script = (
        "from fased.faces.similarity import bucket, vectorize, FaceDocument\n"
        "from fased.faces.model import Primitive\n"
        "face = FaceDocument('x', [Primitive('beta:v', 'beta', 'values honesty', 1.0, 1)])\n"
        "print(bucket('honesty'), sorted(vectorize([face])[0]['beta'].items()))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
    face = FaceDocument("x", [Primitive("beta:v", "beta", "values honesty", 1.0, 1)])
    expected = f"{bucket('honesty')} {sorted(vectorize([face])[0]['beta'].items())}\n"
    assert outputs == {expected}


statements = st.lists(
    st.tuples(st.sampled_from(COMPONENTS), st.text(min_size=1, max_size=40)), max_size=8
)


def document(name: str, items: list[tuple[Component, str]]) -> FaceDocument:
    return FaceDocument(name, [prim(f"{c}:k{i}", text) for i, (c, text) in enumerate(items)])


@settings(max_examples=80, deadline=None)
@given(a=statements, b=statements)
def test_scores_are_bounded_symmetric_and_self_similar(
    a: list[tuple[Component, str]], b: list[tuple[Component, str]]
) -> None:
    first, second = document("a", a), document("b", b)
    forward, backward = similarity(first, second), similarity(second, first)
    assert forward == backward
    assert all(0.0 <= score <= 1.0 for score in forward.components.values())
    assert 0.0 <= forward.overall <= 1.0
    self_score = similarity(first, first)
    present = [c for c in COMPONENTS if any(p.component == c for p in first.primitives)]
    assert all(self_score.components[c] == 1.0 for c in present)
