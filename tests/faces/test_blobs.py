"""The content-addressed blob store, on a real directory."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from fased.store.blobs import BlobNotFound, BlobStore


async def test_put_get_delete_round_trip(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = b"I live in Lisbon.\n" * 1000
    digest = await store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.path(digest) == tmp_path / "blobs" / digest[:2] / digest[2:]
    assert store.path(digest).read_bytes() == data
    assert await store.get(digest) == data
    assert await store.exists(digest)
    await store.delete(digest)
    assert not await store.exists(digest)
    with pytest.raises(BlobNotFound):
        await store.get(digest)
    await store.delete(digest)  # deleting twice is fine


async def test_put_is_idempotent_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data = os.urandom(1 << 16)
    digests = await asyncio.gather(*(store.put(data) for _ in range(8)))
    assert len(set(digests)) == 1
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [store.path(digests[0])]
    mtime = files[0].stat().st_mtime_ns
    assert await store.put(data) == digests[0]
    assert files[0].stat().st_mtime_ns == mtime  # not rewritten


async def test_empty_and_distinct_blobs(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    empty, other = await store.put(b""), await store.put(b"x")
    assert empty == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert empty != other
    assert await store.get(empty) == b""
    assert await store.get(other) == b"x"


@pytest.mark.parametrize(
    "digest", ["", "../../etc/passwd", "AB" * 32, "a" * 63, "a" * 65, "g" * 64, "a" * 62 + "/x"]
)
async def test_malformed_digests_are_refused(tmp_path: Path, digest: str) -> None:
    store = BlobStore(tmp_path)
    with pytest.raises(ValueError, match="not a SHA-256 hex digest"):
        store.path(digest)
    with pytest.raises(ValueError):
        await store.get(digest)
    with pytest.raises(ValueError):
        await store.delete(digest)
