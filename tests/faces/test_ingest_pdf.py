"""PDF uploads: real text extraction in a child process, and hostile PDFs that fail alone."""

from __future__ import annotations

import asyncio
import io
import os
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest

from fased.errors import Unprocessable
from fased.faces.ingest import ParseLimits, Upload, UploadKind, parse_upload
from fased.faces.ingest.pdf import PdfExtractor, extract_pdf_text
from fased.faces.model import DocumentSource, ThreadSource

FAST = ParseLimits(pdf_cpu_seconds=2, pdf_timeout_seconds=6)
SLACK_SECONDS = 2.0  # start-up and scheduling on a busy CI machine

CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def make_pdf(objects: list[bytes]) -> bytes:
    """A PDF file of `objects` (numbered from 1, the first is the catalog) with a correct xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def stream(content: bytes, *, compress: bool = False) -> bytes:
    if compress:
        content = zlib.compress(content, 9)
    flate = b" /Filter /FlateDecode" if compress else b""
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(content), flate, content)


def text_ops(*lines: str) -> bytes:
    def literal(text: str) -> bytes:
        escaped = text.encode("latin-1").replace(b"\\", b"\\\\")
        return b"(" + escaped.replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

    shown = b"".join(literal(line) + b" Tj T*\n" for line in lines)
    return b"BT /F1 12 Tf 72 720 Td 14 TL\n" + shown + b"ET"


def text_pdf(*pages: bytes, compress: bool = False, page_extra: bytes = b"") -> bytes:
    """A PDF whose pages draw the given content streams in Helvetica."""
    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(pages)))
    objects = [CATALOG, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)), FONT]
    for i, content in enumerate(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R %s>>"
            % (5 + 2 * i, page_extra)
        )
        objects.append(stream(content, compress=compress))
    return make_pdf(objects)


def pdf_upload(
    data: bytes, kind: UploadKind = "document", *, face_speaker: str | None = None
) -> Upload:
    return Upload(kind, "file.pdf", "application/pdf", data, face_speaker=face_speaker)


def child_processes() -> set[int]:
    """This process's live children (Linux /proc)."""
    children: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        children.update(int(pid) for pid in (task / "children").read_text().split())
    return children


async def test_a_real_pdf_becomes_a_document() -> None:
    data = text_pdf(
        text_ops("I grew up in Braga, by the river.", "I swim every morning (even in winter)."),
        text_ops("Page two: I value honesty over tact."),
        compress=True,
    )
    source = await parse_upload(pdf_upload(data), limits=FAST)
    assert source == DocumentSource(
        "I grew up in Braga, by the river.\nI swim every morning (even in winter).\n\n"
        "Page two: I value honesty over tact.",
        "first-person",
    )


async def test_a_pdf_transcript_becomes_a_thread() -> None:
    data = text_pdf(text_ops("Alice: Did you swim today?", "Bob: Of course. Always."))
    source = await parse_upload(pdf_upload(data, "thread", face_speaker="Bob"), limits=FAST)
    assert isinstance(source, ThreadSource)
    assert [(t.speaker, t.text) for t in source.turns] == [
        ("Alice", "Did you swim today?"),
        ("Bob", "Of course. Always."),
    ]
    assert source.face_speaker == "Bob"


async def test_a_pdf_without_text_is_422() -> None:
    with pytest.raises(Unprocessable, match="The PDF has no text to compile"):
        await parse_upload(pdf_upload(text_pdf(b"0 0 m 10 10 l S")), limits=FAST)


def encrypted_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flate_bomb() -> bytes:
    """A page whose content stream inflates from ~120 KB to 120 MB."""
    squeeze = zlib.compressobj(9)
    bomb = b"".join(squeeze.compress(b" " * (1 << 20)) for _ in range(120)) + squeeze.flush()
    return precompressed_pdf(bomb)


def precompressed_pdf(content: bytes) -> bytes:
    """A one-page PDF whose content stream is `content`, already Flate-compressed."""
    body = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content)
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
    )
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
    return make_pdf([CATALOG, pages, page, body, FONT])


def page_tree_cycle() -> bytes:
    return make_pdf(
        [
            CATALOG,
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
        ]
    )


DEPTH = 200_000


def nested(opening: bytes, closing: bytes) -> Callable[[], bytes]:
    return lambda: text_pdf(
        text_ops("x"), page_extra=b"/Deep %s%s " % (opening * DEPTH, closing * DEPTH)
    )


def endless_text_operators() -> bytes:
    return text_pdf(b"BT /F1 1 Tf " + b"(a) Tj 0 0 Td " * 2_000_000 + b"ET", compress=True)


# name → (how to build it, how its failure message starts); built lazily, in the test.
HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "garbage bytes": (lambda: os.urandom(4096), "PDF could not be parsed: "),
    "empty file": (lambda: b"", "PDF could not be parsed: EmptyFileError"),
    "truncated": (lambda: text_pdf(text_ops("cut"))[:200], "PDF could not be parsed: "),
    "deeply nested arrays": (nested(b"[", b"]"), "PDF could not be parsed: "),
    "deeply nested dictionaries": (nested(b"<< /A ", b">>"), "PDF could not be parsed: "),
    "flate bomb": (flate_bomb, "PDF could not be parsed: too large"),
    "cyclic page tree": (page_tree_cycle, "PDF could not be parsed: "),
    "encrypted": (encrypted_pdf, "PDF could not be parsed: it is password-protected; upload"),
    "endless text operators": (
        endless_text_operators,
        "PDF could not be parsed: timed out (CPU limit of 2 s)",
    ),
}


@pytest.mark.parametrize("name", HOSTILE)
async def test_a_hostile_pdf_fails_only_its_own_parse(name: str) -> None:
    build, message = HOSTILE[name]
    data = build()
    limits = ParseLimits(pdf_cpu_seconds=2, pdf_timeout_seconds=6, max_text_chars=10**8)
    started = time.monotonic()
    with pytest.raises(Unprocessable) as caught:
        await extract_pdf_text(data, limits)
    assert caught.value.status == 422
    assert caught.value.message.startswith(message), caught.value.message
    assert time.monotonic() - started < limits.pdf_timeout_seconds + SLACK_SECONDS
    assert not child_processes()
    # … and this process is fine: the next PDF parses.
    assert await extract_pdf_text(text_pdf(text_ops("still here")), FAST) == "still here"


async def test_the_text_size_cap() -> None:
    data = text_pdf(text_ops(*["A" * 200] * 1000), compress=True)
    limits = ParseLimits(max_text_chars=50_000)
    with pytest.raises(Unprocessable, match=r"too large \(more than 50000 characters of text\)"):
        await extract_pdf_text(data, limits)


async def test_the_memory_limit() -> None:
    squeeze = zlib.compressobj(9)
    ops = b"".join(squeeze.compress(b"(a) Tj " * (1 << 17)) for _ in range(70)) + squeeze.flush()
    data = precompressed_pdf(ops)  # 64 MB of text operators: under pypdf's own limits
    limits = ParseLimits(pdf_memory_bytes=150 * 1024 * 1024, max_text_chars=10**9)
    with pytest.raises(Unprocessable, match="PDF could not be parsed: too large"):
        await extract_pdf_text(data, limits)


async def test_the_page_limit() -> None:
    data = text_pdf(*[text_ops(f"page {n}") for n in range(5)])
    with pytest.raises(Unprocessable, match=r"too large \(5 pages, limit 3\)"):
        await extract_pdf_text(data, ParseLimits(pdf_max_pages=3))


async def test_the_wall_clock_deadline_kills_the_child() -> None:
    started = time.monotonic()
    with pytest.raises(Unprocessable, match=r"PDF could not be parsed: timed out after 0.01 s\."):
        await extract_pdf_text(text_pdf(text_ops("x")), ParseLimits(pdf_timeout_seconds=0.01))
    assert time.monotonic() - started < 1.0
    assert not child_processes()


async def test_the_event_loop_stays_responsive_while_a_pdf_burns_cpu() -> None:
    busy = text_pdf(b"BT /F1 1 Tf " + b"(a) Tj 0 0 Td " * 1_000_000 + b"ET", compress=True)
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    try:
        results = await asyncio.gather(
            extract_pdf_text(busy, ParseLimits(pdf_cpu_seconds=1, max_text_chars=10**8)),
            extract_pdf_text(text_pdf(text_ops("fine")), FAST),
            return_exceptions=True,
        )
    finally:
        ticking.cancel()
    assert isinstance(results[0], Unprocessable)
    assert results[1] == "fine"
    assert max(gaps) < 0.5  # parsing on the loop would block it for over a second


# --- how many children at once ------------------------------------------------------------------


@pytest.mark.parametrize(("slots", "expected"), [(1, "one after the other"), (2, "together")])
async def test_the_children_run_within_the_extractors_slots(slots: int, expected: str) -> None:
    events: list[str] = []

    async def recorded(data: bytes, limits: ParseLimits) -> str:  # the real child, observed
        events.append("start")
        text = await extract_pdf_text(data, limits)
        events.append(f"end {text}")
        return text

    pdf = PdfExtractor(slots, extract=recorded)
    uploads = [pdf_upload(text_pdf(text_ops(word))) for word in ("one", "two")]
    assert await asyncio.gather(*(pdf.text(u, FAST) for u in uploads)) == ["one", "two"]
    if expected == "one after the other":
        assert events == ["start", "end one", "start", "end two"]
    else:
        assert events[:2] == ["start", "start"]
    assert (pdf.running, pdf.waiting) == (0, 0)
    assert not child_processes()


class Held:
    """A stand-in for the child: each extraction runs until the test lets it end."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    async def __call__(self, data: bytes, limits: ParseLimits) -> str:
        name = data.decode()
        self.started.append(name)
        await self.gates.setdefault(name, asyncio.Event()).wait()
        return name

    def end(self, name: str) -> None:
        self.gates.setdefault(name, asyncio.Event()).set()


async def settle() -> None:
    """Let every task that can run take its steps (no clock involved)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_client_gone_while_waiting_takes_and_frees_no_slot() -> None:
    held = Held()
    pdf = PdfExtractor(1, extract=held)

    def extract(name: str) -> asyncio.Task[str]:
        return asyncio.create_task(pdf.text(pdf_upload(name.encode()), FAST))

    first, second = extract("first"), extract("second")
    await settle()
    assert held.started == ["first"] and (pdf.running, pdf.waiting) == (1, 1)
    second.cancel()  # its client went away while it waited
    with pytest.raises(asyncio.CancelledError):
        await second
    assert (pdf.running, pdf.waiting) == (1, 0)
    third, fourth = extract("third"), extract("fourth")
    await settle()
    assert held.started == ["first"] and (pdf.running, pdf.waiting) == (1, 2)  # still first's
    held.end("first")
    assert await first == "first"
    await settle()
    assert held.started == ["first", "third"] and (pdf.running, pdf.waiting) == (1, 1)
    third.cancel()  # its client went away while its child ran: the slot passes on
    with pytest.raises(asyncio.CancelledError):
        await third
    await settle()
    assert held.started == ["first", "third", "fourth"] and (pdf.running, pdf.waiting) == (1, 0)
    held.end("fourth")
    assert await fourth == "fourth"
    assert (pdf.running, pdf.waiting) == (0, 0)
