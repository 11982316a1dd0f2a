"""Audio and video uploads, transcribed by a fake OpenAI-compatible endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from fased.errors import Unprocessable, UpstreamError, UpstreamTimeout
from fased.faces.ingest import (
    ParseLimits,
    ParserRegistry,
    Transcriber,
    Upload,
    UploadKind,
    build_registry,
    parse_upload,
)
from fased.faces.ingest.media import FFMPEG_MISSING, TRANSCRIPTION_NOT_CONFIGURED
from fased.faces.model import DocumentSource, ThreadSource

API_KEY = "sk-test-transcription"
MODEL = "whisper-1"
FFMPEG = shutil.which("ffmpeg")
LIMITS = ParseLimits(ffmpeg_timeout_seconds=30, transcription_timeout_seconds=5)


@dataclass
class Field:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class FakeTranscriptions:
    """`POST /v1/audio/transcriptions`: records each multipart request, answers `reply`."""

    reply: str = "I moved to Lisbon two years ago. I swim every morning."
    status: int = 200
    delay: float = 0.0
    requests: list[dict[str, Field]] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.authorizations.append(request.headers.get("Authorization"))
        fields: dict[str, Field] = {}
        async for part in await request.multipart():
            assert isinstance(part, aiohttp.BodyPartReader)
            assert part.name is not None
            content_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE)
            fields[part.name] = Field(part.filename, content_type, await part.read())
        self.requests.append(fields)
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "model overloaded"}}, status=self.status)
        return web.json_response({"text": self.reply})


Rig = tuple[FakeTranscriptions, aiohttp.ClientSession, str]


@pytest.fixture
async def rig(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> AsyncIterator[Rig]:
    fake = FakeTranscriptions()
    app = web.Application()
    app.router.add_post("/v1/audio/transcriptions", fake.handle)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as session:
        yield fake, session, str(server.make_url("/v1"))


def registry_for(rig: Rig, *, ffmpeg: str | None = FFMPEG) -> ParserRegistry:
    _, session, base_url = rig
    transcriber = Transcriber(session=session, base_url=base_url, model=MODEL, api_key=API_KEY)
    return build_registry(transcriber, ffmpeg=ffmpeg)


def media(name: str, data: bytes, kind: UploadKind = "document", content_type: str = "") -> Upload:
    return Upload(kind, name, content_type, data)


AUDIO = b"ID3\x04\x00fake-mp3-frames" * 20


async def test_audio_is_transcribed_into_a_document(rig: Rig) -> None:
    fake = rig[0]
    upload = media("memo.mp3", AUDIO, content_type="audio/mpeg")
    source = await parse_upload(upload, limits=LIMITS, registry=registry_for(rig))
    assert source == DocumentSource(fake.reply, "first-person")
    [request] = fake.requests
    assert fake.authorizations == [f"Bearer {API_KEY}"]
    assert request["model"].data == MODEL.encode()
    assert request["response_format"].data == b"json"
    assert request["file"] == Field("memo.mp3", "audio/mpeg", AUDIO)


async def test_audio_uploaded_as_a_thread_needs_speaker_labels(rig: Rig) -> None:
    fake = rig[0]
    registry = registry_for(rig)
    fake.reply = "Interviewer: Where do you live?\nMargarida: In Lisbon, by the river."
    source = await parse_upload(
        media("talk.m4a", AUDIO, "thread"), limits=LIMITS, registry=registry
    )
    assert isinstance(source, ThreadSource)
    assert [t.speaker for t in source.turns] == ["Interviewer", "Margarida"]
    fake.reply = "where do you live in lisbon by the river"
    with pytest.raises(Unprocessable, match="The transcribed audio has no recognisable"):
        await parse_upload(media("talk.m4a", AUDIO, "thread"), limits=LIMITS, registry=registry)


async def test_no_transcription_configured_is_422_naming_the_configuration() -> None:
    for name in ("memo.mp3", "clip.mp4"):
        with pytest.raises(Unprocessable) as caught:
            await parse_upload(media(name, AUDIO), limits=LIMITS, registry=build_registry(None))
        assert caught.value.status == 422
        assert caught.value.message == TRANSCRIPTION_NOT_CONFIGURED
        assert (
            "configure uploads.transcription (provider with an OpenAI-compatible "
            "/audio/transcriptions endpoint, and model)" in caught.value.message
        )


async def test_provider_errors_are_upstream_errors_without_the_key(rig: Rig) -> None:
    fake = rig[0]
    fake.status = 503
    with pytest.raises(UpstreamError) as caught:
        await parse_upload(media("a.wav", AUDIO), limits=LIMITS, registry=registry_for(rig))
    assert caught.value.status == 502
    assert "HTTP 503" in caught.value.message
    assert "model overloaded" in caught.value.message
    assert API_KEY not in caught.value.message


async def test_a_slow_provider_times_out(rig: Rig) -> None:
    rig[0].delay = 2.0
    limits = ParseLimits(transcription_timeout_seconds=0.3)
    with pytest.raises(UpstreamTimeout, match=r"did not answer in 0.3 s"):
        await parse_upload(media("a.ogg", AUDIO), limits=limits, registry=registry_for(rig))


async def test_an_unreachable_provider_is_an_upstream_error() -> None:
    async with aiohttp.ClientSession() as session:
        transcriber = Transcriber(session, "http://127.0.0.1:9/v1", MODEL)
        registry = build_registry(transcriber, ffmpeg=None)
        with pytest.raises(UpstreamError, match="The transcription request failed"):
            await parse_upload(media("a.flac", AUDIO), limits=LIMITS, registry=registry)


async def test_video_without_ffmpeg_is_422_saying_so(rig: Rig) -> None:
    registry = registry_for(rig, ffmpeg=None)
    with pytest.raises(Unprocessable) as caught:
        await parse_upload(
            media("clip.mp4", b"\x00\x00\x00\x18ftypmp42"), limits=LIMITS, registry=registry
        )
    assert caught.value.message == FFMPEG_MISSING
    assert rig[0].requests == []


def make_video(path: Path, *, audio: bool) -> bytes:
    assert FFMPEG is not None
    picture = ["-f", "lavfi", "-i", "testsrc=size=64x64:rate=5:duration=1"]
    sound = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"] if audio else []
    quiet = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run(
        [FFMPEG, *quiet, *picture, *sound, "-c:v", "mpeg4", "-shortest", str(path)],
        check=True,
        timeout=60,
    )
    return path.read_bytes()


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed: the 422 path is tested above")
async def test_video_audio_track_is_extracted_with_ffmpeg(rig: Rig, tmp_path: Path) -> None:
    fake = rig[0]
    video = make_video(tmp_path / "clip.mp4", audio=True)
    upload = media("clip.mp4", video, content_type="video/mp4")
    source = await parse_upload(upload, limits=LIMITS, registry=registry_for(rig))
    assert source == DocumentSource(fake.reply)
    sent = fake.requests[0]["file"]
    assert (sent.filename, sent.content_type) == ("audio.m4a", "audio/mp4")
    assert sent.data[4:8] == b"ftyp"
    assert 0 < len(sent.data) < len(video)


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed: the 422 path is tested above")
async def test_a_video_without_audio_is_422(rig: Rig, tmp_path: Path) -> None:
    video = make_video(tmp_path / "silent.mp4", audio=False)
    with pytest.raises(Unprocessable, match="The video has no audio track to transcribe"):
        await parse_upload(media("silent.mp4", video), limits=LIMITS, registry=registry_for(rig))
    with pytest.raises(Unprocessable, match="Could not extract the video's audio track"):
        await parse_upload(
            media("junk.mkv", b"not a video"), limits=LIMITS, registry=registry_for(rig)
        )
    assert rig[0].requests == []
