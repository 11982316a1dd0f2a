"""Content-addressed blob store: uploaded files on disk, named by their SHA-256.

A blob lives at `root/ab/cdef…` (the hex digest split after two characters, so no directory
grows past 256 entries per level). Writes go to a temporary file in the target directory, are
fsynced, then renamed into place, so a reader sees a whole blob or none, and concurrent writers of
the same bytes are harmless. `put` is idempotent. All disk work runs in a worker thread, never on
the event loop. Reference counting is the caller's: two documents may share one blob, so delete
a blob only when no document refers to it any more.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

_DIGEST = re.compile(r"[0-9a-f]{64}")


class BlobNotFound(LookupError):
    """No blob with that digest is stored."""


class BlobStore:
    """Blobs under `root`, addressed by the lower-case hex SHA-256 of their bytes."""

    __slots__ = ("root",)

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        """Where the blob `digest` is (or would be) stored; ValueError on a malformed digest."""
        if not _DIGEST.fullmatch(digest):
            raise ValueError(f"not a SHA-256 hex digest: {digest[:80]!r}")
        return self.root / digest[:2] / digest[2:]

    async def put(self, data: bytes) -> str:
        """Store `data` (if not already stored) and return its digest."""
        return await asyncio.to_thread(self._put, data)

    async def get(self, digest: str) -> bytes:
        """The bytes of blob `digest`; `BlobNotFound` if it is not stored."""
        path = self.path(digest)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(digest) from None

    async def exists(self, digest: str) -> bool:
        return await asyncio.to_thread(self.path(digest).is_file)

    async def delete(self, digest: str) -> None:
        """Remove blob `digest`; deleting one that is not stored is not an error."""
        await asyncio.to_thread(self.path(digest).unlink, missing_ok=True)

    def _put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.is_file():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return digest
