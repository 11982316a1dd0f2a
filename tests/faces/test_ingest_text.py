"""Document uploads (text, Markdown) and the registry's format recognition and 415s."""

from __future__ import annotations

import codecs
import time
from pathlib import Path

import pytest

from fased.errors import Unprocessable, UnsupportedMediaType
from fased.faces.ingest import ParseLimits, Upload, UploadKind, build_registry, parse_upload
from fased.faces.ingest.formats import FORMATS, detect
from fased.faces.ingest.markdown import strip_markdown
from fased.faces.model import DocumentSource, Perspective, ThreadSource

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
LIMITS = ParseLimits()


def upload(
    name: str,
    data: bytes,
    *,
    kind: UploadKind = "document",
    content_type: str = "",
    perspective: Perspective = "first-person",
) -> Upload:
    return Upload(kind, name, content_type, data, perspective=perspective)


async def parse_document(
    name: str, data: bytes, *, content_type: str = "", perspective: Perspective = "first-person"
) -> DocumentSource:
    made = upload(name, data, content_type=content_type, perspective=perspective)
    source = await parse_upload(made, limits=LIMITS)
    assert isinstance(source, DocumentSource)
    return source


async def test_third_person_bio_in_plain_text() -> None:
    data = (FIXTURES / "bio.txt").read_bytes()
    source = await parse_document(
        "bio.txt", data, content_type="text/plain; charset=utf-8", perspective="third-person"
    )
    assert source.perspective == "third-person"
    assert source.text == data.decode()
    assert "Oceanário de Lisboa" in source.text


async def test_first_person_journal_in_markdown_loses_its_markup() -> None:
    source = await parse_document("journal.md", (FIXTURES / "journal.md").read_bytes())
    text = source.text
    assert source.perspective == "first-person"
    assert text.startswith("Journal — spring\n\nMonday, 3 March\n\n")
    assert "I'm 34 and I live in Lisbon now" in text
    assert "moved here\nfrom Porto two years ago" in text
    assert "I work as a marine biologist at the aquarium." in text
    assert "Note to self: stop saying yes" in text
    assert "finish the kelp survey\nlearn to sail properly\nread more fiction" in text
    assert "swim log: 2.1 km, 48 min" in text
    assert "See https://example.org/route for the route." in text
    for markup in ("#", "**", "](", "```", "title:", "- [", "> ", "---", "_marine"):
        assert markup not in text, markup


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("## Heading ##", "Heading"),
        ("Title\n=====\nbody", "Title\n\nbody"),
        ("a *b* __c__ ~~d~~ `e`", "a b c d e"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        (r"\*not emphasis\* and \# not a heading", "*not emphasis* and # not a heading"),
        ("![alt text](img.png) [link][ref]\n\n[ref]: https://x.example", "alt text link"),
        ("1. one\n2) two\n* three", "one\ntwo\nthree"),
        ("| a | b |\n|:--|--:|\n| 1 | 2 |", "a; b\n\n1; 2"),
        ("<!-- hidden -->x<br/>y <span class='k'>z</span>", "xy z"),
        ("~~~\n**kept** as code\n~~~", "**kept** as code"),
        ("> > nested quote", "nested quote"),
    ],
)
def test_markdown_rules(markdown: str, text: str) -> None:
    assert strip_markdown(markdown) == text


async def test_utf16_with_bom_and_crlf_are_accepted() -> None:
    data = codecs.BOM_UTF16_LE + "I like tea.\r\nA lot.".encode("utf-16-le")
    assert (await parse_document("notes.txt", data)).text == "I like tea.\nA lot."


async def test_utf8_bom_is_dropped() -> None:
    data = codecs.BOM_UTF8 + b"Hello."
    assert (await parse_document("notes.txt", data)).text == "Hello."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"caf\xe9 au lait", "not valid UTF-8 text (undecodable byte at offset 3)"),
        (b"abc\x00\x01\x02", "contains NUL bytes"),
        (b"  \n\n\t ", "has no text to compile"),
    ],
)
async def test_bad_text_is_422(data: bytes, message: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        await parse_document("notes.txt", data)
    assert caught.value.status == 422
    assert message in caught.value.message


async def test_text_over_the_limit_is_422() -> None:
    with pytest.raises(Unprocessable, match="too large: 11 characters of text, the limit is 10"):
        await parse_upload(upload("a.txt", b"hello world"), limits=ParseLimits(max_text_chars=10))


@pytest.mark.parametrize(
    ("filename", "content_type", "expected"),
    [
        ("a.md", "text/plain", "markdown"),  # the extension is more specific than text/plain
        ("a.MD", "application/octet-stream", "markdown"),
        ("chat.jsonl", "application/json", "jsonl"),
        ("paper", "application/pdf", "pdf"),
        ("x", "text/markdown; charset=UTF-8", "markdown"),
        ("voice", "audio/x-m4a", "audio"),
        ("clip.MOV", "", "video"),
        ("C:\\Users\\me\\notes.txt", "", "text"),
        ("archive.zip", "application/zip", None),
        ("noext", "application/octet-stream", None),
    ],
)
def test_format_detection(filename: str, content_type: str, expected: str | None) -> None:
    found = detect(FORMATS, filename, content_type)
    assert (found.name if found else None) == expected


async def test_unknown_type_is_415_naming_the_supported_types() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        await parse_upload(
            upload("cv.docx", b"PK\x03\x04", content_type="application/msword"), limits=LIMITS
        )
    error = caught.value
    assert error.status == 415
    assert "'cv.docx' (application/msword)" in error.message
    assert "Supported for type=document: plain text (.txt" in error.message
    for label in ("Markdown (.md", "PDF (.pdf)", "audio (", "video ("):
        assert label in error.message
    assert "JSON" not in error.message


async def test_json_as_a_document_is_415_pointing_at_thread() -> None:
    with pytest.raises(UnsupportedMediaType, match="accepted only as type=thread"):
        await parse_upload(upload("chat.json", b"[]"), limits=LIMITS)


async def test_a_registered_parser_extends_the_registry() -> None:
    registry = build_registry(ffmpeg=None)

    async def shouting(upload: Upload, limits: ParseLimits) -> DocumentSource:
        return DocumentSource(upload.data.decode().upper())

    registry.register("document", "json", shouting)
    source = await parse_upload(upload("a.json", b"{}"), limits=LIMITS, registry=registry)
    assert source == DocumentSource("{}")
    with pytest.raises(ValueError, match="unknown upload format"):
        registry.register("document", "docx", shouting)


async def test_markdown_can_be_a_thread_transcript() -> None:
    data = b"**Alice:** I *love* tea.\n**Bob:** Coffee, [always](http://x)."
    source = await parse_upload(upload("chat.md", data, kind="thread"), limits=LIMITS)
    assert isinstance(source, ThreadSource)
    assert [(t.speaker, t.text) for t in source.turns] == [
        ("Alice", "I love tea."),
        ("Bob", "Coffee, always."),
    ]


def test_hostile_markdown_costs_linear_time() -> None:
    started = time.monotonic()
    for hostile in ("*a ", "_a ", "[a ", "[a](b ", "``a `", "~~a ", "**a ", "<a "):
        strip_markdown(hostile * 100_000)
    assert time.monotonic() - started < 10  # quadratic rules took minutes on these
