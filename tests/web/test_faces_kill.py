"""Kill -9 the gateway (a real process) mid-compile; after a restart the job completes, with the
result an uninterrupted compile gives (SPEC §8.3)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.daemon import running
from tests.web.test_faces_compile import long_document

pytestmark = pytest.mark.timeout(120)
TOKEN = "kill-test-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
CONFIG = f'{{ gateway: {{ auth: {{ token: "{TOKEN}" }} }}, compile: {{ chunkTokens: 100 }} }}'


class Api:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url

    async def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        async with self.session.request(
            method, self.url + path, headers=HEADERS, **kwargs
        ) as response:
            body = await response.json()
            assert response.status == status, body
            return body

    async def upload(self, face: str) -> str:
        await self.call("POST", "/v1/faces", 201, json={"alias": face, "name": "Marta"})
        form = aiohttp.FormData()
        form.add_field("file", long_document(), filename="long.txt", content_type="text/plain")
        body = await self.call("POST", f"/v1/faces/{face}/upload", 201, data=form)
        document: str = body["data"]["document_id"]
        return document

    async def status(self, document: str) -> Any:
        return await self.call("GET", f"/v1/compile/documents/{document}", 200)

    async def done(self, document: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while (status := await self.status(document))["prepare_status"] != "synced":
            assert status["prepare_status"] == "preparing" and time.monotonic() < deadline, status
            await asyncio.sleep(0.05)
        return status

    async def profile(self, face: str) -> str:
        body = await self.call("GET", f"/v1/faces/{face}/profile?budget=4000", 200)
        text: str = body["data"]["profile"]
        return text


async def test_kill_9_mid_compile_then_restart_completes_the_job(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "fased.json5").write_text(CONFIG)
    async with aiohttp.ClientSession() as session:
        with running(state) as gateway:
            await gateway.wait_ready()
            api = Api(session, gateway.url)
            document = await api.upload("marta")
            made = await api.call("POST", f"/v1/compile/documents/{document}/make", 202)
            while (await api.status(document))["chunks_completed"] < 5:
                await asyncio.sleep(0.01)
            assert made["chunks_total"] > 100
            gateway.process.kill()  # SIGKILL: no cleanup, the job stays claimed
            gateway.process.wait()
        with running(state) as gateway:
            await gateway.wait_ready()
            api = Api(session, gateway.url)
            resumed = await api.status(document)
            assert resumed["chunks_completed"] >= 5  # from where it was, not from the start
            done = await api.done(document)
            assert done["chunks_completed"] == made["chunks_total"]
            reference = await api.upload("reference")
            await api.call("POST", "/v1/faces/reference/sync", 202)
            expected = await api.done(reference)
            assert done["compile_tokens"] == expected["compile_tokens"]
            assert done["current_counts"] == expected["current_counts"]
            assert await api.profile("marta") == await api.profile("reference")
            assert "compile_jobs_resumed" in gateway.output()
