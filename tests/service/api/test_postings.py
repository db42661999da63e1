"""Postings: every way in (text, file, JSON records, JSONL, URL), bounds, list, read, delete."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.loopback import serve_http
from tests.service.api.conftest import POSTINGS, Api, running_api, service_settings

TEXT = "# Platform Engineer — Acme Rockets\nLocation: Remote\n\nWe need Kubernetes and Go skills."


async def test_a_pasted_posting_is_stored_once(api: Api) -> None:
    """Text becomes a posting with title and company from its heading (overridable); the
    same text again is recognised and not stored twice."""
    first = await api.client.post("/api/postings", headers=api.auth("run"), json={"text": TEXT})
    assert first.status_code == 201
    [posting] = first.json()["postings"]
    assert (posting["title"], posting["company"], posting["created"]) == (
        "Platform Engineer",
        "Acme Rockets",
        True,
    )
    again = await api.client.post("/api/postings", headers=api.auth("run"), json={"text": TEXT})
    assert again.json()["postings"][0]["id"] == posting["id"]
    assert again.json()["postings"][0]["created"] is False
    renamed = await api.client.post(
        "/api/postings",
        headers=api.auth("run"),
        json={"text": "Build rockets with us.", "title": "Rocket Engineer", "company": "Acme"},
    )
    assert renamed.json()["postings"][0]["title"] == "Rocket Engineer"
    read = await api.client.get(f"/api/postings/{posting['id']}", headers=api.auth("read"))
    assert read.json()["description"].startswith("We need Kubernetes")
    assert read.json()["runs"] == []


async def test_file_uploads_of_every_posting_type_are_read(api: Api) -> None:
    """Markdown, text, JSON and JSONL files each yield their postings, named after the upload."""
    counts = {}
    for path in sorted(POSTINGS.iterdir()):
        counts[path.suffix] = len(await api.add_postings(path))
    assert counts == {".md": 1, ".txt": 1, ".json": 1, ".jsonl": 1}
    listing = await api.client.get("/api/postings?limit=2", headers=api.auth("read"))
    assert listing.json()["total"] == sum(counts.values())
    assert len(listing.json()["postings"]) == 2
    assert listing.json()["postings"][0]["source"].startswith("upload:")


async def test_a_jsonl_body_keeps_good_lines_and_reports_bad_ones(api: Api) -> None:
    """A raw JSONL body stores each good line and lists each bad line with its line number."""
    body = (
        '{"title": "Data Engineer", "company": "Helio", "job_description": "Spark and SQL."}\n'
        "not json\n"
        '{"title": "Analyst", "company": "Helio"}\n'
    )
    response = await api.client.post(
        "/api/postings",
        headers={**api.auth(), "Content-Type": "application/x-ndjson"},
        content=body.encode(),
    )
    assert response.status_code == 201
    assert [p["title"] for p in response.json()["postings"]] == ["Data Engineer"]
    sources = [e["source"] for e in response.json()["errors"]]
    assert sources == ["upload:body.jsonl:2", "upload:body.jsonl:3"]


async def test_json_records_name_the_bad_record(api: Api) -> None:
    """With no usable record the answer is 422 naming the field and the record's index."""
    response = await api.client.post(
        "/api/postings", headers=api.auth(), json={"records": [{"title": "No description"}]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "records"
    assert "api:records[0]" in response.json()["errors"][0]["message"]


async def test_a_request_must_say_what_to_add(api: Api) -> None:
    """Giving both text and url (or neither) is a 422 naming the field; unknown fields too."""
    both = await api.client.post(
        "/api/postings", headers=api.auth(), json={"text": TEXT, "url": "https://a.example/j"}
    )
    assert both.status_code == 422
    assert both.json()["errors"][0]["field"] == "url"
    extra = await api.client.post("/api/postings", headers=api.auth(), json={"txt": TEXT})
    assert extra.json()["errors"][0]["field"] == "txt"


async def test_uploads_are_bounded_in_size_and_type(tmp_path: Path) -> None:
    """A file over max_upload_bytes gets 413 and one of another type 415, both naming the
    field; a body of an unknown media type is 415 naming Content-Type."""
    async with running_api(service_settings(tmp_path, max_upload_bytes=4_000)) as api:
        big = await api.client.post(
            "/api/postings", headers=api.auth(), files={"file": ("big.md", b"x" * 30_000)}
        )
        assert big.status_code == 413
        assert big.json()["errors"][0]["field"] == "body"
        within_slack = await api.client.post(
            "/api/postings", headers=api.auth(), files={"file": ("big.md", b"x" * 5_000)}
        )
        assert within_slack.status_code == 413
        assert within_slack.json()["errors"][0]["field"] == "file"
        pdf = await api.client.post(
            "/api/postings", headers=api.auth(), files={"file": ("job.pdf", b"%PDF-1.4")}
        )
        assert pdf.status_code == 415
        assert pdf.json()["errors"][0]["field"] == "file"
        odd = await api.client.post(
            "/api/postings",
            headers={**api.auth(), "Content-Type": "application/xml"},
            content=b"<job/>",
        )
        assert odd.status_code == 415
        assert odd.json()["errors"][0]["field"] == "Content-Type"
        binary = await api.client.post(
            "/api/postings", headers=api.auth(), files={"file": ("job.md", b"%PDF-1.4 rest")}
        )
        assert binary.status_code == 422
        assert "looks like a PDF" in binary.json()["detail"]
        assert "jobintel-upload" not in binary.text


async def test_a_url_needs_a_research_service(api: Api) -> None:
    """Without a research service a URL posting is refused with 422 saying how to enable it."""
    response = await api.client.post(
        "/api/postings", headers=api.auth(), json={"url": "https://jobs.example.com/1"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    assert "JOBINTEL_RESEARCH=http" in response.json()["detail"]


@pytest.fixture
def job_page() -> Iterator[str]:
    page = (
        b"<html><head><title>Site Reliability Engineer</title></head><body><main>"
        b"<h1>Site Reliability Engineer at Orbit</h1><p>You will run Kubernetes clusters and "
        b"improve our on-call practice with Terraform and Go.</p></main></body></html>"
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            return None

    with serve_http(Handler) as url:
        yield f"{url}/jobs/sre"


async def test_a_url_posting_is_fetched_through_the_guard(tmp_path: Path, job_page: str) -> None:
    """With the HTTP research service a URL becomes a posting, and the fetch is in the ledger."""
    settings = service_settings(
        tmp_path, strategy="auto", research="http", fetch_allow_private=True
    )
    async with running_api(settings) as api:
        response = await api.client.post(
            "/api/postings", headers=api.auth(), json={"url": job_page}
        )
        assert response.status_code == 201, response.text
        [posting] = response.json()["postings"]
        assert posting["url"] == job_page
        assert "Site Reliability Engineer" in posting["title"]
        costs = await api.client.get("/api/costs?by=provider", headers=api.auth("read"))
        assert [row["key"] for row in costs.json()["rows"]] == ["http"]


async def test_a_posting_used_by_a_run_cannot_be_deleted(api: Api) -> None:
    """DELETE removes an unused posting (then 404); one a run used answers 409 naming the run."""
    spare = await api.client.post("/api/postings", headers=api.auth(), json={"text": TEXT})
    spare_id = spare.json()["postings"][0]["id"]
    assert (
        await api.client.delete(f"/api/postings/{spare_id}", headers=api.auth())
    ).status_code == 204
    gone = await api.client.get(f"/api/postings/{spare_id}", headers=api.auth())
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")

    cv_id = await api.upload_cv()
    [used] = await api.add_postings(POSTINGS / "helio-data-engineer.txt")
    run_id = await api.submit([used], cv_id)
    refused = await api.client.delete(f"/api/postings/{used}", headers=api.auth())
    assert refused.status_code == 409
    assert run_id in refused.json()["detail"]
    await api.finish(run_id)
    read = await api.client.get(f"/api/postings/{used}", headers=api.auth())
    assert read.json()["runs"] == [run_id]


async def test_the_sample_batch_loads_from_jsonl(api: Api) -> None:
    """All 53 sample postings load from the shared jobs.jsonl in one upload."""
    ids = await api.add_postings(SAMPLES / "jobs.jsonl")
    assert len(ids) == 53
