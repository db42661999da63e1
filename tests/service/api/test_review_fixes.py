"""Regressions from the service review: one run never starts twice, bodies are bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from jobintel.service.executor import RunActive
from tests.service.api.conftest import POSTINGS, Api, running_api, service_settings


async def test_concurrent_resumes_start_a_run_once(api: Api) -> None:
    """Eight resumes at once: exactly one starts the run, the others are told it is active."""
    candidate = await api.upload_cv()
    ids = await api.add_postings(POSTINGS / "more.jsonl")
    run_id = await api.submit(ids, candidate)
    assert await api.executor.cancel(run_id)
    outcomes = await asyncio.gather(
        *(api.executor.resume(run_id) for _ in range(8)), return_exceptions=True
    )
    started = [o for o in outcomes if o is None]
    refused = [o for o in outcomes if isinstance(o, RunActive)]
    assert (len(started), len(refused)) == (1, 7)
    await api.executor.cancel(run_id)


async def test_a_body_over_the_upload_limit_is_refused_even_when_chunked(tmp_path: Path) -> None:
    """A chunked body without Content-Length gets 413 once it passes the limit."""
    settings = service_settings(tmp_path, max_upload_bytes=2_000)
    async with running_api(settings) as api:

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(200):
                yield b"x" * 1024

        response = await api.client.post(
            "/api/postings",
            headers={**api.auth(), "content-type": "text/markdown"},
            content=chunks(),
        )
        assert response.status_code == 413
        assert "JOBINTEL_MAX_UPLOAD_BYTES" in response.json()["detail"]
        declared = await api.client.post(
            "/api/postings",
            headers={**api.auth(), "content-type": "text/markdown"},
            content=b"y" * 200_000,
        )
        assert declared.status_code == 413
