"""The company stage's LLM strategy: web sources, cited signals, cache and single-flight."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobintel.guard import CallMeta, CallRecord, Gateway
from jobintel.models import MasterCV, Posting
from jobintel.pipeline.llm import LLMOutputInvalid, StageLLM, StageResearch
from jobintel.pipeline.stage import StageContext
from jobintel.pipeline.stages import company
from jobintel.providers import ChatRequest, ModelRef
from jobintel.providers.firecrawl import FireCrawl
from jobintel.providers.web import WebFetcher
from jobintel.settings import Settings
from jobintel.simulator.responders import ResponderInput, extract_data, find_responder
from jobintel.store import ResearchCache, ResearchLease, SourceCache, Store
from jobintel.store.tables import utcnow
from tests.fakes import FAST_RETRY, ScriptedChat, priced_guard
from tests.research.conftest import fake_dns

CV = MasterCV(source="cv.md", name="Jo Tester")
POSTING = Posting(
    source="jobs/acme.md",
    title="Platform Lead",
    company="Acme Rockets Inc.",
    url="https://jobs.example/acme/1",
    description=(
        "Acme Rockets is a space company building reusable rockets for desert logistics. "
        "We are hiring a Platform Lead to scale our launch software. "
        "Learn more at https://www.acmerockets.com/about."
    ),
    dedupe_key="acme-1",
)
HITS = [
    {
        "url": f"https://news.example/acme-{i}",
        "title": f"Acme news {i}",
        "description": f"Acme Rockets story {i}.",
        # Long pages: the strategy must cut them down before they reach the model.
        "markdown": f"# Story {i}\n\n[Acme](https://acme.example) raised money. " + "word " * 4000,
    }
    for i in range(3)
]
ANSWER = {
    "summary": (
        "Acme Rockets builds reusable rockets. It raised a Series B in 2024. "
        "It is expanding to Europe. This fourth sentence is dropped."
    ),
    "signals": [
        {
            "type": "funding",
            "text": "Raised a $20M Series B.",
            "date": "2024-03",
            "source": 1,
            "url": "https://evil.example/",
        },
        {"type": "launch", "text": "Launched Roadrunner-1.", "date": None, "source": 7},
        {"type": "hiring", "text": "Hiring 50 engineers.", "date": None, "source": -1},
    ],
}


class FireCrawlServer:
    """A fake FireCrawl v1 search endpoint; counts the searches it answers."""

    def __init__(self, *, status: int = 200) -> None:
        self.status = status
        self.queries: list[dict[str, Any]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.queries.append(json.loads(request.content))
        await asyncio.sleep(0.01)  # let a concurrent job run while this one waits
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "down"})
        return httpx.Response(200, json={"success": True, "data": HITS, "creditsUsed": 4})


class Research:
    """A gateway with a scripted model and one research service, plus its call records."""

    def __init__(self, chat: ScriptedChat, http: httpx.AsyncClient, research: Any) -> None:
        self.chat = chat
        self.gateway = Gateway(
            chat={"fake": chat}, research=research, http_client=http, guard=priced_guard()
        )
        self.records: list[CallRecord] = []
        self.gateway.observe(self.records.append)

    def calls(self, operation: str) -> int:
        return sum(1 for r in self.records if r.operation == operation)

    def ctx(
        self, tmp_path: Path, settings: Settings, store: Store | None, **kw: Any
    ) -> StageContext:
        posting = kw.pop("posting", POSTING)
        meta = CallMeta(run_id="run1", job_id=kw.pop("job_id", 1), stage="company")
        services = self.gateway.research_services
        return StageContext(
            run_id="run1",
            job_id=meta.job_id or 1,
            posting=posting,
            cv=CV,
            output_dir=tmp_path,
            settings=settings,
            results={"ingest": posting},
            llm=StageLLM(
                gateway=self.gateway, meta=meta, route=ModelRef(provider="fake", model="m")
            ),
            research=StageResearch(gateway=self.gateway, meta=meta, services=services)
            if services
            else None,
            store=store,
        )


@pytest.fixture
async def firecrawl_setup() -> AsyncIterator[tuple[FireCrawlServer, Research]]:
    server = FireCrawlServer()
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    firecrawl = FireCrawl(base_url="https://fc.test", api_key="fc-key", http_client=http)
    setup = Research(ScriptedChat([ANSWER]), http, {"firecrawl": firecrawl})
    async with setup.gateway:
        yield server, setup


async def test_answer_is_merged_with_sources_mapped_by_index(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
) -> None:
    """Signal URLs come from our source list by index; out-of-range indexes and model URLs are dropped."""
    server, setup = firecrawl_setup
    result = await company.llm(setup.ctx(tmp_path, settings, store))
    assert server.queries[0]["query"] == "Acme Rockets company news"
    assert server.queries[0]["scrapeOptions"] == {"formats": ["markdown"]}
    assert result.company == "Acme Rockets Inc."
    assert result.offline is False
    assert result.summary == (
        "Acme Rockets builds reusable rockets. It raised a Series B in 2024. It is expanding to Europe."
    )
    assert [(s.type, s.text, s.date, s.source_url) for s in result.signals] == [
        ("funding", "Raised a $20M Series B.", "2024-03", "https://news.example/acme-1")
    ]
    assert result.sources == tuple(h["url"] for h in HITS)


async def test_model_input_stays_small(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
) -> None:
    """Long scraped pages are cut to short excerpts: the whole request stays near 1,500 tokens."""
    _server, setup = firecrawl_setup
    await company.llm(setup.ctx(tmp_path, settings, store))
    (request,) = setup.chat.requests
    prompt_chars = sum(len(m.content) for m in request.messages)
    schema_chars = len(json.dumps(request.json_schema))
    assert request.schema_name == "company"
    assert (prompt_chars + schema_chars) / 4 < 1_500
    data = extract_data(tuple({"role": m.role, "content": m.content} for m in request.messages))
    assert [s["i"] for s in data["sources"]] == [0, 1, 2]
    assert "https://acme.example" not in json.dumps(data)  # Markdown links reduced to text


async def test_invalid_answer_twice_raises_llm_output_invalid(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    """An answer that fails the schema, then fails its repair, degrades the stage."""
    server = FireCrawlServer()
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    firecrawl = FireCrawl(base_url="https://fc.test", api_key="k", http_client=http)
    bad = {"summary": "Acme.", "signals": [{"type": "rumour", "text": "x", "source": 0}]}
    setup = Research(ScriptedChat([bad, "not json"]), http, {"firecrawl": firecrawl})
    async with setup.gateway:
        with pytest.raises(LLMOutputInvalid):
            await company.llm(setup.ctx(tmp_path, settings, store))
    assert len(setup.chat.requests) == 2
    assert "does not match the required JSON schema" in setup.chat.requests[1].messages[-1].content
    assert ResearchCache(store.engine).get("Acme Rockets", max_age=timedelta(days=7)) is None


async def test_a_failed_summary_leaves_its_paid_search_for_the_next_job(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    """The search succeeds, the summary after it fails: the next job for the company
    reuses the stored sources (no second search) and its summary cites them."""
    server = FireCrawlServer()
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    firecrawl = FireCrawl(base_url="https://fc.test", api_key="k", http_client=http)
    bad = {"summary": "Acme.", "signals": [{"type": "rumour", "text": "x", "source": 0}]}
    setup = Research(ScriptedChat([bad, "not json", ANSWER]), http, {"firecrawl": firecrawl})
    async with setup.gateway:
        with pytest.raises(LLMOutputInvalid):
            await company.llm(setup.ctx(tmp_path, settings, store))
        stored = SourceCache(store.engine).get("Acme Rockets", max_age=timedelta(days=7))
        assert stored is not None and stored.service == "firecrawl"
        assert [source["url"] for source in stored.sources] == [h["url"] for h in HITS]
        again = await company.llm(setup.ctx(tmp_path, settings, store, job_id=2))
    assert len(server.queries) == 1 and setup.calls("search") == 1
    assert again.offline is False
    assert again.sources == tuple(h["url"] for h in HITS)
    assert [s.source_url for s in again.signals] == ["https://news.example/acme-1"]
    # The model saw the same excerpts as the first time.
    first, _repair, last = setup.chat.requests
    assert first.messages[-1].content == last.messages[-1].content
    cached = ResearchCache(store.engine).get("Acme Rockets", max_age=timedelta(days=7))
    assert cached is not None and cached.summary == again.summary


async def test_stale_sources_are_searched_again(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
) -> None:
    """Sources older than research_ttl_days are not reused: the company is searched again."""
    server, setup = firecrawl_setup
    old = SourceCache(store.engine, clock=lambda: utcnow() - timedelta(days=8))
    old.put(
        "Acme Rockets",
        [{"url": "https://old.example/", "title": "Old", "text": "Old."}],
        service="firecrawl",
    )
    result = await company.llm(setup.ctx(tmp_path, settings, store))
    assert len(server.queries) == 1
    assert result.sources == tuple(h["url"] for h in HITS)


async def test_research_built_on_stored_sources_expires_with_them(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
) -> None:
    """Sources fetched 6 days ago (TTL 7) are reused; the research built on them is stored
    as 6 days old, so it is not served past the sources' TTL."""
    server, setup = firecrawl_setup
    six_days_ago = utcnow() - timedelta(days=6)
    rows = [{"url": h["url"], "title": h["title"], "text": "Acme news."} for h in HITS]
    SourceCache(store.engine, clock=lambda: six_days_ago).put(
        "Acme Rockets", rows, service="firecrawl"
    )
    result = await company.llm(setup.ctx(tmp_path, settings, store))
    assert server.queries == [] and result.offline is False
    cache = ResearchCache(store.engine)
    assert cache.get("Acme Rockets", max_age=timedelta(days=7)) is not None
    assert cache.get("Acme Rockets", max_age=timedelta(days=5)) is None


async def test_stored_sources_are_not_used_when_research_is_off(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    """With research off (no research service) the summary is of the posting alone, even
    when sources of the company are stored, and nothing is cached."""
    SourceCache(store.engine).put(
        "Acme Rockets",
        [{"url": "https://news.example/acme-0", "title": "Acme", "text": "Acme news."}],
        service="firecrawl",
    )
    answer = {"summary": "Acme Rockets builds reusable rockets.", "signals": []}
    setup = Research(ScriptedChat([answer]), httpx.AsyncClient(), {})
    async with setup.gateway:
        result = await company.llm(setup.ctx(tmp_path, settings, store))
    assert result.offline is True
    assert "news.example" not in json.dumps(result.model_dump(mode="json"))
    assert ResearchCache(store.engine).get("Acme Rockets", max_age=timedelta(days=7)) is None


async def test_second_job_for_the_company_uses_the_cache(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
) -> None:
    """Another posting of the same company (spelled differently) costs no research or model call."""
    server, setup = firecrawl_setup
    first = await company.llm(setup.ctx(tmp_path, settings, store))
    other = POSTING.model_copy(update={"company": "ACME ROCKETS", "dedupe_key": "acme-2"})
    second = await company.llm(setup.ctx(tmp_path, settings, store, posting=other, job_id=2))
    assert len(server.queries) == 1 and setup.calls("search") == 1
    assert len(setup.chat.requests) == 1
    assert second.company == "ACME ROCKETS"
    assert second.summary == first.summary and second.signals == first.signals


async def test_concurrent_jobs_for_one_company_research_it_once(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
) -> None:
    """Two jobs running at once for the same company make one search and one model call."""
    server, setup = firecrawl_setup
    other = POSTING.model_copy(update={"company": "Acme Rockets", "dedupe_key": "acme-2"})
    results = await asyncio.gather(
        company.llm(setup.ctx(tmp_path, settings, store)),
        company.llm(setup.ctx(tmp_path, settings, store, posting=other, job_id=2)),
    )
    assert len(server.queries) == 1
    assert len(setup.chat.requests) == 1
    assert results[0].summary == results[1].summary


def _held_elsewhere(store: Store, company_name: str) -> ResearchLease:
    """The company's research lease, taken as another live process would hold it."""
    lease = ResearchLease(store.engine, company_name, ttl=timedelta(minutes=5))
    assert lease.acquire()
    return lease


async def test_a_job_waits_for_the_research_another_process_is_doing(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While another process holds the company's lease, the job waits and then uses that
    process's research: no search, no model call."""
    monkeypatch.setattr(company, "LEASE_POLL_S", 0.01)
    server, setup = firecrawl_setup
    other = _held_elsewhere(store, "ACME Rockets")
    job = asyncio.create_task(company.llm(setup.ctx(tmp_path, settings, store)))
    await asyncio.sleep(0.2)
    assert not job.done() and server.queries == []
    theirs = company.deterministic(setup.ctx(tmp_path, settings, store)).model_copy(
        update={"summary": "Researched by the other process.", "offline": False}
    )
    ResearchCache(store.engine).put("Acme Rockets", theirs, service="firecrawl")
    result = await asyncio.wait_for(job, timeout=30)
    assert result.summary == "Researched by the other process."
    assert server.queries == [] and setup.chat.requests == []
    other.release()


async def test_a_job_researches_when_the_other_process_gives_up(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A holder that releases the lease without research (its summary failed) hands the
    work on: the waiting job researches, and its own lease is gone when it is done."""
    monkeypatch.setattr(company, "LEASE_POLL_S", 0.01)
    server, setup = firecrawl_setup
    other = _held_elsewhere(store, "Acme Rockets")
    job = asyncio.create_task(company.llm(setup.ctx(tmp_path, settings, store)))
    await asyncio.sleep(0.2)
    assert not job.done()
    other.release()
    result = await asyncio.wait_for(job, timeout=30)
    assert result.offline is False and len(server.queries) == 1
    assert len(setup.chat.requests) == 1
    assert ResearchLease(store.engine, "Acme Rockets", ttl=timedelta(minutes=5)).acquire()


async def test_a_job_stops_waiting_for_a_holder_that_takes_too_long(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A live holder that never finishes holds no one for longer than LEASE_MAX_WAIT: the
    job then researches itself."""
    monkeypatch.setattr(company, "LEASE_POLL_S", 0.01)
    monkeypatch.setattr(company, "LEASE_MAX_WAIT", timedelta(seconds=0.1))
    server, setup = firecrawl_setup
    stuck = _held_elsewhere(store, "Acme Rockets")
    result = await asyncio.wait_for(company.llm(setup.ctx(tmp_path, settings, store)), 30)
    assert result.offline is False and len(server.queries) == 1
    stuck.release()


async def test_with_research_off_no_job_waits_for_a_lease(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    """With nothing to search there is nothing to share: a job does not wait for another
    process's lease on the company, and takes none."""
    other = _held_elsewhere(store, "Acme Rockets")
    answer = {"summary": "Acme Rockets builds reusable rockets.", "signals": []}
    setup = Research(ScriptedChat([answer]), httpx.AsyncClient(), {})
    async with setup.gateway:
        result = await asyncio.wait_for(company.llm(setup.ctx(tmp_path, settings, store)), 30)
    assert result.offline is True and len(setup.chat.requests) == 1
    other.release()
    assert ResearchLease(store.engine, "Acme Rockets", ttl=timedelta(minutes=5)).acquire()


async def test_a_cancelled_job_leaves_no_lease_behind(
    tmp_path: Path,
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A job cancelled while it takes the lease, or while it researches holding it, gives the
    lease up: the next job for the company does not wait for it to lapse."""
    searching = asyncio.Event()

    async def hanging_search(request: httpx.Request) -> httpx.Response:
        searching.set()
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    http = httpx.AsyncClient(transport=httpx.MockTransport(hanging_search))
    firecrawl = FireCrawl(base_url="https://fc.test", api_key="fc-key", http_client=http)
    setup = Research(ScriptedChat([ANSWER]), http, {"firecrawl": firecrawl})
    taken = ResearchLease.acquire
    acquired = threading.Event()

    def slow_acquire(lease: ResearchLease) -> bool:
        time.sleep(0.3)  # the job is cancelled while this thread is still taking it
        try:
            return taken(lease)
        finally:
            acquired.set()

    def free() -> bool:
        probe = ResearchLease(store.engine, "Acme Rockets", ttl=timedelta(minutes=5))
        took = probe.acquire()
        probe.release()
        return took

    async with setup.gateway:
        with monkeypatch.context() as patch:
            patch.setattr(ResearchLease, "acquire", slow_acquire)
            job = asyncio.create_task(company.llm(setup.ctx(tmp_path, settings, store)))
            await asyncio.sleep(0.05)
            job.cancel()
            await asyncio.sleep(0)
            job.cancel()  # twice, as a run's stop and then the server's shutdown would
            with pytest.raises(asyncio.CancelledError):
                await job
        # The thread took the lease after the cancellation; it must not be left behind.
        assert await asyncio.to_thread(acquired.wait, 30)
        assert free()

        job = asyncio.create_task(company.llm(setup.ctx(tmp_path, settings, store)))
        await asyncio.wait_for(searching.wait(), 30)
        assert not free()  # held while it researches
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        assert free()


async def test_expired_cache_entry_is_researched_again(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
) -> None:
    """An entry older than research_ttl_days is ignored and replaced."""
    server, setup = firecrawl_setup
    stale = company.deterministic(setup.ctx(tmp_path, settings, store))
    old = ResearchCache(store.engine, clock=lambda: utcnow() - timedelta(days=8))
    old.put("Acme Rockets", stale, service="firecrawl")
    result = await company.llm(setup.ctx(tmp_path, settings, store))
    assert len(server.queries) == 1
    assert result.offline is False
    cached = ResearchCache(store.engine).get("Acme Rockets", max_age=timedelta(days=7))
    assert cached is not None and cached.summary == result.summary


async def test_failed_research_summarises_the_posting_and_is_not_cached(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    """When FireCrawl fails the model summarises the posting alone (offline) and the next job retries."""
    server = FireCrawlServer(status=503)
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    firecrawl = FireCrawl(base_url="https://fc.test", api_key="k", http_client=http)
    answer = {"summary": "Acme Rockets builds reusable rockets.", "signals": []}
    setup = Research(ScriptedChat([answer]), http, {"firecrawl": firecrawl})
    async with setup.gateway:
        result = await company.llm(setup.ctx(tmp_path, settings, store))
        await company.llm(setup.ctx(tmp_path, settings, store, job_id=2))
    assert result.offline is True
    assert result.summary == "Acme Rockets builds reusable rockets."
    assert all(s.source_url in (None, POSTING.url) for s in result.signals)
    # The first job spends its retries; the second tries again (until the breaker opens).
    assert FAST_RETRY.attempts < len(server.queries) <= 2 * FAST_RETRY.attempts


async def test_plain_http_research_scrapes_the_company_site(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    """With only the HTTP fetcher, the company site the posting links to is scraped and cited."""
    fetched: list[str] = []

    def site(request: httpx.Request) -> httpx.Response:
        fetched.append(f"{request.headers['host']}{request.url.path}")
        html = "<title>Acme Rockets</title><main><p>Acme Rockets raised $20M in 2024.</p></main>"
        return httpx.Response(200, headers={"content-type": "text/html"}, text=html)

    http = httpx.AsyncClient(transport=httpx.MockTransport(site))
    fetcher = WebFetcher(
        http_client=http, resolve=fake_dns({"www.acmerockets.com": ["93.184.216.34"]})
    )
    answer = {
        "summary": "Acme Rockets raised $20M in 2024.",
        "signals": [{"type": "funding", "text": "Raised $20M.", "date": "2024", "source": 0}],
    }
    setup = Research(ScriptedChat([answer]), http, {"http": fetcher})
    async with setup.gateway:
        result = await company.llm(setup.ctx(tmp_path, settings, store))
        assert setup.calls("search") == 0 and setup.calls("scrape") == 1
    assert fetched == ["www.acmerockets.com/"]
    assert result.offline is False
    assert result.signals[0].source_url == "https://www.acmerockets.com/"


async def test_plain_http_without_a_company_site_makes_no_web_call(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    """A posting that links no company site gets a posting-only summary and no fetch."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    fetcher = WebFetcher(http_client=http, resolve=fake_dns({}))
    answer = {"summary": "Acme Rockets builds rockets.", "signals": []}
    setup = Research(ScriptedChat([answer]), http, {"http": fetcher})
    posting = POSTING.model_copy(update={"description": "Acme Rockets builds rockets. Join us."})
    async with setup.gateway:
        result = await company.llm(setup.ctx(tmp_path, settings, store, posting=posting))
    assert setup.calls("scrape") == 0 and setup.calls("search") == 0
    assert result.offline is True


async def test_intermediary_signal_follows_each_posting(
    firecrawl_setup: tuple[FireCrawlServer, Research],
    tmp_path: Path,
    settings: Settings,
    store: Store,
) -> None:
    """A recruiter posting keeps its own intermediary signal even when research comes from the cache."""
    _server, setup = firecrawl_setup
    await company.llm(setup.ctx(tmp_path, settings, store))
    agency = POSTING.model_copy(
        update={
            "description": "Acme Rockets is recruiting on behalf of our client, a launch firm.",
            "dedupe_key": "acme-3",
        }
    )
    result = await company.llm(setup.ctx(tmp_path, settings, store, posting=agency, job_id=3))
    assert [s.type for s in result.signals][:1] == ["intermediary"]
    assert len(setup.chat.requests) == 1


@pytest.mark.parametrize(
    ("description", "url", "site"),
    [
        ("See https://www.acmerockets.com/careers for more.", "", "https://www.acmerockets.com/"),
        ("Apply at https://boards.greenhouse.io/acmerockets/1", "", None),
        ("Read our blog at http://blog.acme-rockets.io/post", "", "http://blog.acme-rockets.io/"),
        (
            "No links here.",
            "https://careers.acmerockets.com/jobs/1",
            "https://careers.acmerockets.com/",
        ),
        ("Partner: https://www.globex.com/", "https://www.linkedin.com/jobs/view/1", None),
    ],
)
def test_company_website_is_derived_only_from_matching_hosts(
    description: str, url: str, site: str | None
) -> None:
    """A company URL is a link whose host names the company; job boards never count."""
    posting = POSTING.model_copy(update={"description": description, "url": url})
    assert company.company_website(posting) == site


async def test_simulator_responder_gives_a_valid_cited_answer(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    """The simulator's company responder answers the real prompt with signals citing real sources."""
    respond = find_responder("company")
    assert respond is not None

    def simulated(request: ChatRequest) -> Any:
        messages = tuple({"role": m.role, "content": m.content} for m in request.messages)
        return respond(
            ResponderInput(
                schema_name=request.schema_name,
                json_schema=request.json_schema,
                messages=messages,
                data=extract_data(messages),
            )
        )

    server = FireCrawlServer()
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    firecrawl = FireCrawl(base_url="https://fc.test", api_key="k", http_client=http)
    setup = Research(ScriptedChat([simulated]), http, {"firecrawl": firecrawl})
    async with setup.gateway:
        result = await company.llm(setup.ctx(tmp_path, settings, store))
    assert len(setup.chat.requests) == 1  # valid on the first try
    assert result.summary.startswith("Acme Rockets story 0.")
    assert result.signals and all(s.source_url in result.sources for s in result.signals)
