"""The web UI in a real browser: Debian's Chromium driven by Playwright against uvicorn.

Screenshots go to the test's temporary folder and are copied to
``test-artifacts/screenshots/`` at the repository root, where CI keeps them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from jobintel.inputs import load_cv
from jobintel.pipeline import PIPELINE
from jobintel.service.executor import RunOptions
from jobintel.settings import Settings
from jobintel.store import Store
from tests.conftest import EXAMPLES, REPO, plan_and_execute
from tests.service.web.conftest import PASSWORD, make_user
from tests.service.web.live_server import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
POSTING = EXAMPLES / "postings" / "northwind-platform-lead.md"
#: Generous: the first Chromium start on a cold machine is slow; a run takes ~a second.
WAIT_MS = 60_000
#: Assertions retry this long before failing (a busy CI machine renders slowly).
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests drive Debian's chromium, "
            "which `.ci/run` installs (apt-get install chromium); run `.ci/run` or "
            "`apt-get install chromium` first"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Shots:
    """Saves full-page screenshots in the test's folder and in test-artifacts/."""

    def __init__(self, folder: Path, prefix: str) -> None:
        self.folder = folder
        self.prefix = prefix
        folder.mkdir(parents=True, exist_ok=True)

    def take(self, page: Page, name: str) -> Path:
        path = self.folder / f"{self.prefix}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, ARTIFACTS / path.name)
        return path


def _seed(settings: Settings) -> None:
    """A user and the example master CV in the store the server will open."""
    store = Store.open(settings.effective_database_url)
    try:
        make_user(store)
        store.upsert_candidate(load_cv(EXAMPLES / "master-cv.md"))
    finally:
        store.close()


def _log_in(page: Page) -> None:
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _stage_bars_full(page: Page) -> None:
    full = page.locator(".stage-bars progress[value='100']")
    expect(full).to_have_count(len(PIPELINE.names), timeout=WAIT_MS)


def _context(browser: Browser, width: int, height: int) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 600
    )
    context.set_default_timeout(WAIT_MS)
    return context


def test_log_in_add_posting_run_it_and_download_the_cv(
    browser: Browser, settings: Settings, tmp_path: Path
) -> None:
    """A user logs in, pastes a posting, starts a run, sees every stage bar reach 100%,
    opens the dossier, downloads a real PDF of the tailored CV, and can skip the
    navigation from the keyboard."""
    _seed(settings)
    shots = Shots(tmp_path / "screenshots", "flow")
    with serve(settings) as base:
        context = _context(browser, 1280, 900)
        page = context.new_page()
        page.goto(f"{base}/jobs")
        expect(page).to_have_url(re.compile(r"/login\?next=/jobs$"))
        shots.take(page, "01-login")
        _log_in(page)
        expect(page).to_have_url(re.compile(r"/jobs$"))

        page.get_by_label("Paste the posting").fill(POSTING.read_text(encoding="utf-8"))
        page.get_by_role("button", name="Add posting").click()
        expect(page.get_by_role("status")).to_contain_text("Added 1 posting")
        page.get_by_label(re.compile("Platform Engineering Lead")).check()
        page.get_by_label("Strategy").select_option("deterministic")
        shots.take(page, "02-jobs")
        page.get_by_role("button", name="Start run").click()
        expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))

        _stage_bars_full(page)
        expect(page.locator(".meta .badge").first).to_have_text("succeeded", timeout=WAIT_MS)
        shots.take(page, "03-run")

        page.get_by_role("link", name=re.compile("Dossier of job")).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Platform Engineering Lead")
        expect(page.get_by_role("heading", name="Evidence matrix")).to_be_visible()
        shots.take(page, "04-dossier")
        with page.expect_download() as download:
            page.get_by_role("link", name=re.compile(r"CV \(PDF\)")).click()
        pdf = Path(download.value.path())
        assert pdf.read_bytes().startswith(b"%PDF")
        assert download.value.suggested_filename == "cv.pdf"

        page.goto(f"{base}/")
        expect(page.get_by_role("heading", name="Today's runs")).to_be_visible()
        # Keyboard users land on the skip link first; it moves focus past the navigation.
        page.keyboard.press("Tab")
        expect(page.locator(".skip-link")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()
        shots.take(page, "05-dashboard")
        page.goto(f"{base}/costs")
        shots.take(page, "06-costs")
        context.close()


def test_run_page_updates_live_over_sse_without_reloading(
    browser: Browser, settings: Settings, tmp_path: Path
) -> None:
    """A run page opened before the run starts follows it live (SSE stream plus HTMX
    fragment refreshes) until every stage bar is full, loading nothing from elsewhere and
    breaking no Content-Security-Policy rule."""
    store = Store.open(settings.effective_database_url)
    try:
        make_user(store)
        candidate = store.upsert_candidate(load_cv(EXAMPLES / "master-cv.md"))
        from jobintel.inputs import load_postings, normalise_posting

        raw = load_postings([POSTING]).postings[0]
        posting_id = store.upsert_posting(normalise_posting(raw))
        options = RunOptions(posting_ids=(posting_id,), strategy="deterministic")
        run_id = store.create_run(
            candidate_id=candidate,
            out_dir=str(settings.out_dir.resolve()),
            jobs=[],
            options=options.stored(),
        )
    finally:
        store.close()
    shots = Shots(tmp_path / "screenshots", "live")
    with serve(settings) as base:
        context = _context(browser, 1024, 800)
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        errors: list[str] = []
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/login?next=/runs/{run_id}")
        _log_in(page)
        expect(page).to_have_url(re.compile(f"/runs/{run_id}$"))
        expect(page.locator("#progress[hx-get]")).to_have_count(1)
        shots.take(page, "01-pending")

        # Start the run from outside the page (as an API client would), with the session.
        headers = json.loads(page.get_attribute("body", "hx-headers") or "{}")
        answer = context.request.post(f"{base}/api/runs/{run_id}/resume", headers=headers)
        status = answer.status
        assert status == 202
        _stage_bars_full(page)
        shots.take(page, "02-finished")
        assert any(url.endswith(f"/api/runs/{run_id}/events") for url in requests)
        assert any(url.endswith(f"/runs/{run_id}/progress") for url in requests)
        assert all(url.startswith(base) or url.startswith("data:") for url in requests)
        assert errors == []  # no script error, no Content-Security-Policy violation
        context.close()


PHONE_PAGES = ("/", "/jobs", "/runs", "/costs", "/health", "/alerts")


def test_every_page_fits_a_phone_screen(
    browser: Browser, settings: Settings, store: Store, tmp_path: Path
) -> None:
    """At 375 px wide no page (run and dossier included) scrolls sideways."""
    make_user(store)
    # Playwright's sync API keeps an event loop running in this thread: run elsewhere.
    with ThreadPoolExecutor(1) as pool:
        work = pool.submit(plan_and_execute, store, settings, [POSTING], EXAMPLES / "master-cv.md")
        planned, _ = work.result()
    job = store.jobs(planned.run_id)[0]
    shots = Shots(tmp_path / "screenshots", "phone")
    pages = {path: path.strip("/") or "dashboard" for path in PHONE_PAGES}
    pages[f"/runs/{planned.run_id}"] = "run"
    pages[f"/runs/{planned.run_id}/jobs/{job.id}"] = "dossier"
    with serve(settings) as base:
        context = _context(browser, 375, 740)
        page = context.new_page()
        page.goto(f"{base}/login")
        _log_in(page)
        expect(page).to_have_url(re.compile(r"/$"))
        overflowing = []
        for path, name in [*pages.items(), ("/login", "login")]:
            if path == "/login":
                context.clear_cookies()
            page.goto(f"{base}{path}")
            expect(page).to_have_url(f"{base}{path}")
            shots.take(page, name)
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if widths[0] > widths[1]:
                overflowing.append(f"{path}: {widths[0]} > {widths[1]}")
        context.close()
    assert not overflowing, f"pages wider than the phone screen: {overflowing}"


def test_a_fired_alert_shows_on_the_alerts_page(
    browser: Browser, settings: Settings, store: Store, tmp_path: Path
) -> None:
    """An alert the engine fired and stored shows in the alert history, firing above resolved."""
    from jobintel.guard.events import GuardEvent
    from jobintel.observability.alerts import AlertConfig, AlertEngine

    make_user(store)
    engine = AlertEngine(AlertConfig(), engine=store.engine)
    try:
        for subject, to in (("anthropic:claude", "open"), ("anthropic:claude", "closed")):
            engine.on_guard_event(
                GuardEvent(kind="breaker_transition", subject=subject, message=to, data={"to": to})
            )
        engine.on_guard_event(
            GuardEvent(
                kind="breaker_transition",
                subject="openai:gpt-4o-mini",
                message="circuit breaker for openai:gpt-4o-mini: closed -> open (5 failures)",
                data={"to": "open"},
            )
        )
        engine.flush()
    finally:
        engine.close()
    shots = Shots(tmp_path / "screenshots", "alerts")
    with serve(settings) as base:
        context = _context(browser, 1280, 900)
        page = context.new_page()
        page.goto(f"{base}/login?next=/alerts")
        _log_in(page)
        expect(page).to_have_url(f"{base}/alerts")
        rows = page.locator("#alert-history tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("firing")
        expect(rows.nth(0)).to_contain_text("openai:gpt-4o-mini")
        expect(rows.nth(0)).to_contain_text("closed -> open (5 failures)")
        expect(rows.nth(0).locator(".badge.sev-critical")).to_have_text("critical")
        expect(rows.nth(1)).to_contain_text("resolved")
        expect(rows.nth(1)).to_contain_text("anthropic:claude")
        shots.take(page, "history")
        context.close()
