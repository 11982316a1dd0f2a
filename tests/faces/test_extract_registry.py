"""The extractor registry, the extraction context, a thread's turns and compile tokens."""

from __future__ import annotations

import pytest

from fased.faces.compile.accounting import compile_tokens
from fased.faces.compile.offline import offline_registry
from fased.faces.compile.registry import ExtractContext, ExtractorRegistry
from fased.faces.compile.turns import locate_turns, resolve_face_speaker, split_turns
from fased.faces.model import Chunk, Claim, DocumentSource, ThreadSource, Turn
from fased.providers.tokens import estimate_tokens


def thread_chunk(*turns: tuple[str, str]) -> Chunk:
    parsed = tuple(Turn(s, t) for s, t in turns)
    text = "\n".join(f"{t.speaker}: {t.text}" for t in parsed)
    return Chunk(0, 0, len(text), text, parsed)


def claim(key: str, extractor: str) -> Claim:
    return Claim(key, "alpha", "s", "q", (0, 1), 0, extractor, 0.5)


def test_registry_runs_the_extractors_for_the_kind_in_registration_order() -> None:
    registry = ExtractorRegistry()
    registry.register("b", lambda chunk, ctx: [claim("alpha:b", "b")])
    registry.register("a", lambda chunk, ctx: [claim("alpha:a", "a")], ["document"])
    registry.register("t", lambda chunk, ctx: [claim("alpha:t", "t")], ["thread"])
    chunk = Chunk(0, 0, 1, "x")

    document = registry.extract(chunk, ExtractContext("d", "document"))
    thread = registry.extract(chunk, ExtractContext("d", "thread"))

    assert [c.extractor for c in document] == ["b", "a"]
    assert [c.extractor for c in thread] == ["b", "t"]
    assert registry.names() == ("b", "a", "t")
    assert registry.get("a").kinds == frozenset({"document"})


def test_a_name_is_registered_once_and_kinds_are_checked() -> None:
    registry = ExtractorRegistry()
    registry.register("facts", lambda chunk, ctx: [])
    with pytest.raises(ValueError, match="already registered"):
        registry.register("facts", lambda chunk, ctx: [])
    with pytest.raises(ValueError, match="kinds"):
        registry.register("other", lambda chunk, ctx: [], ["email"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="kinds"):
        registry.register("none", lambda chunk, ctx: [], [])


def test_offline_registry_holds_every_family_and_style_only_for_threads() -> None:
    registry = offline_registry()
    assert registry.names() == (
        "facts", "work", "family", "identity", "preferences", "habits", "domains",
        "reasoning", "style", "examples",
    )  # fmt: skip
    document_only = {e.name for e in registry.applicable("document")}
    assert "style" not in document_only
    assert "examples" not in document_only
    assert {e.name for e in registry.applicable("thread")} == set(registry.names())


def test_context_for_a_document_keeps_its_perspective() -> None:
    source = DocumentSource("Alice lives in Lisbon.", "third-person")
    context = ExtractContext.for_source("doc_1", source, face_name="Alice", aliases=["ali"])
    assert context == ExtractContext(
        "doc_1", "document", "third-person", "Alice", ("ali",), ("she", "he", "they"), None
    )
    assert context.voice == "third-person"
    assert context.names == ("Alice", "ali")


def test_context_for_a_thread_resolves_the_face_speaker_over_the_whole_thread() -> None:
    turns = (Turn("Bob", "hi"), Turn("alice", "hello"), Turn("Bob", "so"), Turn("Bob", "ok"))
    context = ExtractContext.for_source("doc_2", ThreadSource(turns), face_name="Alice")
    assert context.kind == "thread"
    assert context.face_speaker == "alice"  # the name matches, case-insensitively
    assert context.voice == "first-person"


@pytest.mark.parametrize(
    ("speakers", "names", "given", "expected"),
    [
        (["Bob", "Alice"], ["Alice"], "bob", "Bob"),  # 1. given, spelled as in the turns
        (["Bob", "Alice"], ["Alice"], "Carol", "Carol"),  # given but absent: no face turns
        (["Bob", "Alice Moreira"], ["alice moreira"], None, "Alice Moreira"),  # 2. the name
        (["Bob", "Alice"], ["Alice Moreira"], None, "Alice"),  # 2. the name's first word
        (["Bob", "Ali"], ["Alice Moreira", "ali"], None, "Ali"),  # 2. an alias
        (["Bob", "Carol", "Carol"], ["Alice"], None, "Carol"),  # 3. the most turns
        (["Carol", "Bob", "Bob", "Carol"], ["Alice"], None, "Carol"),  # 3. tie: first to speak
        ([], ["Alice"], None, None),
    ],
)
def test_resolve_face_speaker(
    speakers: list[str], names: list[str], given: str | None, expected: str | None
) -> None:
    turns = [Turn(s, "text") for s in speakers]
    assert resolve_face_speaker(turns, names, given) == expected


def test_turns_are_located_in_the_chunk_text() -> None:
    chunk = thread_chunk(("Ann", "hi there"), ("Bob", "hi"), ("Ann", "hi"))
    located = locate_turns(chunk)
    assert [(t.speaker, t.text_in(chunk)) for t in located] == [
        ("Ann", "hi there"), ("Bob", "hi"), ("Ann", "hi"),
    ]  # fmt: skip
    assert [t.start for t in located] == [5, 19, 27]  # each found after the previous one


def test_turns_are_parsed_from_lines_when_the_chunk_has_none() -> None:
    text = "Ann: hello\nBob: hey you\n"
    located = locate_turns(Chunk(0, 0, len(text), text))
    assert [(t.speaker, t.text_in(Chunk(0, 0, 0, text))) for t in located] == [
        ("Ann", "hello"), ("Bob", "hey you"),
    ]  # fmt: skip


def test_split_turns_separates_the_face_from_the_others() -> None:
    chunk = thread_chunk(("Ann", "one"), ("Bob", "two"), ("Ann", "three"))
    face, others = split_turns(chunk, "Ann", ())
    assert [t.text_in(chunk) for t in face] == ["one", "three"]
    assert [t.text_in(chunk) for t in others] == ["two"]


def test_compile_tokens_are_the_estimate_of_the_chunk_text() -> None:
    text = "I live in Lisbon and work as a nurse."
    chunk = Chunk(3, 100, 100 + len(text), text)
    assert compile_tokens(chunk) == estimate_tokens(text) == 10
    assert compile_tokens(Chunk(0, 0, 0, "")) == 0
