from __future__ import annotations

import orjson
import pytest
from openai._streaming import SSEDecoder

from fased.wire.sse import DONE, PING, SSEMessage, SSEParser, encode_data, encode_event

# A stream with everything a parser meets: a comment, typed events, multi-line data, an
# empty data line, unknown fields, multi-byte UTF-8 (2, 3 and 4 bytes) and [DONE].
STREAM = (
    b": OPENROUTER PROCESSING\n\n"
    b"event: message_start\n"
    b'data: {"type":"message_start","text":"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"}\n\n'
    b"id: 7\nretry: 1000\ndata: line one\ndata: line two\n\n"
    b"data:no-space\n\n"
    b"data:\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    SSEMessage("message_start", '{"type":"message_start","text":"café € 😀"}'),
    SSEMessage(None, "line one\nline two"),
    SSEMessage(None, "no-space"),
    SSEMessage(None, ""),
    SSEMessage(None, "[DONE]"),
]


def feed_all(parser: SSEParser, pieces: list[bytes]) -> list[SSEMessage]:
    messages: list[SSEMessage] = []
    for piece in pieces:
        messages.extend(parser.feed(piece))
    return messages + parser.flush()


def test_whole_stream_in_one_chunk() -> None:
    assert feed_all(SSEParser(), [STREAM]) == EXPECTED


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_crlf_and_cr_line_endings(newline: bytes) -> None:
    assert feed_all(SSEParser(), [STREAM.replace(b"\n", newline)]) == EXPECTED


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_split_at_every_byte_gives_the_same_events(newline: bytes) -> None:
    stream = STREAM.replace(b"\n", newline)
    for cut in range(1, len(stream)):
        assert feed_all(SSEParser(), [stream[:cut], stream[cut:]]) == EXPECTED, cut


def test_byte_by_byte_including_inside_utf8_characters() -> None:
    stream = STREAM.replace(b"\n", b"\r\n")
    assert feed_all(SSEParser(), [stream[i : i + 1] for i in range(len(stream))]) == EXPECTED


def test_events_are_returned_as_soon_as_their_blank_line_arrives() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: a\n") == []
    assert parser.feed(b"\ndata: b") == [SSEMessage(None, "a")]
    assert parser.feed(b"\n\n") == [SSEMessage(None, "b")]
    assert parser.flush() == []


def test_comments_and_event_without_data_are_not_dispatched() -> None:
    parser = SSEParser()
    assert parser.feed(PING + b": another\n\nevent: ping\n\n") == []


def test_flush_parses_an_event_left_without_blank_line() -> None:
    parser = SSEParser()
    assert parser.feed(b'data: {"a":1}\n\ndata: [DONE]\r') == [SSEMessage(None, '{"a":1}')]
    assert parser.flush() == [SSEMessage(None, "[DONE]")]
    assert parser.flush() == []


def test_extra_blank_lines_between_events() -> None:
    assert feed_all(SSEParser(), [b"\n\ndata: a\n\n\n\n\ndata: b\n\n"]) == [
        SSEMessage(None, "a"),
        SSEMessage(None, "b"),
    ]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert SSEParser().feed(b"data: \xff\xfe\n\n") == [SSEMessage(None, "\ufffd\ufffd")]


def test_same_events_as_the_openai_sdk_decoder() -> None:
    stream = STREAM.replace(b"\n", b"\r\n")
    pieces = [stream[i : i + 5] for i in range(0, len(stream), 5)]
    sdk = [(e.event, e.data) for e in SSEDecoder().iter_bytes(iter(pieces))]
    ours = [(m.event, m.data) for m in feed_all(SSEParser(), pieces)]
    assert ours == sdk


def test_encoders_produce_exact_frames() -> None:
    assert encode_data({"a": [1, "é"]}) == b'data: {"a":[1,"\xc3\xa9"]}\n\n'
    assert encode_event("message_stop", {"type": "message_stop"}) == (
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    assert DONE == b"data: [DONE]\n\n"
    assert PING == b": ping\n\n"


def test_encoded_frames_parse_back() -> None:
    payload = {"text": "two\nlines", "n": 3}
    frames = encode_data(payload) + encode_event("delta", payload) + PING + DONE
    messages = SSEParser().feed(frames)
    assert [
        (m.event, orjson.loads(m.data) if m.data != "[DONE]" else m.data) for m in messages
    ] == [
        (None, payload),
        ("delta", payload),
        (None, "[DONE]"),
    ]
