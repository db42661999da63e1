"""Errors as RFC 9457 problem details, nothing leaked by a 500, and an accurate OpenAPI spec."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from jobintel.service import create_app
from jobintel.store import Store
from tests.service.api.conftest import Api, service_settings


async def test_validation_errors_name_each_field(api: Api) -> None:
    """A body with several bad fields answers 422 problem+json listing each by name."""
    response = await api.client.post(
        "/api/runs",
        headers=api.auth(),
        json={"candidate_id": "me", "concurrency": 0, "strategy": "fast"},
    )
    assert response.status_code == 422
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert (body["status"], body["title"]) == (422, "Unprocessable Entity")
    assert {e["field"] for e in body["errors"]} == {"candidate_id", "concurrency", "strategy"}
    assert body["type"].endswith(":validation")
    query = await api.client.get("/api/postings?limit=0", headers=api.auth())
    assert query.json()["errors"][0]["field"] == "limit"


async def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    """404 and 405 from the router are problem details too."""
    missing = await api.client.get("/api/nothing-here", headers=api.auth())
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = await api.client.put("/api/runs", headers=api.auth())
    assert wrong.status_code == 405
    assert wrong.json()["status"] == 405


async def test_a_crash_answers_500_without_leaking_anything(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception becomes a bare 500 problem: no trace, no message, no data
    from the exception reaches the client; the server log has the details."""
    settings = service_settings(tmp_path)
    store = Store.open(settings.effective_database_url)
    app = create_app(settings, store=store)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret/path")

    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client,
        ):
            response = await client.get("/boom")
    finally:
        store.close()
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert response.json()["detail"].startswith("the server failed")
    assert "unhandled error answering GET /boom" in logs.text


async def test_the_openapi_spec_documents_every_route_truthfully(api: Api) -> None:
    """/openapi.json lists every API route with its success status and response model,
    401/403 problem+json on every data route, and the SSE media type for events."""
    spec = (await api.client.get("/openapi.json")).json()
    paths = spec["paths"]
    assert paths["/api/runs"]["post"]["responses"]["202"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/RunAccepted"}
    assert "204" in paths["/api/postings/{posting_id}"]["delete"]["responses"]
    assert (
        "text/event-stream"
        in paths["/api/runs/{run_id}/events"]["get"]["responses"]["200"]["content"]
    )
    assert (
        "application/pdf"
        in paths["/api/artifacts/{artifact_id}"]["get"]["responses"]["200"]["content"]
    )
    assert set(paths["/api/postings"]["post"]["requestBody"]["content"]) >= {
        "application/json",
        "multipart/form-data",
        "application/x-ndjson",
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if not path.startswith("/api/"):
                continue
            for status in ("401", "403"):
                content = responses[status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                assert content["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/ProblemDetails"
                }
            for status, response in responses.items():
                if status.startswith("4") and "content" in response:
                    assert "application/json" not in response["content"], (method, path)
    assert "HTTPValidationError" not in str(paths)
    assert "ProblemDetails" in spec["components"]["schemas"]
