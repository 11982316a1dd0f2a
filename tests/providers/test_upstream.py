"""The shared HTTP side's pure parts: Retry-After, upstream error bodies, SSE framing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from fased.canonical import Event, TextDelta
from fased.providers.upstream import SSEEvents, error_detail, parse_retry_after


def test_retry_after_forms() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after("1.2") == 2
    assert 28 <= (parse_retry_after(later) or 0) <= 30
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_error_detail_reads_every_format_s_error_body() -> None:
    openai = b'{"error":{"message":"bad model","type":"invalid_request_error"}}'
    anthropic = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    assert error_detail(openai) == "bad model"
    assert error_detail(anthropic) == "Overloaded"
    assert error_detail(b'{"detail":"Not Found"}') == "Not Found"
    assert error_detail(b"<html>Bad Gateway</html>\n") == "<html>Bad Gateway</html>"


class Recorder:
    def __init__(self) -> None:
        self.fed: list[object] = []

    def feed(self, data: object) -> list[Event]:
        self.fed.append(data)
        return [TextDelta(str(data))]

    def close(self) -> list[Event]:
        return [TextDelta("closed")]


def test_sse_events_split_anywhere_and_stop_at_done() -> None:
    """Fed a byte at a time, as the network may split it; `done` after `[DONE]` (the reader
    stops there), and `close` then adds only the decoder's closing events."""
    recorder = Recorder()
    stream = SSEEvents(recorder)
    wire = b'event: a\ndata: {"type":"a"}\n\n: ping\n\ndata: 2\n\ndata: [DONE]\n\ndata: 3\n\n'
    events: list[Event] = []
    for i in range(len(wire)):
        events += stream.feed(wire[i : i + 1])
        if stream.done:
            break
    assert recorder.fed == [{"type": "a"}, 2]
    assert events + stream.close() == [
        TextDelta("{'type': 'a'}"),
        TextDelta("2"),
        TextDelta("closed"),
    ]


def test_an_unterminated_last_event_is_read_at_the_end() -> None:
    recorder = Recorder()
    stream = SSEEvents(recorder)
    assert stream.feed(b'data: {"x": 1}') == []
    assert stream.close() == [TextDelta("{'x': 1}"), TextDelta("closed")]
