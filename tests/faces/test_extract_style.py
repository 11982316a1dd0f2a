"""Thread style: stylometry of the face's turns against the others', signature phrases, examples,
and only the face's turns as evidence."""

from __future__ import annotations

from fased.faces.compile import examples, signature, style, stylometry
from fased.faces.compile.offline import offline_registry
from fased.faces.compile.registry import ExtractContext
from fased.faces.compile.turns import split_turns
from fased.faces.model import Chunk, Claim, Turn

CASUAL = [
    "omg hi!! yes thursday works 😊",
    "sorry i'm at work til 5 tho, can u let urself in?",
    "yep will do!! it's kinda full of bike stuff lol",
    "i'll move it tonight no worries 🙌",
    "ahh yes!! i love the flat 😍",
    "aww that's lovely 😊 no worries about the date lol",
]
FORMAL = [
    "Good afternoon. I am writing regarding the inspection scheduled for Thursday.",
    "Certainly. I shall bring the spare key; kindly ensure that the cupboard is accessible.",
    "Thank you. I would also like to discuss the renewal of the lease, which expires soon.",
    "I live in Manchester, and I have three grandchildren who visit every summer.",
    "Indeed. I shall send the paperwork by post. Kind regards.",
]


def thread(face: list[str], other: list[str], face_name: str = "Jess") -> Chunk:
    turns: list[Turn] = []
    for i in range(max(len(face), len(other))):
        turns += [Turn("Mr Hale", t) for t in other[i : i + 1]]
        turns += [Turn(face_name, t) for t in face[i : i + 1]]
    text = "\n".join(f"{t.speaker}: {t.text}" for t in turns)
    return Chunk(0, 0, len(text), text, tuple(turns))


def extract(chunk: Chunk, face_speaker: str | None = "Jess", name: str = "Jess") -> list[Claim]:
    context = ExtractContext("doc", "thread", face_name=name, face_speaker=face_speaker)
    return offline_registry().extract(chunk, context)


def by_key(claims: list[Claim]) -> dict[str, str]:
    return {c.key: c.statement for c in claims}


def test_casual_texter_against_a_formal_speaker() -> None:
    found = by_key(extract(thread(CASUAL, FORMAL)))
    assert found["epsilon:style:sentence_length"] == "short sentences (avg 5 words)"
    assert found["epsilon:style:exclamation"].startswith("frequent exclamation marks")
    assert found["epsilon:style:emoji"] == "frequent emoji (😊 😍 🙌; 0.7 per turn)"
    assert found["epsilon:style:contractions"] == "uses contractions freely"
    assert found["epsilon:style:register"].startswith("casual register (")
    assert found["epsilon:style:capitalisation"] == "writes in lower case (no capital to start)"
    assert found["epsilon:phrase:no-worries"] == 'says "no worries"'
    assert found["epsilon:phrase:lol"] == 'says "lol"'


def test_formal_speaker_against_a_casual_texter() -> None:
    chunk = thread(FORMAL, CASUAL, face_name="Hale")
    found = by_key(extract(chunk, face_speaker="Hale", name="Hale"))
    assert found["epsilon:style:sentence_length"] == "short sentences (avg 6 words)"
    assert found["epsilon:style:emoji"] == "no emoji"
    assert found["epsilon:style:contractions"] == "avoids contractions (writes do not, I am)"
    assert found["epsilon:style:register"].startswith("formal register (")
    assert "epsilon:style:exclamation" not in found
    assert "epsilon:style:capitalisation" not in found


def test_only_the_face_turns_are_evidence_about_the_face() -> None:
    claims = extract(thread(CASUAL, FORMAL))
    keys = {c.key for c in claims}
    assert "alpha:fact:location" not in keys  # Mr Hale lives in Manchester, not Jess
    assert "alpha:fact:children" not in keys
    chunk = thread(CASUAL, FORMAL)
    face, _ = split_turns(chunk, "Jess", ())
    inside = [(t.start, t.end) for t in face]
    for claim in claims:
        assert any(s <= claim.span[0] and claim.span[1] <= e for s, e in inside), claim


def test_the_face_speaker_falls_back_to_the_name_then_the_most_turns() -> None:
    chunk = thread(CASUAL, FORMAL)
    assert by_key(extract(chunk, face_speaker=None)) == by_key(extract(chunk))  # by name
    nameless = by_key(extract(chunk, face_speaker=None, name="Someone"))
    assert nameless == by_key(extract(chunk))  # Jess has the most turns


def test_too_few_face_turns_for_style() -> None:
    assert [
        c for c in extract(thread(CASUAL[:2], FORMAL)) if c.key.startswith("epsilon:style")
    ] == []


def test_without_other_speakers_the_absolute_thresholds_apply() -> None:
    found = by_key(extract(thread(CASUAL, [])))
    assert found["epsilon:style:emoji"].startswith("frequent emoji")
    assert found["epsilon:style:exclamation"].startswith("frequent exclamation marks")


def test_stylometry_counts() -> None:
    stats = stylometry.measure(["Hi! I'm here... really — truly :)", "ok 😂😂 lol", "Fine."])
    assert stats.turns == 3
    assert stats.emoji == (("😂", 2), (":)", 1))
    assert stats.ellipses_per_turn == 1 / 3
    assert stats.dashes_per_turn == 1 / 3
    assert stats.casual == (("lol", 1), ("ok", 1))
    assert stats.lowercase_start_turns == 1 / 3
    assert stats.contractions_per_100_words == 100 * 1 / stats.words


def test_signature_phrases_are_the_face_s_and_never_the_others() -> None:
    chunk = thread(CASUAL, FORMAL)
    face, others = split_turns(chunk, "Jess", ())
    found = signature.signature_phrases(chunk, face, others)
    assert [p for p, _ in found] == ["no worries", "lol"]  # by turns, then the longer first
    for phrase, (start, end) in found:
        assert chunk.text[start:end].casefold() == phrase


def test_examples_are_verbatim_face_turns_two_to_four() -> None:
    chunk = thread(CASUAL * 3, FORMAL)
    claims = [c for c in extract(chunk) if c.key.startswith("epsilon:example:")]
    face, _ = split_turns(chunk, "Jess", ())
    face_texts = {t.text_in(chunk) for t in face}
    assert 2 <= len(claims) <= 4
    assert len({c.statement for c in claims}) == len(claims)  # the same text once
    for claim in claims:
        assert claim.statement == claim.quote
        assert claim.quote in face_texts
    assert len(examples.choose(CASUAL, FORMAL)) == 2  # a quarter of 6 turns, at least 2
    assert len(examples.choose(CASUAL * 4, FORMAL)) == 4  # at most 4
    assert examples.choose(["ok", "k"], FORMAL) == []  # nothing long enough
    assert style.MIN_TURNS == 3


def test_thread_extraction_is_deterministic() -> None:
    chunk = thread(CASUAL, FORMAL)
    assert extract(chunk) == extract(chunk)
