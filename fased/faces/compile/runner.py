"""`CompileRunner`: compile jobs (documents in `preparing`) run by asyncio workers (SPEC §8.3).

- `compile.workers` workers run in the gateway process (0: none; `fased worker` processes take
  the jobs). Each claims the oldest free job in the database (`DocumentStore.claim_next`), so
  workers of several processes share one queue, and compiles it chunk by chunk from its last
  completed chunk: chunk i's claims and `chunks_completed = i + 1` are written in one
  transaction, so a restart (or a crash) resumes exactly there and recompiles nothing twice.
- CPU work (chunking, the offline extractors) runs in worker threads, never on the event loop;
  an async extractor (the LLM) is awaited on the loop.
- A job's claim is renewed with every chunk; one not renewed for `lease_seconds` (a process
  that died) is taken by another worker. Worker ids are `host/pid/nonce-n`: at start, the jobs
  held by processes of this host that no longer exist are freed at once, so a gateway killed
  mid-compile resumes its jobs as soon as it is back.
- A failure (a model error, a bad answer) fails only its document, with the error recorded;
  `make` on it resumes from the chunk that failed.
- Hooks: `on_progress(owner_id, DocumentStatus)` after every change (the WebSocket channel
  broadcasts `compile` events from it); `on_change(owner_id, face_id)` after the face's claims or
  status changed (the face service drops its cached copy).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace

import structlog

from fased.errors import FasedError
from fased.faces.chunking import chunk_source
from fased.faces.compile.accounting import compile_tokens
from fased.faces.compile.progress import DocumentStatus, ProgressHook
from fased.faces.compile.registry import ExtractContext, ExtractorRegistry
from fased.faces.face import Face
from fased.faces.model import Chunk
from fased.faces.records import claim_record, decode_source
from fased.store.claims import ClaimStore
from fased.store.documents import DocumentRecord, DocumentStore

log = structlog.get_logger()

LEASE_SECONDS = 900.0  # longer than the slowest chunk (a model call times out at 600 s)
IDLE_POLL_SECONDS = 5.0  # how often an idle worker looks for jobs other processes queued

FaceLookup = Callable[[str, str], Awaitable[Face | None]]
ChangeHook = Callable[[str, str], None]


def _dead(worker: str) -> bool:
    """Whether `worker` (`host/pid/nonce-n`) belonged to a process of this host that is gone.

    The same pid as ours is an earlier incarnation (a restarted container often gets the same
    pid); the caller never asks about its own workers."""
    host, _, rest = worker.partition("/")
    pid = rest.partition("/")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's: its lease tells
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class JobLost(Exception):
    """The job was deleted, restarted or taken over while this worker compiled it."""


class CompileRunner:
    """See the module docstring."""

    def __init__(
        self,
        documents: DocumentStore,
        claims: ClaimStore,
        faces: FaceLookup,
        registry: ExtractorRegistry,
        *,
        workers: int,
        chunk_tokens: int,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.documents = documents
        self.claims = claims
        self.faces = faces
        self.registry = registry
        self.workers = workers
        self.chunk_tokens = chunk_tokens
        self.lease_seconds = lease_seconds
        self.progress_hooks: list[ProgressHook] = []
        self.change_hooks: list[ChangeHook] = []
        prefix = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"
        self.worker_ids = [f"{prefix}-{n}" for n in range(workers)]
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Free the jobs of workers that died on this host (resumed at once), start ours."""
        for holder in await self.documents.holders():
            if holder not in self.worker_ids and _dead(holder):
                released = await self.documents.release(holder)
                log.info("compile_jobs_resumed", documents=released, previous_worker=holder)
        self._tasks = [
            asyncio.create_task(self._work(worker), name=f"compile-{worker}")
            for worker in self.worker_ids
        ]

    async def close(self) -> None:
        """Stop the workers mid-chunk (nothing half-written) and free their jobs."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for worker in self.worker_ids:
            await self.documents.release(worker)

    def wake(self) -> None:
        """New jobs were queued: idle workers look now."""
        self._wake.set()

    # -- hooks ------------------------------------------------------------------------------

    def report(self, owner_id: str, status: DocumentStatus) -> None:
        for hook in self.progress_hooks:
            try:
                hook(owner_id, status)
            except Exception:
                log.exception("compile_progress_hook_failed", document=status.document_id)

    def changed(self, owner_id: str, face_id: str) -> None:
        for hook in self.change_hooks:
            hook(owner_id, face_id)

    async def status(self, record: DocumentRecord) -> DocumentStatus:
        counts = await self.claims.component_counts(record.owner_id, record.id)
        return DocumentStatus.of(record, counts)

    async def announce(self, record: DocumentRecord) -> DocumentStatus:
        """Report `record`'s status to the hooks (and the face as changed)."""
        status = await self.status(record)
        self.changed(record.owner_id, record.face_id)
        self.report(record.owner_id, status)
        return status

    # -- work -------------------------------------------------------------------------------

    async def _work(self, worker: str) -> None:
        while True:
            try:
                found = await self.run_once(worker)
            except Exception:  # the database went away: log, back off, try again
                log.exception("compile_worker_error", worker=worker)
                found = False
            if not found:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_POLL_SECONDS):
                        await self._wake.wait()

    async def run_once(self, worker: str) -> bool:
        """Claim one job and compile it to the end; False when there was none."""
        job = await self.documents.claim_next(worker, lease_seconds=self.lease_seconds)
        if job is None:
            return False
        self.wake()  # another idle worker may find the next job
        try:
            await self._compile(job, worker)
        except JobLost:
            log.info("compile_job_lost", document=job.id)
        except (FasedError, ValueError) as exc:
            await self._fail(job, worker, getattr(exc, "message", None) or str(exc))
        except Exception as exc:
            log.exception("compile_job_failed", document=job.id)
            await self._fail(job, worker, f"Internal error while compiling ({type(exc).__name__}).")
        return True

    async def _fail(self, job: DocumentRecord, worker: str, message: str) -> None:
        finished = await self.documents.finish(job, worker, error=message)
        if finished is not None:
            log.warning("compile_document_failed", document=job.id, error=message)
            await self.announce(finished)

    async def _compile(self, job: DocumentRecord, worker: str) -> None:
        text = await self.documents.source(job.owner_id, job.id)
        face = await self.faces(job.owner_id, job.face_id)
        if text is None or face is None:
            raise JobLost
        source = decode_source(text)
        context = ExtractContext.for_source(
            job.id, source, face_name=face.name, aliases=(face.alias,)
        )
        budget = job.chunk_tokens or self.chunk_tokens
        chunks = await asyncio.to_thread(chunk_source, source, chunk_tokens=budget)
        if len(chunks) != job.chunks_total:
            raise ValueError(
                "The document's chunks changed since compiling started; make it again."
            )
        keys = await self.claims.keys(job.owner_id, job.id)  # for the counts reported
        for chunk in chunks[job.chunks_completed :]:
            await self._chunk(job, worker, chunk, context, keys)
        finished = await self.documents.finish(job, worker)
        if finished is None:
            raise JobLost
        await self.announce(finished)

    async def _chunk(
        self,
        job: DocumentRecord,
        worker: str,
        chunk: Chunk,
        context: ExtractContext,
        keys: set[tuple[str, str]],
    ) -> None:
        claims = await self.registry.extract_async(chunk, context)
        records = [claim_record(replace(claim, document_id=job.id)) for claim in claims]
        tokens = compile_tokens(chunk)
        progressed = await self.documents.record_chunk(job, worker, chunk.index, records, tokens)
        if progressed is None:
            raise JobLost
        keys.update((claim.component, claim.key) for claim in claims)
        self.changed(job.owner_id, job.face_id)
        self.report(job.owner_id, DocumentStatus.of(progressed, Counter(c for c, _ in keys)))
