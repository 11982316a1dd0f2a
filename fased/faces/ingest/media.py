"""Audio and video uploads: transcribed into text by an OpenAI-compatible endpoint.

- Audio goes to `POST {base_url}/audio/transcriptions` as multipart (`file`, `model`,
  `response_format=json`) and the reply's `text` is the upload's text.
- Video first has its audio track extracted with `ffmpeg` (mono 16 kHz AAC, so a long video stays
  under the endpoints' upload limits); without ffmpeg on PATH it is a 422 saying so.
- No transcription configured → 422 naming the configuration needed.
- The text then becomes a document, or, uploaded as `type=thread`, is parsed as a `Name: text`
  transcript (plain transcriptions carry no speaker labels, so that is a 422 unless the
  provider's transcript has them).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from fased.errors import Unprocessable, UpstreamError, UpstreamTimeout
from fased.faces.ingest.upload import ParseLimits, Upload

TRANSCRIPTION_NOT_CONFIGURED = (
    "Audio and video uploads are transcribed first, and no transcription is configured: "
    "configure uploads.transcription (provider with an OpenAI-compatible "
    "/audio/transcriptions endpoint, and model)."
)
FFMPEG_MISSING = (
    "Video uploads need ffmpeg to extract their audio track, and ffmpeg is not installed on the "
    "gateway's host: install ffmpeg (it must be on PATH), or upload the audio track instead."
)
_ERROR_CHARS = 300
_STDERR_TAIL = 4096
_NO_AUDIO_MARKERS = ("matches no streams", "does not contain any stream")


@dataclass(frozen=True, slots=True)
class Transcriber:
    """A configured transcription endpoint, using the gateway's pooled HTTP session."""

    session: aiohttp.ClientSession
    base_url: str
    model: str
    api_key: str | None = None


async def transcribe(
    session: aiohttp.ClientSession,
    *,
    base_url: str,
    api_key: str | None,
    model: str,
    data: bytes,
    filename: str,
    content_type: str,
    time_limit: float,
) -> str:
    """The text of the audio in `data`, from `{base_url}/audio/transcriptions`."""
    form = aiohttp.FormData()
    form.add_field("model", model)
    form.add_field("response_format", "json")
    form.add_field("file", data, filename=filename, content_type=content_type)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = f"{base_url.rstrip('/')}/audio/transcriptions"
    try:
        async with session.post(
            url, data=form, headers=headers, timeout=aiohttp.ClientTimeout(total=time_limit)
        ) as response:
            if response.status >= 400:
                detail = (await response.text())[:_ERROR_CHARS]
                raise UpstreamError(
                    f"The transcription provider answered HTTP {response.status}: {detail}"
                )
            body = await response.json(content_type=None)
    except TimeoutError as exc:
        raise UpstreamTimeout(
            f"The transcription provider did not answer in {time_limit:g} s."
        ) from exc
    except (aiohttp.ClientError, ValueError) as exc:
        raise UpstreamError(f"The transcription request failed: {type(exc).__name__}.") from exc
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise UpstreamError('The transcription provider\'s reply has no "text" field.')
    return str(body["text"])


async def extract_audio(data: bytes, *, ffmpeg: str, time_limit: float) -> bytes:
    """The first audio track of the video in `data`, as mono 16 kHz AAC in an M4A file."""
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="fased-media-"))
    try:
        source, target = workdir / "input", workdir / "audio.m4a"
        await asyncio.to_thread(source.write_bytes, data)
        await _run_ffmpeg(ffmpeg, source, target, time_limit=time_limit)
        return await asyncio.to_thread(target.read_bytes)
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)


async def _run_ffmpeg(ffmpeg: str, source: Path, target: Path, *, time_limit: float) -> None:
    process = await asyncio.create_subprocess_exec(
        *(ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source)),
        *("-map", "0:a:0", "-vn", "-ac", "1", "-ar", "16000", "-c:a", "aac", "-b:a", "64k"),
        str(target),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(time_limit):
            stderr = await _tail(process.stderr)
            returncode = await process.wait()
    except TimeoutError:
        raise Unprocessable(
            f"Extracting the video's audio timed out after {time_limit:g} s."
        ) from None
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    if returncode != 0:
        raise Unprocessable(_ffmpeg_failure(stderr.replace(str(source), "the video")))


async def _tail(stream: asyncio.StreamReader | None) -> str:
    """The last few KiB a stream carries, read to its end (bounded memory)."""
    kept = b""
    while stream is not None and (chunk := await stream.read(1 << 16)):
        kept = (kept + chunk)[-_STDERR_TAIL:]
    return kept.decode("utf-8", "replace")


def _ffmpeg_failure(stderr: str) -> str:
    if any(marker in stderr for marker in _NO_AUDIO_MARKERS):
        return "The video has no audio track to transcribe."
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    reason = lines[-1][:_ERROR_CHARS] if lines else "unknown error"
    return f"Could not extract the video's audio track with ffmpeg: {reason}"


class MediaText:
    """Text extractors for audio and video uploads, for the parser registry."""

    __slots__ = ("_ffmpeg", "_transcriber")

    def __init__(self, transcriber: Transcriber | None, *, ffmpeg: str | None) -> None:
        self._transcriber = transcriber
        self._ffmpeg = ffmpeg

    async def audio(self, upload: Upload, limits: ParseLimits) -> str:
        content_type = upload.content_type or "application/octet-stream"
        return await self._transcribe(upload.data, upload.filename, content_type, limits)

    async def video(self, upload: Upload, limits: ParseLimits) -> str:
        self._configured()  # the missing configuration first: no point extracting audio
        if self._ffmpeg is None:
            raise Unprocessable(FFMPEG_MISSING)
        audio = await extract_audio(
            upload.data, ffmpeg=self._ffmpeg, time_limit=limits.ffmpeg_timeout_seconds
        )
        return await self._transcribe(audio, "audio.m4a", "audio/mp4", limits)

    async def _transcribe(
        self, data: bytes, filename: str, content_type: str, limits: ParseLimits
    ) -> str:
        transcriber = self._configured()
        return await transcribe(
            transcriber.session,
            base_url=transcriber.base_url,
            api_key=transcriber.api_key,
            model=transcriber.model,
            data=data,
            filename=Path(filename).name or "audio",
            content_type=content_type,
            time_limit=limits.transcription_timeout_seconds,
        )

    def _configured(self) -> Transcriber:
        if self._transcriber is None:
            raise Unprocessable(TRANSCRIPTION_NOT_CONFIGURED)
        return self._transcriber
