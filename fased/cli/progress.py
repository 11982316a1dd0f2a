"""Following compiles to the end (SPEC §8): the `compile` events of the control channel, or,
when the channel is unavailable (or with `--poll`), `GET /v1/compile/documents/{doc}` polled;
either way a progress bar over the documents' chunks, on stderr.

Events are only a fast path: the statuses are read once the channel is open (so nothing that
happened before is missed) and again whenever the channel stays quiet for a while, and a
status never goes backwards (an older one arriving late is ignored).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

import aiohttp
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fased.cli.api import Api
from fased.cli.channel import Channel, ChannelError, NoGateway, Payload, Target, open_channel
from fased.cli.options import err
from fased.ws.methods.faces import COMPILE_EVENT

TERMINAL = frozenset({"synced", "failed"})
RANK = {"pending": 0, "preparing": 1, "synced": 2, "failed": 2}
POLL_SECONDS = 0.25
QUIET_SECONDS = 3.0  # no event for this long: read the statuses (an event may have been missed)
STATUS_PATH = "/v1/compile/documents/{doc}"

Via = Literal["channel", "polling"]
Show = Callable[["Tracker"], None]


def _order(status: Payload) -> tuple[int, int]:
    return RANK.get(str(status.get("prepare_status")), -1), int(status.get("chunks_completed", 0))


class Tracker:
    """The latest status of each document followed (see the module docstring)."""

    def __init__(self, documents: Iterable[str]) -> None:
        self.statuses: dict[str, Payload] = {
            doc: {"document_id": doc, "prepare_status": None, "chunks_total": 0}
            for doc in documents
        }

    def update(self, status: Payload) -> bool:
        """Take `status` if it is about a document followed; whether it was."""
        doc = status.get("document_id")
        current = self.statuses.get(str(doc))
        if current is None:
            return False
        if _order(status) >= _order(current):
            self.statuses[str(doc)] = status
        return True

    @property
    def unfinished(self) -> list[str]:
        return [d for d, s in self.statuses.items() if s.get("prepare_status") not in TERMINAL]

    @property
    def done(self) -> bool:
        return not self.unfinished

    def chunks(self) -> tuple[int, int]:
        """Chunks completed and in all, over the documents followed."""
        completed = sum(int(s.get("chunks_completed") or 0) for s in self.statuses.values())
        return completed, sum(int(s.get("chunks_total") or 0) for s in self.statuses.values())


@contextlib.contextmanager
def progress_bar(label: str, *, enabled: bool) -> Iterator[Show]:
    """A bar of the chunks compiled (on stderr; drawn once at the end when not a terminal)."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=not enabled) as progress:
        task = progress.add_task(f"{label}: compiling", total=None)

        def show(tracker: Tracker) -> None:
            completed, total = tracker.chunks()
            state = "compiling" if not tracker.done else _outcome(tracker)
            progress.update(
                task, completed=completed, total=total or None, description=f"{label}: {state}"
            )

        yield show


def _outcome(tracker: Tracker) -> str:
    failed = any(s.get("prepare_status") == "failed" for s in tracker.statuses.values())
    return "failed" if failed else "synced"


async def follow(api: Api, where: Target, tracker: Tracker, show: Show, *, poll: bool) -> Via:
    """Follow every document to `synced` or `failed`; says on stderr how, and returns it."""
    async with contextlib.AsyncExitStack() as stack:
        channel: Channel | None = None
        reason = "--poll"
        if not poll:
            try:
                channel = await stack.enter_async_context(open_channel(where))
            except (NoGateway, ChannelError, TimeoutError, aiohttp.ClientError) as exc:
                reason = f"the WebSocket channel is unavailable: {_reason(exc)}"
        if channel is None:
            err.print(f"following by polling GET {STATUS_PATH} ({reason})", markup=False)
            await follow_polling(api, tracker, show)
            return "polling"
        err.print("following compile events on the WebSocket channel", markup=False)
        await follow_channel(channel, tracker, show)
        return "channel"


def _reason(exc: Exception) -> str:
    if isinstance(exc, NoGateway):
        return f"nothing answers at {exc.url}"
    if isinstance(exc, ChannelError):
        return exc.message
    return str(exc) or type(exc).__name__


async def follow_channel(channel: Channel, tracker: Tracker, show: Show) -> None:
    def seen(name: str, payload: Payload) -> None:
        if name == COMPILE_EVENT and tracker.update(payload):
            show(tracker)

    await _read_statuses(channel, tracker, seen)
    while not tracker.done:
        try:
            async with asyncio.timeout(QUIET_SECONDS):
                name, payload = await channel.next_event()
        except TimeoutError:
            await _read_statuses(channel, tracker, seen)
        else:
            seen(name, payload)


async def _read_statuses(
    channel: Channel, tracker: Tracker, seen: Callable[[str, Payload], None]
) -> None:
    for doc in tracker.unfinished:
        (status,) = await channel.request("compile.status", {"documentId": doc}, on_event=seen)
        seen(COMPILE_EVENT, status)


async def follow_polling(api: Api, tracker: Tracker, show: Show) -> None:
    while True:
        for doc in tracker.unfinished:
            tracker.update(await api.get(STATUS_PATH.format(doc=doc)))
        show(tracker)
        if tracker.done:
            return
        await asyncio.sleep(POLL_SECONDS)
