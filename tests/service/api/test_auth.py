"""Authentication on every data route, scopes, and tokens kept out of logs and responses."""

from __future__ import annotations

import re

import pytest

from tests.service.api.conftest import POSTINGS, Api

PUBLIC = {"/healthz", "/readyz"}


def _api_routes(api: Api) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI spec under /api, path parameters filled in."""
    found = []
    for path, operations in api.app.openapi()["paths"].items():
        if path.startswith("/api/"):
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            found.extend((method.upper(), concrete) for method in operations)
    return found


async def test_every_data_route_refuses_a_caller_without_credentials(api: Api) -> None:
    """Every /api route answers 401 problem details with a Bearer challenge to a caller
    who sends no credential, and never does the work."""
    routes = _api_routes(api)
    assert len(routes) >= 20
    for method, path in routes:
        response = await api.client.request(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["status"] == 401
    assert (await api.client.get("/api/postings", headers=api.auth())).json()["total"] == 0


async def test_an_unknown_or_revoked_token_is_refused(api: Api) -> None:
    """A token that was never issued (or one character off a real one) gets 401."""
    for token in ("jit_" + "x" * 43, api.tokens["admin"][:-1] + "?"):
        response = await api.client.get("/api/runs", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_health_probes_are_public(api: Api) -> None:
    """/healthz and /readyz answer without credentials."""
    for path in PUBLIC:
        assert (await api.client.get(path)).status_code == 200


async def test_a_read_token_cannot_change_anything(api: Api) -> None:
    """A read-scoped token can list runs but gets 403 on submitting a run, adding a
    posting or a CV, cancelling and deleting; nothing is created."""
    read = api.auth("read")
    assert (await api.client.get("/api/runs", headers=read)).status_code == 200
    attempts = [
        ("POST", "/api/runs", {"json": {"all": True, "candidate_id": 1}}),
        ("POST", "/api/postings", {"json": {"text": "# Engineer at Acme\n\nBuild things."}}),
        ("POST", "/api/candidates", {"files": {"file": ("cv.md", b"# A\n")}}),
        ("POST", "/api/runs/abc/cancel", {}),
        ("POST", "/api/runs/abc/resume", {}),
        ("POST", "/api/runs/abc/rerun", {"json": {"stage": "fit"}}),
        ("DELETE", "/api/postings/1", {}),
    ]
    for method, path, extra in attempts:
        response = await api.client.request(method, path, headers=read, **extra)  # type: ignore[arg-type]
        assert response.status_code == 403, (method, path, response.text)
        assert "'run' scope" in response.json()["detail"]
    assert (await api.client.get("/api/postings", headers=read)).json()["total"] == 0


async def test_a_run_token_can_submit_but_the_browser_is_sent_to_login(api: Api) -> None:
    """A run-scoped token may add postings; a browser asking for an API page without a
    session is redirected to the login page instead of getting JSON."""
    response = await api.client.post(
        "/api/postings",
        headers=api.auth("run"),
        json={"text": "# Data Engineer — Acme\n\nWe build pipelines in Python."},
    )
    assert response.status_code == 201
    browser = await api.client.get("/api/runs", headers={"Accept": "text/html"})
    assert browser.status_code == 303
    assert browser.headers["location"].startswith("/login")


async def test_tokens_never_appear_in_logs_or_responses(
    api: Api, logs: pytest.LogCaptureFixture
) -> None:
    """After creation, no log record and no response (body or headers) contains a token,
    whether the request succeeds, is refused for scope, or fails validation."""
    cv_id = await api.upload_cv()
    [posting] = await api.add_postings(POSTINGS / "northwind-platform-lead.md")
    run_id = await api.submit([posting], cv_id)
    await api.finish(run_id)
    responses = [
        await api.client.post("/api/runs", headers=api.auth("read"), json={"all": True}),
        await api.client.post("/api/runs", headers=api.auth(), json={"candidate_id": "x"}),
        await api.client.get("/api/runs/nope", headers=api.auth()),
        await api.client.get(f"/api/runs/{run_id}/progress", headers=api.auth("run")),
        await api.client.get(
            "/api/runs", headers={"Authorization": f"Bearer {api.tokens['admin']}x"}
        ),
    ]
    for token in api.tokens.values():
        secret_part = token[12:]
        assert secret_part not in logs.text
        for response in responses:
            assert secret_part not in response.text
            assert all(secret_part not in value for value in response.headers.values())
