"""PDF text, extracted in a child process so a hostile PDF fails its upload, never the gateway.

Why a child *interpreter* (`asyncio.create_subprocess_exec(sys.executable, "-I", pdf_worker.py)`)
rather than `multiprocessing`: the parent awaits the child's pipes and exit on the event loop
itself (no executor thread parked on `Process.join`), killing it on the wall-clock deadline is one
call, nothing is pickled, and the child does not re-import the gateway's `__main__` (the CLI) as
`spawn` would. The worker is run as a *file* in isolated mode (`-I`: no environment variables,
no user site, not even its own directory on `sys.path`), so it imports only the standard library
and pypdf: ~0.2 s of start-up instead of the ~0.5 s that importing the `fased` package costs. It
sets its own rlimits first thing (`preexec_fn` is unsafe in a process with threads), gets a
scrubbed environment (no provider keys in a process parsing hostile input), and its output is
read with a bound.

Each child may take `ParseLimits.pdf_memory_bytes` (768 MiB) of address space, so a burst of PDF
uploads must not start one child each: `PdfExtractor`, built once with the upload parsers, lets
at most `uploads.maxConcurrentPdf` children run at once; the others wait their turn in arrival
order (`asyncio.Semaphore` is FIFO), and an upload whose client goes away stops waiting without
taking or freeing a slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from fased.errors import Unprocessable
from fased.faces.ingest.upload import ParseLimits, Upload

WORKER_SCRIPT = Path(__file__).with_name("pdf_worker.py")
_READ_SIZE = 1 << 16
_BYTES_PER_CHAR = 6  # worst case of a JSON-escaped character (\uXXXX)
_WORKER_ERRORS = {
    "unreadable": "PDF could not be parsed: {detail}.",
    "encrypted": "PDF could not be parsed: {detail}; upload an unencrypted copy.",
    "too_large": "PDF could not be parsed: too large ({detail}); split it into smaller files.",
}
MAX_CHILDREN = 2  # the default of `uploads.maxConcurrentPdf`: 1.5 GiB of address space at most


async def extract_pdf_text(data: bytes, limits: ParseLimits) -> str:
    """The text of the PDF in `data`, pages separated by blank lines; 422 on any failure."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",
        "-B",
        str(WORKER_SCRIPT),
        str(limits.pdf_cpu_seconds),
        str(limits.pdf_memory_bytes),
        str(limits.pdf_max_pages),
        str(limits.max_text_chars),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={"LC_ALL": "C.UTF-8"},
    )
    try:
        async with asyncio.timeout(limits.pdf_timeout_seconds):
            output = await _exchange(process, data, limit=_output_limit(limits))
            returncode = await process.wait()
    except TimeoutError:
        raise Unprocessable(
            f"PDF could not be parsed: timed out after {limits.pdf_timeout_seconds:g} s."
        ) from None
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    return _result(output, returncode, limits)


PdfTextFunction = Callable[[bytes, ParseLimits], Awaitable[str]]


class PdfExtractor:
    """`extract_pdf_text` with at most `max_children` children at once; the rest wait (FIFO).

    `running` and `waiting` count the extractions holding a slot and those queued for one.
    `extract` is the function run in a slot (`extract_pdf_text`; a test may wrap it).
    """

    __slots__ = ("_extract", "_slots", "max_children", "running", "waiting")

    def __init__(
        self, max_children: int = MAX_CHILDREN, *, extract: PdfTextFunction = extract_pdf_text
    ) -> None:
        if max_children < 1:
            raise ValueError("max_children must be at least 1")
        self.max_children = max_children
        self.running = 0
        self.waiting = 0
        self._slots = asyncio.Semaphore(max_children)
        self._extract = extract

    async def text(self, upload: Upload, limits: ParseLimits) -> str:
        """The PDF's text, once a slot is free (a text extractor for the parser registry)."""
        self.waiting += 1
        try:
            await self._slots.acquire()  # cancelled while waiting: nothing taken, nothing freed
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            return await self._extract(upload.data, limits)
        finally:
            self.running -= 1
            self._slots.release()


def _output_limit(limits: ParseLimits) -> int:
    return limits.max_text_chars * _BYTES_PER_CHAR + 4096


async def _exchange(process: asyncio.subprocess.Process, data: bytes, *, limit: int) -> bytes:
    """Send `data` on the child's stdin, then read its stdout up to `limit` bytes."""
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(data)
        await process.stdin.drain()
        process.stdin.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the child died early; its exit status says why
    output = bytearray()
    while chunk := await process.stdout.read(_READ_SIZE):
        output += chunk
        if len(output) > limit:
            raise Unprocessable("PDF could not be parsed: too large (its text exceeds the limit).")
    return bytes(output)


def _result(output: bytes, returncode: int, limits: ParseLimits) -> str:
    if returncode == -signal.SIGXCPU:
        raise Unprocessable(
            f"PDF could not be parsed: timed out (CPU limit of {limits.pdf_cpu_seconds} s)."
        )
    if returncode == -signal.SIGKILL:  # the hard CPU limit, or the kernel out of memory
        raise Unprocessable("PDF could not be parsed: the parser was killed at a resource limit.")
    if returncode != 0:
        raise Unprocessable(f"PDF could not be parsed: the parser crashed ({_exit(returncode)}).")
    try:
        result = json.loads(output)
    except ValueError as exc:
        raise Unprocessable("PDF could not be parsed: the parser gave no result.") from exc
    if "error" in result:
        template = _WORKER_ERRORS.get(result["error"], _WORKER_ERRORS["unreadable"])
        raise Unprocessable(template.format(detail=str(result.get("detail", "")).rstrip(".")))
    return str(result["text"])


def _exit(returncode: int) -> str:
    try:
        return f"signal {signal.Signals(-returncode).name}"
    except ValueError:
        return f"exit status {returncode}"
