"""Chunking: exact offsets, budgets, boundaries, determinism, over many generated sources."""

from __future__ import annotations

import random
import string

import pytest

from fased.faces.chunking import chunk_source, thread_text
from fased.faces.model import Chunk, DocumentSource, ThreadSource, Turn
from fased.providers.tokens import estimate_tokens

SAMPLE = (
    "I live in Lisbon and swim every morning before work the kelp survey was late again "
    "honestly waiting never made bad news better café naïve 東京 😀"
)
WORDS = SAMPLE.split()


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(1, 25))
    if rng.random() < 0.05:
        words.append("".join(rng.choices(string.ascii_letters, k=rng.randint(40, 300))))
    end = rng.choice([".", "!", "?", "…", '."', ".)", "", "\n"])
    return " ".join(words).capitalize() + end


def document(rng: random.Random) -> str:
    paragraphs = [
        " ".join(sentence(rng) for _ in range(rng.randint(1, 30)))
        for _ in range(rng.randint(0, 12))
    ]
    separators = ["\n\n", "\n \n\n", "\n\t\n", "\n\n\n"]
    text = "".join(p + rng.choice(separators) for p in paragraphs)
    return rng.choice(["", "  ", "\n"]) + text


def thread(rng: random.Random) -> ThreadSource:
    speakers = ["Alice", "Bob", "Dr. O'Brien"]
    turns = tuple(
        Turn(rng.choice(speakers), " ".join(sentence(rng) for _ in range(rng.randint(1, 12))))
        for _ in range(rng.randint(0, 20))
    )
    return ThreadSource(turns)


def check_invariants(full: str, chunks: list[Chunk], budget: int) -> None:
    assert [c.index for c in chunks] == list(range(len(chunks)))
    previous_end = 0
    for chunk in chunks:
        assert full[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip(), "never an empty chunk"
        assert chunk.text == chunk.text.strip() or chunk.turns
        assert estimate_tokens(chunk.text) <= budget
        assert chunk.start >= previous_end
        assert full[previous_end : chunk.start].strip() == "", "no text is skipped"
        previous_end = chunk.end
    assert full[previous_end:].strip() == ""


@pytest.mark.parametrize("seed", range(150))
def test_document_chunks_cover_the_text_exactly(seed: int) -> None:
    rng = random.Random(seed)
    text = document(rng)
    budget = rng.choice([1, 2, 8, 32, 100, 512])
    chunks = chunk_source(DocumentSource(text), chunk_tokens=budget)
    check_invariants(text, chunks, budget)
    assert chunks == chunk_source(DocumentSource(text), chunk_tokens=budget)


@pytest.mark.parametrize("seed", range(100))
def test_thread_chunks_are_whole_turns_with_exact_offsets(seed: int) -> None:
    rng = random.Random(seed)
    source = thread(rng)
    budget = rng.choice([4, 16, 64, 256])
    full = thread_text(source.turns)
    chunks = chunk_source(source, chunk_tokens=budget)
    check_invariants(full, chunks, budget)
    assert chunks == chunk_source(source, chunk_tokens=budget)
    lines: list[tuple[int, int]] = []  # each turn's line span in the full text
    for turn in source.turns:
        start = lines[-1][1] + 1 if lines else 0
        lines.append((start, start + len(thread_text([turn]))))
    covered: list[int] = []
    for chunk in chunks:
        touched = [i for i, (s, e) in enumerate(lines) if s < chunk.end and chunk.start < e]
        whole = (lines[touched[0]][0], lines[touched[-1]][1])
        if (chunk.start, chunk.end) == whole:  # whole turns
            assert chunk.turns == tuple(source.turns[i] for i in touched)
            assert chunk.text == thread_text(chunk.turns)
        else:  # a piece of one oversized turn
            [line] = touched
            [piece] = chunk.turns
            assert piece.speaker == source.turns[line].speaker
            assert piece.text in chunk.text
        covered.extend(i for i in touched if not covered or i != covered[-1])
    assert covered == list(range(len(source.turns)))


def test_paragraphs_are_preferred_over_sentences() -> None:
    text = "First paragraph, short.\n\nSecond one. It has two sentences.\n\nThird."
    chunks = chunk_source(DocumentSource(text), chunk_tokens=12)
    assert [c.text for c in chunks] == [
        "First paragraph, short.",
        "Second one. It has two sentences.\n\nThird.",
    ]


def test_a_giant_paragraph_splits_at_sentences_then_words() -> None:
    text = "One short sentence. " + " ".join(["word"] * 40) + ". Last one!"
    chunks = chunk_source(DocumentSource(text), chunk_tokens=10)
    assert [c.text for c in chunks] == [
        "One short sentence. word word word word",
        *["word word word word word word word word"] * 4,
        "word word word word. Last one!",
    ]


def test_a_giant_word_is_cut_at_the_budget() -> None:
    chunks = chunk_source(DocumentSource("x" * 50), chunk_tokens=4)
    assert [len(c.text) for c in chunks] == [16, 16, 16, 2]


def test_thread_text_and_turn_packing() -> None:
    turns = (Turn("Alice", "Hi Bob."), Turn("Bob", "Hi.\nHow are you?"), Turn("Alice", "Fine."))
    assert thread_text(turns) == "Alice: Hi Bob.\nBob: Hi.\nHow are you?\nAlice: Fine."
    [one] = chunk_source(ThreadSource(turns), chunk_tokens=100)
    assert one == Chunk(0, 0, len(thread_text(turns)), thread_text(turns), turns)
    chunks = chunk_source(ThreadSource(turns), chunk_tokens=8)
    assert [c.turns for c in chunks] == [turns[:1], turns[1:2], turns[2:]]


def test_an_oversized_turn_becomes_pieces_of_that_turn() -> None:
    turns = (
        Turn("Al", "Short."),
        Turn("Bo", "One two three. Four five six. Seven."),
        Turn("Al", "Ok."),
    )
    chunks = chunk_source(ThreadSource(turns), chunk_tokens=4)
    assert [(c.text, c.turns) for c in chunks] == [
        ("Al: Short.", (Turn("Al", "Short."),)),
        ("Bo: One two", (Turn("Bo", "One two"),)),
        ("three.", (Turn("Bo", "three."),)),
        ("Four five six.", (Turn("Bo", "Four five six."),)),
        ("Seven.", (Turn("Bo", "Seven."),)),
        ("Al: Ok.", (Turn("Al", "Ok."),)),
    ]


def test_empty_sources_and_bad_budgets() -> None:
    assert chunk_source(DocumentSource(" \n\n\t"), chunk_tokens=10) == []
    assert chunk_source(ThreadSource(()), chunk_tokens=10) == []
    with pytest.raises(ValueError, match="chunk_tokens"):
        chunk_source(DocumentSource("x"), chunk_tokens=0)
