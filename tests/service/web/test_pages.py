"""Every page: behind the login, rendered in full without JavaScript, accessible, local."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from jobintel.service.web.rendering import CONTENT_SECURITY_POLICY
from jobintel.store import Store
from tests.service.web.conftest import csrf_of, logged_in, make_user, start_example_run

PAGES = ("/", "/jobs", "/runs", "/costs", "/health", "/alerts")
#: An attribute that would make the browser fetch or navigate off this server.
EXTERNAL = re.compile(
    r"""(?:src|href|action|sse-connect|hx-get|hx-post)\s*=\s*["']?\s*(?:https?:)?//"""
)


@pytest.mark.parametrize("path", [*PAGES, "/runs/abc", "/runs/abc/jobs/1"])
async def test_pages_send_a_browser_without_session_to_login(
    anonymous: httpx.AsyncClient, path: str
) -> None:
    """A browser asking for a page without a session is redirected to the login page."""
    answer = await anonymous.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={path}"


async def test_htmx_fragment_without_session_is_401_not_a_redirect(
    anonymous: httpx.AsyncClient,
) -> None:
    """HTMX requests get 401 (not a login page to swap into the page)."""
    answer = await anonymous.get("/runs/abc/progress", headers={"HX-Request": "true"})
    assert answer.status_code == 401


@pytest.mark.parametrize("path", PAGES)
async def test_each_page_renders_complete_accessible_html(
    browser_client: httpx.AsyncClient, path: str
) -> None:
    """Pages are whole HTML documents with a skip link, landmarks, one h1, the CSRF token
    for HTMX, a strict CSP, and nothing loaded or linked from another host."""
    answer = await browser_client.get(path)
    assert answer.status_code == 200
    html = answer.text
    assert html.startswith("<!doctype html>")
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<nav aria-label="Main">' in html
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert re.search(r"""<body hx-headers='\{"X-CSRF-Token": "[^"]+"\}'>""", html)
    assert 'aria-current="page"' in html
    assert not EXTERNAL.search(html)
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "<script>" not in html and " style=" not in html


async def test_run_and_dossier_pages_are_local_and_complete(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    """A finished run's page and dossier render fully and link nothing off-site, even though
    the posting holds a URL (shown as text, not as a link)."""
    run_id = await start_example_run(browser_client, store)
    job = store.jobs(run_id)[0]
    for path in (f"/runs/{run_id}", f"/runs/{run_id}/jobs/{job.id}"):
        answer = await browser_client.get(path)
        assert answer.status_code == 200
        assert not EXTERNAL.search(answer.text), path
    dossier = (await browser_client.get(f"/runs/{run_id}/jobs/{job.id}")).text
    assert "https://careers.example.com/northwind/platform-lead" in dossier


async def test_static_assets_are_served_and_vendored(anonymous: httpx.AsyncClient) -> None:
    """The stylesheet and the vendored htmx scripts (with their licence header) are served
    without a session."""
    css = await anonymous.get("/static/app.css")
    assert css.status_code == 200
    assert "text/css" in css.headers["content-type"]
    htmx = await anonymous.get("/static/htmx.min.js")
    assert htmx.status_code == 200
    assert htmx.text.startswith("/*! htmx 2.")
    assert "0BSD" in htmx.text.splitlines()[0]
    sse = await anonymous.get("/static/htmx-ext-sse.min.js")
    assert sse.status_code == 200
    assert 'defineExtension("sse"' in sse.text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/jobs/paste", {"text": "Engineer — Acme\n\nBuild things with Python."}),
        ("/jobs/run", {"posting_id": "1", "candidate_id": "1"}),
        ("/jobs/url", {"url": "https://example.com/job"}),
        ("/runs/abc/cancel", {}),
    ],
)
async def test_form_post_without_csrf_token_is_forbidden(
    browser_client: httpx.AsyncClient, store: Store, path: str, data: dict[str, str]
) -> None:
    """A logged-in form POST without its CSRF token is refused with 403 and changes nothing."""
    answer = await browser_client.post(path, data=data)
    assert answer.status_code == 403
    assert store.runs() == []
    wrong = await browser_client.post(path, data={**data, "csrf_token": "not-the-token"})
    assert wrong.status_code == 403


async def test_csrf_header_is_accepted_like_the_form_field(
    browser_client: httpx.AsyncClient,
) -> None:
    """HTMX sends the token as X-CSRF-Token instead of a form field; that passes too."""
    token = await csrf_of(browser_client)
    answer = await browser_client.post(
        "/jobs/paste",
        data={"text": "Data Engineer — Helio\n\nWe need Python and Airflow."},
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 303


async def test_read_only_user_sees_no_forms_and_cannot_change_anything(
    app: FastAPI, store: Store
) -> None:
    """A user with only the read scope gets the pages without forms, and 403 on a POST."""
    async with await logged_in(app, store, make_user(store, "reader", ("read",))) as client:
        jobs = await client.get("/jobs")
        assert jobs.status_code == 200
        assert 'action="/jobs/paste"' not in jobs.text
        token = re.search(r"X-CSRF-Token\": \"([^\"]+)", jobs.text)
        assert token is not None
        answer = await client.post(
            "/jobs/paste",
            data={"text": "Engineer — Acme\n\nPython.", "csrf_token": token.group(1)},
        )
    assert answer.status_code == 403


async def test_unknown_run_and_job_are_404_pages(browser_client: httpx.AsyncClient) -> None:
    """Asking for a run or job that does not exist gives a 404 page that says so."""
    run = await browser_client.get("/runs/nosuchrun")
    assert run.status_code == 404
    assert "There is no run nosuchrun." in run.text
    dossier = await browser_client.get("/runs/nosuchrun/jobs/3")
    assert dossier.status_code == 404
    assert "Run nosuchrun has no job 3." in dossier.text
