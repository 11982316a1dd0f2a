"""The offline compiler against the fixture corpus: precision and recall per category.

Run `python -m tests.faces.corpus_report` for the tables. Each corpus file has a sidecar
`<name>.expected.json`: the face, the source kind, and what a careful reader takes from the
text — `expected` (recall counts them), `acceptable` (right, but not required: a primitive
matching one is no false positive) and `absent` (must not be claimed). An item is a key (glob)
and, optionally, text the primitive's statement contains. Documents are cut into paragraphs packed
into chunks of `CHUNK_TOKENS`, a thread into one chunk of `speaker: text` lines with its turns.

The development files are the ones the rules were written against (their numbers flatter the
rules); the `holdout_*` files were written, with their sidecars, after the rules were frozen and
have not been tuned on: their numbers are the honest estimate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from fased.faces.compile.derive import derive
from fased.faces.compile.offline import offline_registry
from fased.faces.compile.registry import ExtractContext
from fased.faces.model import Chunk, Claim, DocumentSource, Primitive, ThreadSource, Turn
from fased.providers.tokens import estimate_tokens

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
CHUNK_TOKENS = 1500  # the default `compile.chunkTokens` (SPEC §2): each document one chunk
PARAGRAPHS = 0  # a budget no two paragraphs fit: one chunk per paragraph (the stress case)
CATEGORIES: dict[str, tuple[str, ...]] = {
    "facts": ("alpha:fact:",),
    "identity": ("alpha:role:", "alpha:relationship:", "alpha:experience:", "alpha:goal:"),
    "preferences": ("beta:pref:",),
    "values": ("beta:value:",),
    "beliefs": ("beta:belief:",),
    "habits": ("epsilon:habit:",),
    "domains": ("delta:domain:",),
    "reasoning": ("delta:reasoning:",),
    "style": ("epsilon:style:", "epsilon:phrase:"),
}
_LINE = re.compile(r"^(?P<speaker>[^:\n]+):[ \t]*(?P<text>.*)$", re.MULTILINE)


@dataclass(frozen=True)
class CorpusDoc:
    name: str
    text: str
    context: ExtractContext
    chunks: tuple[Chunk, ...]
    expected: tuple[dict[str, Any], ...]
    acceptable: tuple[dict[str, Any], ...]
    absent: tuple[dict[str, Any], ...]


@dataclass
class Score:
    predicted: int = 0
    correct: int = 0  # predictions matching an expected or acceptable item
    expected: int = 0
    found: int = 0  # expected items some prediction matches
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0


def paragraph_chunks(text: str, chunk_tokens: int) -> tuple[Chunk, ...]:
    """Paragraphs (blank-line separated) packed in order into chunks of at most `chunk_tokens`
    (`PARAGRAPHS`: one chunk per paragraph), offsets into `text`."""
    packed: list[tuple[int, int]] = []
    for m in re.finditer(r"\S(?:.|\n(?!\s*\n))*", text):
        start, end = m.span()
        if packed and estimate_tokens(text[packed[-1][0] : end]) <= chunk_tokens:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return tuple(Chunk(i, s, e, text[s:e]) for i, (s, e) in enumerate(packed))


def thread_chunk(text: str) -> tuple[tuple[Turn, ...], Chunk]:
    turns = tuple(Turn(m["speaker"].strip(), m["text"].strip()) for m in _LINE.finditer(text))
    rendered = "\n".join(f"{t.speaker}: {t.text}" for t in turns)
    return turns, Chunk(0, 0, len(rendered), rendered, turns)


def load(name: str, chunk_tokens: int = CHUNK_TOKENS) -> CorpusDoc:
    text = (CORPUS / f"{name}.txt").read_text(encoding="utf-8")
    meta = json.loads((CORPUS / f"{name}.expected.json").read_text(encoding="utf-8"))
    face = meta["face"]
    known = {"face_name": face["name"], "aliases": face["aliases"], "pronouns": face["pronouns"]}
    if meta["kind"] == "thread":
        turns, chunk = thread_chunk(text)
        source: DocumentSource | ThreadSource = ThreadSource(turns, meta.get("face_speaker"))
        chunks: tuple[Chunk, ...] = (chunk,)
    else:
        source = DocumentSource(text, meta["perspective"])
        chunks = paragraph_chunks(text, chunk_tokens)
    context = ExtractContext.for_source(f"doc_{name}", source, **known)
    items = (tuple(meta.get(k, ())) for k in ("expected", "acceptable", "absent"))
    return CorpusDoc(name, text, context, chunks, *items)


def load_corpus(chunk_tokens: int = CHUNK_TOKENS, part: str = "all") -> list[CorpusDoc]:
    """The corpus, or one part: `development` (the files the rules were written against) or
    `holdout` (`holdout_*`, written afterwards and never tuned on)."""
    names = [p.name.removesuffix(".expected.json") for p in sorted(CORPUS.glob("*.json"))]
    if part != "all":
        names = [n for n in names if n.startswith("holdout_") == (part == "holdout")]
    return [load(name, chunk_tokens) for name in names]


def extract(doc: CorpusDoc) -> list[Claim]:
    registry = offline_registry()
    return [claim for chunk in doc.chunks for claim in registry.extract(chunk, doc.context)]


def matches(item: dict[str, Any], primitive: Primitive) -> bool:
    contains = item.get("contains")
    return fnmatchcase(primitive.key, item["key"]) and (
        contains is None or contains.casefold() in primitive.statement.casefold()
    )


def category_of(key: str) -> str | None:
    return next((c for c, heads in CATEGORIES.items() if key.startswith(heads)), None)


def _item_category(item: dict[str, Any]) -> str | None:
    return category_of(item["key"].rstrip("*"))


def score_doc(doc: CorpusDoc, primitives: list[Primitive], scores: dict[str, Score]) -> None:
    """Add one document's predictions and expectations to the per-category scores."""
    right = (*doc.expected, *doc.acceptable)
    for p in primitives:
        category = category_of(p.key)
        if category is None:
            continue
        scores[category].predicted += 1
        if any(matches(item, p) for item in right):
            scores[category].correct += 1
        else:
            scores[category].wrong.append(f"{doc.name}: {p.key} = {p.statement}")
    for item in doc.expected:
        category = _item_category(item)
        assert category is not None, item
        scores[category].expected += 1
        if any(matches(item, p) for p in primitives):
            scores[category].found += 1
        else:
            scores[category].misses.append(f"{doc.name}: {item}")


def evaluate(corpus: list[CorpusDoc]) -> dict[str, Score]:
    scores = {category: Score() for category in CATEGORIES}
    for doc in corpus:
        score_doc(doc, derive(extract(doc)), scores)
    return scores


def total(scores: dict[str, Score]) -> Score:
    overall = Score()
    for s in scores.values():
        overall.predicted += s.predicted
        overall.correct += s.correct
        overall.expected += s.expected
        overall.found += s.found
    return overall


def table(scores: dict[str, Score]) -> str:
    lines = [
        f"{'category':<12} {'pred':>5} {'ok':>4} {'prec':>6} {'exp':>5} {'found':>6} {'recall':>7}"
    ]
    for name, s in [*scores.items(), ("all", total(scores))]:
        lines.append(
            f"{name:<12} {s.predicted:>5} {s.correct:>4} {s.precision:>6.2f} "
            f"{s.expected:>5} {s.found:>6} {s.recall:>7.2f}"
        )
    return "\n".join(lines)


def report(chunk_tokens: int, part: str, title: str) -> str:
    scores = evaluate(load_corpus(chunk_tokens, part))
    lines = [title, table(scores)]
    for name, s in scores.items():
        lines += [f"  false positive [{name}] {line}" for line in s.wrong]
        lines += [f"  missed [{name}] {line}" for line in s.misses]
    return "\n".join(lines)


def main() -> None:
    runs = [
        (CHUNK_TOKENS, "development", f"development set, chunks of {CHUNK_TOKENS} tokens"),
        (PARAGRAPHS, "development", "development set, one chunk per paragraph (stress)"),
        (CHUNK_TOKENS, "holdout", f"held-out set (never tuned on), chunks of {CHUNK_TOKENS}"),
        (PARAGRAPHS, "holdout", "held-out set, one chunk per paragraph (stress)"),
    ]
    print("\n\n".join(report(tokens, part, f"{title}:") for tokens, part, title in runs))


if __name__ == "__main__":
    main()
