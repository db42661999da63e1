"""The simulated FireCrawl: deterministic synthetic pages, labelled simulated, behind a key."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from jobintel.providers.base import ScrapeRequest, SearchRequest
from jobintel.providers.errors import ProviderRateLimited, ProviderUnavailable
from jobintel.providers.firecrawl import FireCrawl
from jobintel.simulator import SimulatorHandle

AUTH = {"Authorization": "Bearer sim"}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def _search(http: httpx.Client, sim: SimulatorHandle, query: str, limit: int = 3) -> httpx.Response:
    body = {"query": query, "limit": limit, "scrapeOptions": {"formats": ["markdown"]}}
    return http.post(f"{sim.firecrawl_base_url}/v1/search", json=body, headers=AUTH)


def test_search_returns_dated_pages_about_the_company(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """A search names the company, carries ISO dates and a quote, and is labelled simulated."""
    answer = _search(http, simulator, "Northwind Traders funding news", limit=5).json()
    assert answer["success"] is True and answer["creditsUsed"] == 5
    pages = answer["data"]
    assert len(pages) == 5
    assert "funding" in pages[0]["url"]  # the topic the query names comes first
    text = " ".join(p["markdown"] for p in pages)
    assert "Northwind Traders" in text
    assert re.search(r"\b2026-\d\d-\d\d\b", text)
    assert '"' in text  # the leadership page quotes its CEO
    for page in pages:
        assert {"url", "title", "description", "markdown"} <= set(page)
        assert page["metadata"]["simulated"] is True
        assert page["url"].startswith("https://northwind-traders.example.com/")


def test_same_query_gives_the_same_pages(simulator: SimulatorHandle, http: httpx.Client) -> None:
    """Search results are a pure function of the query and limit."""
    assert (
        _search(http, simulator, "Acme hiring").json()
        == _search(http, simulator, "Acme hiring").json()
    )


def test_scrape_of_a_search_hit_returns_the_same_page(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """Scraping a URL from the search results returns that page's Markdown and metadata."""
    hit = _search(http, simulator, "Acme Robotics", limit=1).json()["data"][0]
    answer = http.post(
        f"{simulator.firecrawl_base_url}/v1/scrape",
        json={"url": hit["url"], "formats": ["markdown"], "onlyMainContent": True},
        headers=AUTH,
    ).json()
    assert answer["success"] is True and answer["creditsUsed"] == 1
    assert answer["data"]["markdown"] == hit["markdown"]
    meta = answer["data"]["metadata"]
    assert meta["sourceURL"] == hit["url"] and meta["statusCode"] == 200 and meta["simulated"]


def test_firecrawl_needs_a_bearer_key_and_a_query(
    simulator: SimulatorHandle, http: httpx.Client
) -> None:
    """No Authorization header gives 401; an empty query gives 400; both say success=false."""
    url = f"{simulator.firecrawl_base_url}/v1/search"
    unauthorised = http.post(url, json={"query": "Acme"})
    assert unauthorised.status_code == 401 and unauthorised.json()["success"] is False
    bad = http.post(url, json={"query": ""}, headers=AUTH)
    assert bad.status_code == 400 and "query" in bad.json()["error"]


async def test_firecrawl_provider_reads_the_simulator(simulator: SimulatorHandle) -> None:
    """jobintel's FireCrawl provider searches and scrapes the simulator, credits counted."""
    async with httpx.AsyncClient(timeout=None) as client:
        provider = FireCrawl(
            base_url=simulator.firecrawl_base_url, api_key="sim", http_client=client
        )
        found = await provider.search(SearchRequest(query="Globex launch", limit=2))
        assert len(found.hits) == 2 and "Globex" in found.hits[0].text
        assert found.usage.credits == 2
        page = (await provider.scrape(ScrapeRequest(url=found.hits[0].url))).page
        assert page.title == found.hits[0].title


async def test_firecrawl_faults_reach_the_provider_as_errors(simulator: SimulatorHandle) -> None:
    """Scripted 503 and 429 on FireCrawl routes surface as Unavailable and RateLimited."""
    simulator.configure(fault_script=["503", "429"], fault_retry_after_s=2)
    async with httpx.AsyncClient(timeout=None) as client:
        provider = FireCrawl(
            base_url=simulator.firecrawl_base_url, api_key="sim", http_client=client
        )
        with pytest.raises(ProviderUnavailable):
            await provider.search(SearchRequest(query="Initech"))
        with pytest.raises(ProviderRateLimited) as caught:
            await provider.scrape(ScrapeRequest(url="https://initech.example.com/news/about"))
    assert caught.value.retry_after_s == 2
    assert simulator.stats().faults == {"503": 1, "429": 1}
