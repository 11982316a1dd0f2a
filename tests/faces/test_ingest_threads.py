"""Thread uploads: OpenAI-style JSON, {speaker, text} JSON/JSONL, `Name: text` transcripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fased.errors import Unprocessable
from fased.faces.ingest import ParseLimits, Upload, parse_upload
from fased.faces.ingest.transcript import parse_transcript
from fased.faces.model import ThreadSource, Turn

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
LIMITS = ParseLimits()


async def parse_thread(
    name: str, data: bytes, *, face_speaker: str | None = None, content_type: str = ""
) -> ThreadSource:
    upload = Upload(
        type="thread",
        filename=name,
        content_type=content_type,
        data=data,
        face_speaker=face_speaker,
    )
    source = await parse_upload(upload, limits=LIMITS)
    assert isinstance(source, ThreadSource)
    return source


def pairs(source: ThreadSource) -> list[tuple[str, str]]:
    return [(turn.speaker, turn.text) for turn in source.turns]


async def test_openai_export_roles_are_speakers_and_instructions_are_skipped() -> None:
    source = await parse_thread("chat.json", (FIXTURES / "openai_export.json").read_bytes())
    assert source.face_speaker is None
    assert pairs(source) == [
        ("user", "Can you help me plan a sailing weekend? I'm a beginner, honestly."),
        ("assistant", "Of course! Where are you based, and how many days do you have?"),
        ("user", "Lisbon, two days. I'd rather avoid anything touristy."),
        (
            "assistant",
            "Then try a dinghy course on the Tagus at Belém: small groups, early starts.",
        ),
        ("user", "Early starts are fine — I'm up at six anyway :)"),
    ]


async def test_a_bare_list_of_messages_and_face_speaker() -> None:
    data = json.dumps(
        [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "x"}]},
            {"role": "assistant", "content": "hello"},
        ]
    ).encode()
    source = await parse_thread("x", data, content_type="application/json", face_speaker="user")
    assert pairs(source) == [("user", "hi"), ("assistant", "hello")]
    assert source.face_speaker == "user"


async def test_jsonl_speaker_lines() -> None:
    source = await parse_thread(
        "talk.jsonl", (FIXTURES / "export.jsonl").read_bytes(), face_speaker="margarida"
    )
    assert source.face_speaker == "Margarida"  # matched ignoring case, spelled as in the thread
    assert [t.speaker for t in source.turns] == [
        "Margarida",
        "Rui",
        "Margarida",
        "Rui",
        "Margarida",
    ]
    assert source.turns[-1].text == "Now. Waiting never made bad news better."


async def test_speaker_objects_in_a_json_list() -> None:
    data = b'[{"speaker": "Ana", "text": " Ol\xc3\xa1! "}, {"speaker": "Rui", "text": "Oi."}]'
    assert pairs(await parse_thread("a.json", data)) == [("Ana", "Olá!"), ("Rui", "Oi.")]


async def test_jsonl_fine_tuning_conversations_are_concatenated() -> None:
    lines = [
        {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
        {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "c"}]},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    source = await parse_thread("train.jsonl", data)
    assert pairs(source) == [("user", "a"), ("assistant", "b"), ("user", "c")]


async def test_timestamped_transcript_with_continuation_lines() -> None:
    source = await parse_thread("interview.txt", (FIXTURES / "transcript.txt").read_bytes())
    assert [t.speaker for t in source.turns] == [
        "Interviewer",
        "Margarida",
        "Interviewer",
        "Margarida",
        "Interviewer",
        "Margarida",
        "Interviewer",
        "Margarida",
    ]
    assert source.turns[1].text == (
        "Honestly? My grandfather was a fisherman in Póvoa de Varzim.\n"
        "I spent every summer on his boat, and I kept asking why the catch got smaller every "
        "year.\n"
        "Nobody could tell me."
    )
    assert source.turns[5].text == "I'm at the aquarium by seven. I swim first, always."
    assert source.turns[7].text == "Every day. Even in January. Especially in January, actually."


@pytest.mark.parametrize(
    ("line", "turn"),
    [
        ("Alice: hi", Turn("Alice", "hi")),
        ("[12:01] Alice: hi", Turn("Alice", "hi")),
        ("[12:01:59] Alice: hi", Turn("Alice", "hi")),
        ("12:01 - Alice: hi", Turn("Alice", "hi")),
        ("12:01 — Alice: hi", Turn("Alice", "hi")),
        ("(3:05 PM) Alice: hi", Turn("Alice", "hi")),
        ("[2024-05-01 12:01] Alice: hi", Turn("Alice", "hi")),
        ("1/5/24, 12:01 - Speaker 2: hi", Turn("Speaker 2", "hi")),
        ("Dr. O\u2019Brien-Smith: hi: there", Turn("Dr. O\u2019Brien-Smith", "hi: there")),
    ],
)
def test_transcript_line_forms(line: str, turn: Turn) -> None:
    assert parse_transcript(f"{line}\nBob: ok") == [turn, Turn("Bob", "ok")]


def test_what_is_not_a_turn() -> None:
    text = (
        "A title line\n"
        "Alice: first\n"
        "https://example.com/page\n"
        "a clause that is much too long to be a name: continues\n"
        "[12:02]\n"
        "[12:03] still Alice\n"
        "Bob:\n"
        "  answer on the next line\n"
        "Carol:\n"
    )
    assert parse_transcript(text) == [
        Turn(
            "Alice",
            "first\nhttps://example.com/page\n"
            "a clause that is much too long to be a name: continues\nstill Alice",
        ),
        Turn("Bob", "answer on the next line"),
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "journal.txt",
            b"Today I walked to the river.\nIt was cold.",
            "The file has no recognisable conversation turns; expected a transcript of "
            "`Name: text` lines",
        ),
        ("chat.json", b'{"conversation": []}', "The JSON file is not a chat export; expected"),
        ("chat.json", b"[]", "The JSON file has no recognisable conversation turns"),
        ("chat.json", b'{"messages": [', "The file is not valid JSON"),
        ("chat.json", b'[{"role": "user", "content": 5}]', "Item 0 of the chat export: content"),
        ("chat.json", b'[{"role": "user"}, {"who": "x"}]', "Item 1 of the chat export: expected"),
        ("chat.json", b'[{"speaker": "a"}]', "Item 0 of the chat export: text: Field required"),
        ("chat.jsonl", b'{"speaker": "a", "text": "b"}\n{oops', "line 2 of the JSONL file"),
        ("chat.jsonl", b'{"speaker": "a", "text": "b"}\n[1]', "Line 2 of the JSONL file: expected"),
        ("chat.jsonl", b'{"messages": [7]}', "Line 1 of the JSONL file: Item 0 of the chat"),
        ("chat.json", b'{"messages": "no"}', '"messages" is not a list'),
        (
            "chat.json",
            b'[{"messages": [{"messages": []}]}]',  # no conversations inside conversations
            'Item 0 of the chat export: expected an object with "role"',
        ),
        ("chat.json", b"[" * 5000 + b"]" * 5000, "The file is not valid JSON"),
    ],
)
async def test_unrecognisable_threads_are_422(name: str, data: bytes, message: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        await parse_thread(name, data)
    assert caught.value.status == 422
    assert message in caught.value.message


async def test_unknown_face_speaker_is_422_listing_the_speakers() -> None:
    with pytest.raises(Unprocessable) as caught:
        await parse_thread("t.txt", b"Alice: hi\nBob: yo", face_speaker="Carol")
    assert caught.value.param == "face_speaker"
    assert "its speakers are 'Alice', 'Bob'" in caught.value.message


async def test_face_speaker_exact_spelling_wins_over_case_folding() -> None:
    source = await parse_thread("t.txt", b"bob: a\nBob: b\nBOB: c", face_speaker="Bob")
    assert source.face_speaker == "Bob"
    with pytest.raises(Unprocessable, match="does not speak"):
        await parse_thread("t.txt", b"bob: a\nBOB: c", face_speaker="Bob")


async def test_thread_over_the_text_limit_is_422() -> None:
    data = json.dumps([{"speaker": "a", "text": "x" * 100}]).encode()
    upload = Upload(type="thread", filename="a.json", content_type="", data=data)
    with pytest.raises(Unprocessable, match="too large"):
        await parse_upload(upload, limits=ParseLimits(max_text_chars=50))
