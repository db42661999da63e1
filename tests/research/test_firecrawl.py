"""The FireCrawl client against httpx.MockTransport fakes of its v1 wire format."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest

from jobintel.providers import (
    ProviderError,
    ProviderMalformed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    ScrapeRequest,
    SearchRequest,
)
from jobintel.providers.firecrawl import FireCrawl

KEY = "fc-secret-key-0123456789"
BASE = "https://firecrawl.test"
Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[Any, Any, httpx.Response]]
)


def _client(handler: Handler) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=False)


def _search_answer(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    hits = [
        {
            "url": f"https://news.example/{i}",
            "title": f"Acme news {i}",
            "description": "Acme raised money.",
            "markdown": f"# Acme {i}\n\nAcme raised a Series B.",
        }
        for i in range(body["limit"])
    ]
    return httpx.Response(200, json={"success": True, "data": hits, "creditsUsed": 7})


async def test_search_sends_the_v1_wire_format_and_reads_hits() -> None:
    """search() posts query, limit and markdown scrape options with a bearer key and parses hits."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _search_answer(request)

    async with _client(handler) as http:
        provider = FireCrawl(base_url=BASE + "/", api_key=KEY, http_client=http)
        result = await provider.search(SearchRequest(query="Acme company news", limit=2))
    (request,) = seen
    assert request.method == "POST" and str(request.url) == f"{BASE}/v1/search"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {
        "query": "Acme company news",
        "limit": 2,
        "scrapeOptions": {"formats": ["markdown"]},
    }
    assert [h.url for h in result.hits] == ["https://news.example/0", "https://news.example/1"]
    assert result.hits[0].title == "Acme news 0"
    assert result.hits[0].text.startswith("# Acme 0")
    assert result.usage.credits == 7


async def test_search_without_credits_used_counts_one_plus_scraped_results() -> None:
    """A search answer without creditsUsed costs 1 credit plus one per scraped result."""

    def handler(request: httpx.Request) -> httpx.Response:
        data = [{"url": "https://a.example", "markdown": "text"}, {"url": "https://b.example"}]
        return httpx.Response(200, json={"success": True, "data": data})

    async with _client(handler) as http:
        result = await FireCrawl(base_url=BASE, api_key=KEY, http_client=http).search(
            SearchRequest(query="q")
        )
    assert result.usage.credits == 2


async def test_scrape_reads_markdown_and_metadata() -> None:
    """scrape() posts url, markdown format and onlyMainContent, and returns the page."""
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        assert str(request.url) == f"{BASE}/v1/scrape"
        data = {
            "markdown": "# About Acme\n\nAcme builds rockets.",
            "metadata": {
                "title": "About",
                "sourceURL": "https://acme.example/about",
                "statusCode": 200,
            },
        }
        return httpx.Response(200, json={"success": True, "data": data})

    async with _client(handler) as http:
        provider = FireCrawl(base_url=BASE + "/v1", api_key=KEY, http_client=http)
        result = await provider.scrape(ScrapeRequest(url="https://acme.example/about"))
    assert seen == [
        {"url": "https://acme.example/about", "formats": ["markdown"], "onlyMainContent": True}
    ]
    assert result.page.title == "About"
    assert result.page.url == "https://acme.example/about"
    assert "Acme builds rockets." in result.page.text
    assert result.usage.credits == 1


@pytest.mark.parametrize(
    ("status", "headers", "error", "fragment"),
    [
        (429, {"retry-after": "12"}, ProviderRateLimited, "rate limited"),
        (402, {}, ProviderRejected, "out of credits"),
        (401, {}, ProviderRejected, "JOBINTEL_FIRECRAWL_API_KEY"),
        (403, {}, ProviderRejected, "JOBINTEL_FIRECRAWL_API_KEY"),
        (400, {}, ProviderRejected, "HTTP 400"),
        (500, {}, ProviderUnavailable, "HTTP 500"),
        (503, {}, ProviderUnavailable, "HTTP 503"),
    ],
)
async def test_http_errors_map_to_provider_errors(
    status: int, headers: dict[str, str], error: type[ProviderError], fragment: str
) -> None:
    """Each HTTP error status becomes the provider error the guard knows how to treat."""

    def handler(request: httpx.Request) -> httpx.Response:
        # A server that echoes the key back must not leak it into our messages.
        return httpx.Response(status, headers=headers, json={"error": f"bad token {KEY}"})

    async with _client(handler) as http:
        provider = FireCrawl(base_url=BASE, api_key=KEY, http_client=http)
        with pytest.raises(error) as caught:
            await provider.search(SearchRequest(query="q"))
    assert fragment in str(caught.value)
    assert caught.value.service == "firecrawl"
    assert KEY not in str(caught.value)
    if isinstance(caught.value, ProviderRateLimited):
        assert caught.value.retry_after_s == 12.0
    else:
        assert caught.value.status == status


async def test_connection_failure_is_unavailable() -> None:
    """A connection that cannot be made is ProviderUnavailable."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with _client(handler) as http:
        with pytest.raises(ProviderUnavailable):
            await FireCrawl(base_url=BASE, api_key=KEY, http_client=http).scrape(
                ScrapeRequest(url="https://acme.example")
            )


async def test_slow_answer_is_a_timeout() -> None:
    """An answer slower than the request's timeout is ProviderTimeout."""

    async def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    async with _client(handler) as http:
        with pytest.raises(ProviderTimeout):
            await FireCrawl(base_url=BASE, api_key=KEY, http_client=http).scrape(
                ScrapeRequest(url="https://acme.example", timeout_s=0.5)
            )


async def test_the_request_timeout_bounds_the_whole_call() -> None:
    """A server that never answers is cut off at the request's timeout_s."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, json={"success": True, "data": []})

    async with _client(handler) as http:
        with pytest.raises(ProviderTimeout):
            await FireCrawl(base_url=BASE, api_key=KEY, http_client=http).search(
                SearchRequest(query="q", timeout_s=0.05)
            )


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>not json</html>"),
        httpx.Response(200, json={"success": False, "error": "Unsupported URL"}),
        httpx.Response(200, json={"success": True}),
        httpx.Response(200, json=[1, 2]),
    ],
    ids=["not-json", "success-false", "no-data", "not-an-object"],
)
async def test_malformed_answers_are_provider_malformed(response: httpx.Response) -> None:
    """A 2xx answer that is not FireCrawl's wire format is ProviderMalformed."""
    async with _client(lambda request: response) as http:
        with pytest.raises(ProviderMalformed):
            await FireCrawl(base_url=BASE, api_key=KEY, http_client=http).search(
                SearchRequest(query="q")
            )


async def test_aclose_leaves_the_shared_client_open() -> None:
    """The provider never closes the gateway's HTTP client."""
    async with _client(_search_answer) as http:
        provider = FireCrawl(base_url=BASE, api_key=KEY, http_client=http)
        await provider.aclose()
        assert not http.is_closed
        result = await provider.search(SearchRequest(query="q", limit=1))
    assert len(result.hits) == 1
