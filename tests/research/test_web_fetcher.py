"""The plain HTTP fetcher's limits and page handling (its SSRF rules are in test_ssrf.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from jobintel.providers import (
    FetchRefused,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    ScrapeRequest,
    SearchRequest,
)
from jobintel.providers.page_text import page_text
from jobintel.providers.web import WebFetcher
from tests.research.conftest import LoopbackServer, fake_dns

DNS = fake_dns({"public.example": ["93.184.216.34"]})


def _mocked(handler: object, **options: object) -> tuple[httpx.AsyncClient, WebFetcher]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
    return http, WebFetcher(http_client=http, resolve=DNS, **options)  # type: ignore[arg-type]


async def test_declared_size_over_the_cap_is_refused(loopback: LoopbackServer) -> None:
    """A page larger than max_bytes is refused, naming the URL and JOBINTEL_FETCH_MAX_BYTES."""
    async with httpx.AsyncClient() as http:
        fetcher = WebFetcher(http_client=http, allow_private=True, max_bytes=1_000)
        with pytest.raises(FetchRefused) as caught:
            await fetcher.scrape(ScrapeRequest(url=f"{loopback.url}/big"))
    assert f"{loopback.url}/big" in str(caught.value)
    assert "JOBINTEL_FETCH_MAX_BYTES" in str(caught.value)


async def test_streamed_body_is_cut_off_at_the_cap() -> None:
    """A body without Content-Length is read only until it passes max_bytes."""
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            sent.append(1)
            yield b"<p>" + b"y" * 1_000 + b"</p>"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/html"}, content=endless())

    http, fetcher = _mocked(handler, max_bytes=10_000)
    async with http:
        with pytest.raises(FetchRefused, match="JOBINTEL_FETCH_MAX_BYTES"):
            await fetcher.scrape(ScrapeRequest(url="http://public.example/"))
    assert len(sent) < 20


async def test_non_text_content_is_refused(loopback: LoopbackServer) -> None:
    """Only HTML and plain-text pages are read; a PDF is refused by content type."""
    async with httpx.AsyncClient() as http:
        fetcher = WebFetcher(http_client=http, allow_private=True)
        with pytest.raises(FetchRefused, match="application/pdf"):
            await fetcher.scrape(ScrapeRequest(url=f"{loopback.url}/pdf"))


async def test_a_slow_site_is_a_timeout_naming_the_setting() -> None:
    """A fetch that outlasts timeout_s raises ProviderTimeout naming JOBINTEL_FETCH_TIMEOUT_S."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    http, fetcher = _mocked(handler, timeout_s=0.05)
    async with http:
        with pytest.raises(ProviderTimeout, match="JOBINTEL_FETCH_TIMEOUT_S"):
            await fetcher.scrape(ScrapeRequest(url="http://public.example/"))


async def test_redirects_to_allowed_hosts_are_followed() -> None:
    """A relative redirect is followed and the page reports its final URL."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(301, headers={"location": "/about"})
        return httpx.Response(
            200,
            headers={"content-type": "text/html; charset=utf-8"},
            text="<title>About</title><p>Acme builds rockets.</p>",
        )

    http, fetcher = _mocked(handler)
    async with http:
        result = await fetcher.scrape(ScrapeRequest(url="http://public.example/"))
    assert result.page.url == "http://public.example/about"
    assert result.page.title == "About"
    assert result.page.text == "Acme builds rockets."


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, ProviderRejected), (410, ProviderRejected), (502, ProviderUnavailable)],
)
async def test_error_statuses_map_to_provider_errors(status: int, error: type[Exception]) -> None:
    """A 4xx page is rejected (not retried) and a 5xx page is unavailable."""
    http, fetcher = _mocked(lambda request: httpx.Response(status))
    async with http:
        with pytest.raises(error, match=f"HTTP {status}"):
            await fetcher.scrape(ScrapeRequest(url="http://public.example/gone"))


async def test_unresolvable_host_is_rejected() -> None:
    """A host with no DNS answer is rejected with the host named."""
    http, fetcher = _mocked(lambda request: httpx.Response(200))
    async with http:
        with pytest.raises(ProviderRejected, match=r"nowhere\.example does not resolve"):
            await fetcher.scrape(ScrapeRequest(url="http://nowhere.example/"))


async def test_search_says_it_needs_firecrawl() -> None:
    """The plain fetcher cannot search and says which setting enables search."""
    http, fetcher = _mocked(lambda request: httpx.Response(200))
    async with http:
        with pytest.raises(ProviderRejected, match="JOBINTEL_FIRECRAWL_API_KEY"):
            await fetcher.search(SearchRequest(query="Acme news"))


def test_page_text_falls_back_to_stripping_tags() -> None:
    """When trafilatura finds no main content (a one-line fragment), the visible text is kept."""
    title, text = page_text(
        "<p>Acme &amp; Co</p><!-- internal note -->",
        url="http://public.example/",
        content_type="text/html",
    )
    assert title == ""
    assert text == "Acme & Co"


def test_plain_text_passes_through() -> None:
    """A text/plain page is its own main text."""
    assert page_text(" Acme builds rockets.\n", url="u", content_type="text/plain") == (
        "",
        "Acme builds rockets.",
    )
