"""How alike faces are, per component, from vectors that need no downloaded model (SPEC §7).

A face's component is one "document": the statements of its primitives in that component (alpha
also gets `name value` for every basic and extracted fact). Its features are the word unigrams
and bigrams of each statement (`render.terms`: lower case, stop words out; bigrams never cross
statements) plus each primitive's canonical key (`key:beta:value:honesty`; example keys are
digests and are left out), because extractors give the same key to the same trait across faces.

Features are hashed into `DIMENSIONS` buckets with blake2b (8-byte digest), never Python's
`hash()`, so vectors are the same in every process. Weights are sublinear tf (`1 + ln tf`) times
smooth idf (`ln((1 + N) / (1 + df)) + 1`, never 0), N being the faces compared in one call and
df how many of them have the feature in that component, then L2-normalised. Scores are relative
to the set compared: `diff` and `neighbors` use one vectorisation for all the faces they get.

Cosine is the dot product of the normalised vectors: 0.0 when either side is empty, rounded to
`DECIMALS` places and clamped to [0, 1] (so self-similarity is exactly 1.0). The overall score
is the `COMPONENT_WEIGHTS`-weighted mean over the components at least one of the two faces has
(a component neither has says nothing about them); 0.0 when neither has anything.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from fased.faces.model import COMPONENTS, Component, Primitive
from fased.faces.render import EXAMPLE_KEY_PREFIX, terms

DIMENSIONS = 1 << 20
DECIMALS = 6
# Values and stances (beta) and the voice (epsilon) are what tell personas apart in a
# conversation; identity facts (alpha) differ between almost any two people (names, places), and
# knowledge domains (delta) overlap broadly, so they count for less.
COMPONENT_WEIGHTS: dict[Component, float] = {
    "alpha": 0.2,
    "beta": 0.3,
    "delta": 0.2,
    "epsilon": 0.3,
}

Vector = dict[int, float]  # bucket → weight, buckets in ascending order
Direction = Literal["nearest", "furthest"]


@dataclass(frozen=True, slots=True)
class FaceDocument:
    """A face as similarity sees it; `id` labels it in results and breaks ties."""

    id: str
    primitives: Sequence[Primitive]
    basic_facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Similarity:
    components: dict[Component, float]
    overall: float


@dataclass(frozen=True, slots=True)
class SimilarityMatrix:
    """Pairwise scores: `components[c][i][j]` compares `ids[i]` with `ids[j]`."""

    ids: tuple[str, ...]
    components: dict[Component, tuple[tuple[float, ...], ...]]
    overall: tuple[tuple[float, ...], ...]


@dataclass(frozen=True, slots=True)
class Neighbor:
    id: str
    score: float
    components: dict[Component, float]


# -- vectors ----------------------------------------------------------------------------------


def bucket(feature: str) -> int:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % DIMENSIONS


def _ngrams(text: str) -> list[str]:
    words = terms(text)
    return [*words, *(f"{first} {second}" for first, second in itertools.pairwise(words))]


def component_features(face: FaceDocument) -> dict[Component, Counter[int]]:
    """Hashed feature counts of each component of `face`."""
    texts: dict[Component, list[str]] = {component: [] for component in COMPONENTS}
    counts: dict[Component, Counter[int]] = {component: Counter() for component in COMPONENTS}
    texts["alpha"].extend(f"{name} {value}" for name, value in face.basic_facts.items())
    for primitive in face.primitives:
        texts[primitive.component].append(primitive.statement)
        if primitive.fact is not None:
            texts[primitive.component].append(" ".join(primitive.fact))
        if not primitive.key.startswith(EXAMPLE_KEY_PREFIX):
            counts[primitive.component][bucket(f"key:{primitive.key}")] += 1
    for component, lines in texts.items():
        counts[component].update(bucket(gram) for line in lines for gram in _ngrams(line))
    return counts


def _normalised(weights: Iterable[tuple[int, float]]) -> Vector:
    ordered = sorted(weights)
    norm = math.sqrt(sum(weight * weight for _, weight in ordered))
    return {index: weight / norm for index, weight in ordered} if norm else {}


def vectorize(faces: Sequence[FaceDocument]) -> list[dict[Component, Vector]]:
    """TF-IDF vectors per component, idf over `faces` themselves."""
    features = [component_features(face) for face in faces]
    vectors: list[dict[Component, Vector]] = [{} for _ in faces]
    for component in COMPONENTS:
        df: Counter[int] = Counter()
        for counts in features:
            df.update(counts[component].keys())
        for vector, counts in zip(vectors, features, strict=True):
            vector[component] = _normalised(
                (index, (1 + math.log(tf)) * (math.log((1 + len(faces)) / (1 + df[index])) + 1))
                for index, tf in counts[component].items()
            )
    return vectors


def cosine(a: Vector, b: Vector) -> float:
    """Cosine of two normalised vectors, rounded; 0.0 if either is empty."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(weight * large[index] for index, weight in small.items() if index in large)
    return min(1.0, max(0.0, round(dot, DECIMALS)))


# -- scores -----------------------------------------------------------------------------------


def _compare(a: dict[Component, Vector], b: dict[Component, Vector]) -> Similarity:
    scores = {component: cosine(a[component], b[component]) for component in COMPONENTS}
    present = [component for component in COMPONENTS if a[component] or b[component]]
    total = sum(COMPONENT_WEIGHTS[component] for component in present)
    weighted = sum(COMPONENT_WEIGHTS[component] * scores[component] for component in present)
    overall = min(1.0, round(weighted / total, DECIMALS)) if total else 0.0
    return Similarity(scores, overall)


def similarity(a: FaceDocument, b: FaceDocument) -> Similarity:
    """Per-component cosines and the overall score of two faces."""
    first, second = vectorize([a, b])
    return _compare(first, second)


def component_similarity(a: FaceDocument, b: FaceDocument) -> dict[Component, float]:
    """Cosine per component (0.0 for a component either face lacks)."""
    return similarity(a, b).components


def diff(faces: Sequence[FaceDocument]) -> SimilarityMatrix:
    """Every pair of `faces`, per component and overall (a symmetric matrix)."""
    vectors = vectorize(faces)
    pairs = [[_compare(a, b) for b in vectors] for a in vectors]
    return SimilarityMatrix(
        ids=tuple(face.id for face in faces),
        components={
            component: tuple(tuple(pair.components[component] for pair in row) for row in pairs)
            for component in COMPONENTS
        },
        overall=tuple(tuple(pair.overall for pair in row) for row in pairs),
    )


def neighbors(
    target: FaceDocument,
    candidates: Sequence[FaceDocument],
    k: int,
    direction: Direction = "nearest",
) -> list[Neighbor]:
    """The `k` candidates most (`nearest`) or least (`furthest`) like `target`, itself excluded.

    Ordered by overall score, then by id, then by position in `candidates`.
    """
    if k < 0:
        raise ValueError("k must not be negative")
    others = [face for face in candidates if face.id != target.id]
    target_vector, *vectors = vectorize([target, *others])
    found = [
        (_compare(target_vector, vector), index, face)
        for index, (vector, face) in enumerate(zip(vectors, others, strict=True))
    ]
    sign = -1 if direction == "nearest" else 1
    found.sort(key=lambda item: (sign * item[0].overall, item[2].id, item[1]))
    return [Neighbor(face.id, score.overall, score.components) for score, _, face in found[:k]]
