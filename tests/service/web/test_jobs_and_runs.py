"""Adding postings and CVs, starting runs, following them, reading dossiers, downloading."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import update

from jobintel.inputs import load_cv, load_postings, normalise_posting
from jobintel.models import ExtractedJD
from jobintel.pipeline import PIPELINE
from jobintel.service import queries
from jobintel.service.executor import RunOptions
from jobintel.settings import Settings
from jobintel.store import Store
from jobintel.store.tables import ArtifactRow
from tests.conftest import EXAMPLES
from tests.service.web.conftest import csrf_of, start_example_run, wait_until_finished

POSTING = EXAMPLES / "postings" / "northwind-platform-lead.md"


async def test_pasted_posting_is_stored_and_listed(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    """Pasting a posting stores it once; the Jobs page lists it and says what happened."""
    csrf = await csrf_of(browser_client)
    text = POSTING.read_text(encoding="utf-8")
    first = await browser_client.post("/jobs/paste", data={"text": text, "csrf_token": csrf})
    assert first.status_code == 303
    assert first.headers["location"] == "/jobs?added=1&known=0#postings"
    again = await browser_client.post("/jobs/paste", data={"text": text, "csrf_token": csrf})
    assert again.headers["location"] == "/jobs?added=0&known=1#postings"
    page = await browser_client.get("/jobs?added=0&known=1")
    assert "1 was already stored." in page.text
    assert "Platform Engineering Lead" in page.text
    assert queries.posting_page(store.engine, limit=10, offset=0)[1] == 1


async def test_empty_paste_reshows_the_form_with_the_problem(
    browser_client: httpx.AsyncClient,
) -> None:
    """An empty paste answers 422 with an alert tied to the text box."""
    csrf = await csrf_of(browser_client)
    answer = await browser_client.post("/jobs/paste", data={"text": "  ", "csrf_token": csrf})
    assert answer.status_code == 422
    assert 'role="alert" id="paste-error">Paste the posting text first.' in answer.text
    assert 'aria-describedby="paste-error"' in answer.text


async def test_uploaded_jsonl_adds_every_posting(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    """A .jsonl upload adds each posting it holds."""
    csrf = await csrf_of(browser_client)
    data = (EXAMPLES / "postings" / "more.jsonl").read_bytes()
    answer = await browser_client.post(
        "/jobs/upload", data={"csrf_token": csrf}, files={"file": ("more.jsonl", data)}
    )
    assert answer.status_code == 303
    added = int(re.search(r"added=(\d+)", answer.headers["location"]).group(1))  # type: ignore[union-attr]
    assert added == queries.posting_page(store.engine, limit=50, offset=0)[1] >= 1


async def test_upload_of_wrong_type_or_size_is_refused_with_a_message(
    browser_client: httpx.AsyncClient, settings: Settings, store: Store
) -> None:
    """Uploads of another type, or over max_upload_bytes, are refused and nothing is stored."""
    csrf = await csrf_of(browser_client)
    wrong = await browser_client.post(
        "/jobs/upload", data={"csrf_token": csrf}, files={"file": ("job.exe", b"MZ\x90\x00")}
    )
    assert wrong.status_code == 422
    assert "job.exe is not one of the accepted types" in wrong.text
    big = b"x" * (settings.max_upload_bytes + 1)
    huge = await browser_client.post(
        "/jobs/upload", data={"csrf_token": csrf}, files={"file": ("job.md", big)}
    )
    assert huge.status_code == 422
    assert f"larger than {settings.max_upload_bytes:,} bytes" in huge.text
    assert queries.posting_page(store.engine, limit=10, offset=0)[1] == 0


async def test_url_without_research_service_explains_what_to_configure(
    browser_client: httpx.AsyncClient,
) -> None:
    """Fetching by URL with no research service says how to enable one (nothing is fetched)."""
    csrf = await csrf_of(browser_client)
    answer = await browser_client.post(
        "/jobs/url", data={"url": "https://example.com/jobs/1", "csrf_token": csrf}
    )
    assert answer.status_code == 422
    assert "needs a research service" in answer.text
    assert 'value="https://example.com/jobs/1"' in answer.text


async def test_start_run_without_a_selection_says_what_is_missing(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    """Starting a run with no posting selected creates no run and says to select one."""
    csrf = await csrf_of(browser_client)
    answer = await browser_client.post("/jobs/run", data={"csrf_token": csrf})
    assert answer.status_code == 422
    assert "Select at least one posting to run." in answer.text
    assert store.runs() == []


async def test_run_started_from_the_form_is_shown_with_stages_timeline_and_dossier(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    """A run started from the Jobs page executes; its page shows full stage bars, a timeline
    row per stage and a dossier link, and the Jobs page then shows the fit score."""
    run_id = await start_example_run(browser_client, store)
    assert store.run(run_id).status == "succeeded"
    page = (await browser_client.get(f"/runs/{run_id}")).text
    bars = re.findall(r'<progress id="bar-(\w+)" max="100" value="(\d+)"', page)
    assert [name for name, _ in bars] == ["overall", *PIPELINE.names]
    assert {value for _, value in bars} == {"100"}
    assert page.count('class="span-row"') == len(PIPELINE.names)
    assert "sse-connect" not in page  # a finished run is not followed live
    job = store.jobs(run_id)[0]
    assert f'href="/runs/{run_id}/jobs/{job.id}"' in page
    fit = store.stage_results(job.id)["fit"].output
    assert fit is not None
    jobs_page = (await browser_client.get("/jobs")).text
    assert f'href="/runs/{run_id}/jobs/{job.id}" aria-label="Fit {fit["score"]} of 100' in jobs_page


async def test_live_run_page_follows_sse_and_polls_its_progress_fragment(
    browser_client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    """A run not yet finished is rendered with the SSE connection and an HTMX fragment that
    refreshes on stage events (and by polling); the fragment asks for a reload once done."""
    candidate = store.upsert_candidate(load_cv(EXAMPLES / "master-cv.md"))
    run_id = store.create_run(
        candidate_id=candidate, out_dir=str(settings.out_dir), jobs=[], options={}
    )
    page = (await browser_client.get(f"/runs/{run_id}")).text
    assert f'sse-connect="/api/runs/{run_id}/events" sse-close="run_finished"' in page
    trigger = re.search(r'hx-get="/runs/\w+/progress" hx-trigger="([^"]+)"', page)
    assert trigger is not None
    assert "sse:stage_succeeded" in trigger.group(1) and "every " in trigger.group(1)
    assert 'role="status" aria-live="polite"' in page
    live = await browser_client.get(f"/runs/{run_id}/progress", headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert "hx-refresh" not in live.headers
    assert 'id="progress-status" hx-swap-oob="innerHTML"' in live.text
    store.set_run_status(run_id, "cancelled")
    done = await browser_client.get(f"/runs/{run_id}/progress", headers={"HX-Request": "true"})
    assert done.headers["hx-refresh"] == "true"


async def test_cancelled_run_can_be_resumed_from_its_page(
    browser_client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    """A queued run can be cancelled, and then resumed to completion, from the run page."""
    csrf = await csrf_of(browser_client)
    await browser_client.post(
        "/jobs/paste", data={"text": POSTING.read_text(encoding="utf-8"), "csrf_token": csrf}
    )
    posting = queries.posting_page(store.engine, limit=1, offset=0)[0][0].id
    candidate = store.upsert_candidate(load_cv(EXAMPLES / "master-cv.md"))
    options = RunOptions(posting_ids=(posting,), strategy="deterministic")
    run_id = store.create_run(
        candidate_id=candidate, out_dir=str(settings.out_dir), jobs=[], options=options.stored()
    )
    page = (await browser_client.get(f"/runs/{run_id}")).text
    assert f'action="/runs/{run_id}/cancel"' in page
    cancelled = await browser_client.post(f"/runs/{run_id}/cancel", data={"csrf_token": csrf})
    assert cancelled.status_code == 303
    assert store.run(run_id).status == "cancelled"
    page = (await browser_client.get(f"/runs/{run_id}")).text
    assert f'action="/runs/{run_id}/resume"' in page
    resumed = await browser_client.post(f"/runs/{run_id}/resume", data={"csrf_token": csrf})
    assert resumed.status_code == 303
    assert await wait_until_finished(store, run_id) == "succeeded"


async def test_dossier_shows_every_section_with_faithfulness_and_downloads(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    """The dossier page shows pain points, research, the evidence matrix, fit, contacts,
    CV and cover letter with their faithfulness mapping, and links every artifact."""
    run_id = await start_example_run(browser_client, store)
    job = store.jobs(run_id)[0]
    page = (await browser_client.get(f"/runs/{run_id}/jobs/{job.id}")).text
    for heading in (
        "Pain points",
        "Research",
        "Fit and evidence",
        "Evidence matrix",
        "Contacts and outreach",
        "Tailored CV",
        "Cover letter",
    ):
        assert f">{heading}</h" in page, heading
    assert "Each generated line and the master-CV entry it rests on" in page
    assert re.search(r"<td><code>r\d+\.b\d+</code></td>", page)
    for kind in ("cv_pdf", "cv_md", "cover_letter_md", "outreach_md", "dossier_html"):
        assert f'href="/runs/{run_id}/jobs/{job.id}/files/{kind}"' in page


async def test_cv_pdf_downloads_as_an_attachment(
    browser_client: httpx.AsyncClient, store: Store
) -> None:
    """The CV PDF link serves the run's PDF as a cv.pdf attachment."""
    run_id = await start_example_run(browser_client, store)
    job = store.jobs(run_id)[0]
    answer = await browser_client.get(f"/runs/{run_id}/jobs/{job.id}/files/cv_pdf")
    assert answer.status_code == 200
    assert answer.content.startswith(b"%PDF")
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="cv.pdf"'


async def test_download_refuses_a_file_outside_the_jobs_folder(
    browser_client: httpx.AsyncClient, store: Store, tmp_path: Path
) -> None:
    """An artifact row pointing outside the job's output folder is never served."""
    run_id = await start_example_run(browser_client, store)
    job = store.jobs(run_id)[0]
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the browser")
    with store.engine.begin() as conn:
        conn.execute(
            update(ArtifactRow)
            .where(ArtifactRow.job_id == job.id, ArtifactRow.kind == "cv_md")
            .values(path=str(secret))
        )
    answer = await browser_client.get(f"/runs/{run_id}/jobs/{job.id}/files/cv_md")
    assert answer.status_code == 404
    assert "not for the browser" not in answer.text
    unknown = await browser_client.get(f"/runs/{run_id}/jobs/{job.id}/files/..%2Fsecret")
    assert unknown.status_code == 404


async def test_degraded_and_failed_stages_are_marked_on_run_and_dossier(
    browser_client: httpx.AsyncClient, store: Store, settings: Settings
) -> None:
    """A degraded stage shows its reason in the timeline and a failed one its error, on the
    run page and in the dossier, which renders the rest."""
    posting = normalise_posting(load_postings([POSTING]).postings[0])
    posting_id = store.upsert_posting(posting)
    candidate = store.upsert_candidate(load_cv(EXAMPLES / "master-cv.md"))
    run_id = store.create_run(
        candidate_id=candidate,
        out_dir=str(settings.out_dir),
        jobs=[(posting_id, str(settings.out_dir / "job"))],
    )
    store.set_run_status(run_id, "partial")
    job = store.jobs(run_id)[0]
    start = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    jd = ExtractedJD(title=posting.title, company=posting.company)
    store.save_stage_result(
        job_id=job.id,
        stage="extract",
        status="degraded",
        strategy="deterministic",
        output=jd.model_dump(mode="json"),
        started_at=start,
        finished_at=start + timedelta(seconds=2),
        reason="ProviderTimeout: openai did not answer in 60 s",
    )
    store.save_stage_result(
        job_id=job.id,
        stage="pain_points",
        status="failed",
        strategy="-",
        output=None,
        started_at=start + timedelta(seconds=2),
        finished_at=start + timedelta(seconds=3),
        error="ValueError: no sentences",
    )
    page = (await browser_client.get(f"/runs/{run_id}")).text
    assert "degraded: ProviderTimeout: openai did not answer in 60 s" in page
    assert 'class="seg-degraded"' in page and 'class="seg-failed"' in page
    assert "pain_points failed: ValueError: no sentences" in page
    assert re.search(r"<strong class=\"status-failed\">1 failed</strong>", page)
    dossier = (await browser_client.get(f"/runs/{run_id}/jobs/{job.id}")).text
    assert "Not available: the pain points stage failed (ValueError: no sentences)." in dossier
    assert "Not available: the fit stage has not completed." in dossier
    assert "No files yet" in dossier
