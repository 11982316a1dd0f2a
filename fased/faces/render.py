"""The persona as a "minimal formal language" (SPEC §8.4), fitted to a token budget.

The rendered profile is, line by line:

    You are Alice. Speak as Alice, in character; never recite or mention this profile.
    @facts age=30; location=Berlin; occupation=nurse
    α grew up on a farm
    β values honesty over tact
    ε example: "honestly? no idea, but i'll find out"

- the fixed header, always first and atomic (a budget too small for it renders nothing);
- `@facts`: the basic facts in their given order, then the alpha primitives' `fact`s not already
  stated (such a primitive gets no `α` line). Names are snake_case; values escape `\\` as
  `\\\\`, `;` as `\\;` and line breaks as `\\n`, so a value ends neither item nor line;
- one primitive a line, sigil first, whitespace collapsed (a statement cannot span lines);
  example turns (`epsilon:example:*`) as `ε example: "…"`, `\\`, `"` and line breaks escaped.

Selection: alpha lines first, then the rest, each by BM25 relevance of the statement to `query`
(the recent user turns), then weight (higher first), then key: the same input renders the same
bytes whatever the order of `primitives`. Lines are added greedily in that order while the whole
text stays within `budget` (by `estimate_tokens`); one that does not fit is skipped and shorter
ones after it may still fit. Facts are fitted item by item the same way.

BM25 (Lucene's non-negative IDF): the corpus is the face's own statements; terms are lower-cased
`\\w+` runs less `STOP_WORDS`; each distinct query term counts once (rendering depends only on
the query's term set, which the cache keys on), summed in sorted order so float scores, and so
ties, never depend on hash order.
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from fased.faces.model import SIGILS, Primitive
from fased.providers.tokens import estimate_tokens

HEADER = "You are {name}. Speak as {name}, in character; never recite or mention this profile."
FACTS_PREFIX = "@facts "
EXAMPLE_KEY_PREFIX = "epsilon:example:"
EXAMPLE_LABEL = "example: "
BM25_K1 = 1.2  # term-frequency saturation: the usual 1.2, statements are short
BM25_B = 0.75  # length normalisation: the usual 0.75
# A ProfileCache's bounds: a profile at budget 4096 is ~16 KiB, so 512 of them are ~8 MiB at most;
# an index (tokenised statements, postings, lines) is a few times its face's text, one per face.
PROFILE_CACHE_SIZE = 512
INDEX_CACHE_SIZE = 128

# Function words dropped from relevance terms: in a corpus of a few dozen short statements a word
# like "to" is rare enough to outweigh the words that matter. Negations are kept.
STOP_WORDS = frozenset({
    "a", "about", "am", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "did", "do", "does", "for", "from", "had", "has", "have", "he", "her", "him",
    "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "my", "of", "on",
    "or", "our", "she", "so", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "to", "too", "us", "was", "we", "were", "what", "when", "where",
    "which", "who", "why", "will", "with", "would", "you", "your",
})  # fmt: skip
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_TERM = re.compile(r"\w+")
_NON_WORD = re.compile(r"\W+")
_FACT_ITEM = re.compile(r"(?:[^;\\]|\\.?)+")  # an item: plain characters and escapes
_ESCAPE = re.compile(r"\\(.?)")


@dataclass(frozen=True, slots=True)
class ProfileInput:
    """What rendering needs of the face itself; `basic_facts` keeps the order it was given in."""

    name: str
    alias: str
    basic_facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RenderedProfile:
    text: str
    tokens: int
    lines: int


# -- the grammar ------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Whitespace (line breaks included) collapsed to single spaces, ends stripped."""
    return " ".join(text.split())


def fact_name(name: str) -> str:
    """A fact's name as written on the `@facts` line: snake_case, `\\w` characters only."""
    return _NON_WORD.sub("_", name.strip().lower()).strip("_")


def escape_fact_value(value: str) -> str:
    escaped = value.strip().replace("\\", "\\\\").replace(";", "\\;")
    return _LINE_BREAK.sub(r"\\n", escaped)


def facts_line(facts: Iterable[tuple[str, str]]) -> str:
    """`@facts k=v; …` for already-normalised names; "" when there are none."""
    items = [f"{name}={escape_fact_value(value)}" for name, value in facts]
    return FACTS_PREFIX + "; ".join(items) if items else ""


def unescape(text: str) -> str:
    """Backslash escapes undone: `\\n` is a line break, `\\x` is `x`."""
    return _ESCAPE.sub(lambda match: "\n" if match[1] == "n" else match[1], text)


def parse_facts(line: str) -> list[tuple[str, str]]:
    """The `(name, value)` pairs of a `@facts` line, escapes undone (inverse of `facts_line`)."""
    items = [unescape(item).strip() for item in _FACT_ITEM.findall(line.removeprefix("@facts"))]
    return [
        (name.strip(), value.strip()) for name, _, value in (i.partition("=") for i in items if i)
    ]


def quote(text: str) -> str:
    """`text` in double quotes, `\\`, `"` and line breaks escaped."""
    escaped = text.strip().replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _LINE_BREAK.sub(r"\\n", escaped) + '"'


def is_example(primitive: Primitive) -> bool:
    return primitive.key.startswith(EXAMPLE_KEY_PREFIX)


def primitive_line(primitive: Primitive) -> str:
    """`<sigil> <statement>`, or `ε example: "<turn>"` for an example turn."""
    sigil = SIGILS[primitive.component]
    if is_example(primitive):
        return f"{sigil} {EXAMPLE_LABEL}{quote(primitive.statement)}"
    return f"{sigil} {one_line(primitive.statement)}"


# -- relevance --------------------------------------------------------------------------------


def terms(text: str) -> list[str]:
    """Lower-cased `\\w+` runs, stop words left out."""
    return [term for term in _TERM.findall(text.lower()) if term not in STOP_WORDS]


def normalize_query(query: str) -> str:
    """The query as rendering sees it: its distinct terms, sorted, space-separated."""
    return " ".join(sorted(set(terms(query))))


class Bm25Index:
    """BM25 over a fixed corpus, tokenised once and scored per query through postings."""

    __slots__ = ("_norms", "_postings", "size")

    def __init__(self, documents: Sequence[str]) -> None:
        counts = [Counter(terms(document)) for document in documents]
        lengths = [sum(count.values()) for count in counts]
        average = (sum(lengths) / len(lengths) if lengths else 0.0) or 1.0
        self.size = len(counts)
        self._norms = [BM25_K1 * (1 - BM25_B + BM25_B * length / average) for length in lengths]
        self._postings: dict[str, list[tuple[int, int]]] = {}
        for index, count in enumerate(counts):
            for term, tf in count.items():
                self._postings.setdefault(term, []).append((index, tf))

    def scores(self, query: str) -> list[float]:
        scores = [0.0] * self.size
        for term in normalize_query(query).split():  # sorted: the float sums never vary
            postings = self._postings.get(term, [])
            df = len(postings)
            idf = math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            for index, tf in postings:
                scores[index] += idf * tf * (BM25_K1 + 1) / (tf + self._norms[index])
        return scores


def bm25_scores(documents: Sequence[str], query: str) -> list[float]:
    """BM25 score of each document for `query`, the documents themselves being the corpus."""
    return Bm25Index(documents).scores(query)


def _order(primitives: Sequence[Primitive], scores: Sequence[float]) -> list[int]:
    """Alpha first, then by score, weight (both descending), key."""

    def key(i: int) -> tuple[bool, float, float, str]:
        primitive = primitives[i]
        return (primitive.component != "alpha", -scores[i], -primitive.weight, primitive.key)

    return sorted(range(len(primitives)), key=key)


def rank(primitives: Sequence[Primitive], query: str) -> list[Primitive]:
    """`primitives` in rendering order for `query`."""
    scores = bm25_scores([p.statement for p in primitives], query)
    return [primitives[i] for i in _order(primitives, scores)]


# -- rendering --------------------------------------------------------------------------------


class _Fitter:
    """Accumulates lines while the whole text stays within the token budget."""

    __slots__ = ("budget", "lines", "text")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.lines: list[str] = []
        self.text = ""

    def _joined(self, line: str) -> str:
        return f"{self.text}\n{line}" if self.lines else line

    def fits(self, line: str) -> bool:
        return estimate_tokens(self._joined(line)) <= self.budget

    def add(self, line: str) -> bool:
        if not self.fits(line):
            return False
        self.text = self._joined(line)
        self.lines.append(line)
        return True

    def add_facts(self, facts: Sequence[tuple[str, str]]) -> None:
        """The `@facts` line with as many of `facts`, in order, as fit."""
        kept: list[tuple[str, str]] = []
        for fact in facts:
            if self.fits(facts_line([*kept, fact])):
                kept.append(fact)
        if kept:
            self.add(facts_line(kept))


def unique_by_key(primitives: Iterable[Primitive]) -> list[Primitive]:
    """One primitive per key (the heaviest, then the smallest statement), sorted by key."""
    ordered = sorted(primitives, key=lambda p: (p.key, -p.weight, p.statement))
    return [p for i, p in enumerate(ordered) if i == 0 or ordered[i - 1].key != p.key]


def split_facts(
    basic_facts: Mapping[str, str], primitives: Sequence[Primitive]
) -> tuple[list[tuple[str, str]], list[Primitive]]:
    """The `@facts` items (basic first, then new fact primitives) and the primitives left over."""
    extracted = sorted(
        (-p.weight, p.key, p.fact) for p in primitives if p.component == "alpha" and p.fact
    )
    facts: dict[str, str] = {}
    for name, value in [*basic_facts.items(), *(fact for _, _, fact in extracted)]:
        if fact_name(name):
            facts.setdefault(fact_name(name), value)
    rest = [p for p in primitives if not (p.component == "alpha" and p.fact)]
    return list(facts.items()), rest


@dataclass(frozen=True, slots=True)
class ProfileIndex:
    """All of a face's profile that no query or budget changes: built once per face version."""

    header: str
    facts: tuple[tuple[str, str], ...]
    primitives: tuple[Primitive, ...]  # those not on the `@facts` line, by key
    lines: tuple[str, ...]  # each one's line
    bm25: Bm25Index

    def render(self, *, budget: int, query: str = "") -> RenderedProfile:
        fitter = _Fitter(budget)
        if not fitter.add(self.header):
            return RenderedProfile(text="", tokens=0, lines=0)
        fitter.add_facts(self.facts)
        for index in _order(self.primitives, self.bm25.scores(query)):
            fitter.add(self.lines[index])
        return RenderedProfile(fitter.text, estimate_tokens(fitter.text), len(fitter.lines))


def index_profile(face: ProfileInput, primitives: Iterable[Primitive]) -> ProfileIndex:
    facts, rest = split_facts(face.basic_facts, unique_by_key(primitives))
    return ProfileIndex(
        header=HEADER.format(name=one_line(face.name) or face.alias),
        facts=tuple(facts),
        primitives=tuple(rest),
        lines=tuple(primitive_line(p) for p in rest),
        bm25=Bm25Index([p.statement for p in rest]),
    )


def render_profile(
    face: ProfileInput, primitives: Sequence[Primitive], *, budget: int, query: str = ""
) -> RenderedProfile:
    """The face's persona within `budget` tokens; the same input gives the same bytes."""
    return index_profile(face, primitives).render(budget=budget, query=query)


# -- the cache --------------------------------------------------------------------------------

ProfileKey = tuple[str, int | str, int, str]
ProfileSource = Callable[[], tuple[ProfileInput, Sequence[Primitive]]]


class ProfileCache:
    """Rendered profiles by (face id, face version, budget, normalised query): a bounded LRU.

    Beside it, a smaller LRU of `ProfileIndex`es by (face id, version), so a new query (the
    recent turns change every request) costs scoring and fitting, never loading or re-tokenising
    the face. A face's version must change whenever anything rendering reads changes (name,
    facts, primitives); old versions are never asked for again and age out. Not thread-safe:
    one cache per process, used from the event loop (held in an `AppKey`). With an async store:
    `lookup`, and only when it returns None load the face and call `render`.
    """

    __slots__ = ("_indexes", "_profiles", "hits", "max_indexes", "max_profiles", "misses")

    def __init__(
        self, max_profiles: int = PROFILE_CACHE_SIZE, max_indexes: int = INDEX_CACHE_SIZE
    ) -> None:
        if max_profiles < 1 or max_indexes < 1:
            raise ValueError("a ProfileCache holds at least one profile and one index")
        self.max_profiles, self.max_indexes = max_profiles, max_indexes
        self.hits = self.misses = 0
        self._profiles: OrderedDict[ProfileKey, RenderedProfile] = OrderedDict()
        self._indexes: OrderedDict[tuple[str, int | str], ProfileIndex] = OrderedDict()

    def __len__(self) -> int:
        return len(self._profiles)

    def lookup(
        self, face_id: str, version: int | str, *, budget: int, query: str = ""
    ) -> RenderedProfile | None:
        """The cached profile, or one rendered from the cached index; None: load the face."""
        key = (face_id, version, budget, normalize_query(query))
        profile = _lru_get(self._profiles, key)
        self.hits, self.misses = (
            (self.hits + 1, self.misses) if profile else (self.hits, self.misses + 1)
        )
        index = None if profile else _lru_get(self._indexes, (face_id, version))
        return self._render(key, index, query) if index else profile

    def render(
        self,
        face_id: str,
        version: int | str,
        face: ProfileInput,
        primitives: Sequence[Primitive],
        *,
        budget: int,
        query: str = "",
    ) -> RenderedProfile:
        """Index `face` (its version's content), cache the index, render and cache."""
        index = index_profile(face, primitives)
        _lru_put(self._indexes, (face_id, version), index, self.max_indexes)
        return self._render((face_id, version, budget, normalize_query(query)), index, query)

    def get_or_render(
        self,
        face_id: str,
        version: int | str,
        source: ProfileSource,
        *,
        budget: int,
        query: str = "",
    ) -> RenderedProfile:
        """`lookup`, else `render` what `source()` loads (it runs only when no index is cached)."""
        found = self.lookup(face_id, version, budget=budget, query=query)
        return found or self.render(face_id, version, *source(), budget=budget, query=query)

    def _render(self, key: ProfileKey, index: ProfileIndex, query: str) -> RenderedProfile:
        profile = index.render(budget=key[2], query=query)
        _lru_put(self._profiles, key, profile, self.max_profiles)
        return profile

    def discard(self, face_id: str) -> int:
        """Drop every profile and index of `face_id` (e.g. on delete); returns the profiles'."""
        for index_key in [key for key in self._indexes if key[0] == face_id]:
            del self._indexes[index_key]
        stale = [key for key in self._profiles if key[0] == face_id]
        for key in stale:
            del self._profiles[key]
        return len(stale)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _lru_get(entries: OrderedDict[_K, _V], key: _K) -> _V | None:
    value = entries.get(key)
    if value is not None:
        entries.move_to_end(key)
    return value


def _lru_put(entries: OrderedDict[_K, _V], key: _K, value: _V, limit: int) -> None:
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > limit:
        entries.popitem(last=False)
