"""FireCrawl's v1 REST API: web search with scraped Markdown, and single-page scrapes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from jobintel.providers.base import (
    Page,
    ScrapeRequest,
    ScrapeResult,
    SearchHit,
    SearchRequest,
    SearchResult,
    Usage,
)
from jobintel.providers.errors import (
    ProviderError,
    ProviderMalformed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    key_refused,
)
from jobintel.providers.headers import parse_retry_after

__all__ = ["FireCrawl"]

_KEY_SETTING = "JOBINTEL_FIRECRAWL_API_KEY"
_DETAIL_CHARS = 200


class FireCrawl:
    """A ``ResearchProvider`` speaking FireCrawl's ``/v1/search`` and ``/v1/scrape``."""

    name = "firecrawl"

    def __init__(self, *, base_url: str, api_key: str, http_client: httpx.AsyncClient) -> None:
        base = base_url.rstrip("/")
        self._base = base if base.endswith("/v1") else f"{base}/v1"
        self._key = api_key
        self._http = http_client

    async def search(self, request: SearchRequest) -> SearchResult:
        body = {
            "query": request.query,
            "limit": request.limit,
            "scrapeOptions": {"formats": ["markdown"]},
        }
        answer = await self._post("search", body, request.timeout_s)
        items = answer.get("data")
        if not isinstance(items, list):
            raise ProviderMalformed(self.name, "search answer has no `data` list")
        hits = tuple(_hit(item) for item in items if isinstance(item, dict))
        scraped = sum(1 for item in items if isinstance(item, dict) and item.get("markdown"))
        return SearchResult(hits=hits, usage=Usage(credits=_credits(answer, 1 + scraped)))

    async def scrape(self, request: ScrapeRequest) -> ScrapeResult:
        body = {"url": request.url, "formats": ["markdown"], "onlyMainContent": True}
        answer = await self._post("scrape", body, request.timeout_s)
        data = answer.get("data")
        if not isinstance(data, dict):
            raise ProviderMalformed(self.name, f"scrape answer for {request.url} has no `data`")
        meta = _mapping(data.get("metadata"))
        status = meta.get("statusCode")
        page = Page(
            url=_text(meta.get("sourceURL")) or request.url,
            title=_text(meta.get("title")),
            text=_text(data.get("markdown")),
            status=status if isinstance(status, int) else 200,
        )
        return ScrapeResult(page=page, usage=Usage(credits=_credits(answer, 1)))

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the gateway."""

    async def _post(self, endpoint: str, body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        url = f"{self._base}/{endpoint}"
        headers = {"Authorization": f"Bearer {self._key}"}
        try:
            # httpx timeouts are per network operation; asyncio's bounds the whole call.
            async with asyncio.timeout(timeout_s):
                response = await self._http.post(
                    url, json=body, headers=headers, timeout=httpx.Timeout(timeout_s)
                )
        except (TimeoutError, httpx.TimeoutException):
            raise ProviderTimeout(
                self.name, f"no answer from {url} within {timeout_s:g}s"
            ) from None
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                self.name, f"cannot reach {url}: {type(exc).__name__}"
            ) from None
        if response.status_code >= 400:
            raise self._status_error(response)
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ProviderMalformed(
                self.name, f"{endpoint} answer is not JSON (HTTP {response.status_code})"
            ) from None
        if not isinstance(answer, dict) or answer.get("success") is not True:
            detail = self._detail(answer.get("error") if isinstance(answer, dict) else None)
            raise ProviderMalformed(self.name, f"{endpoint} answer says success=false{detail}")
        return answer

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        detail = self._detail(_error_field(response))
        if status == 429:
            retry = parse_retry_after(response.headers)
            return ProviderRateLimited(
                self.name, f"rate limited (HTTP 429){detail}", retry_after_s=retry
            )
        if status == 402:
            return ProviderRejected(
                self.name,
                "out of credits (HTTP 402): top up the FireCrawl plan, or set "
                f"JOBINTEL_RESEARCH=http to use the plain fetcher{detail}",
                status=status,
            )
        if status in (401, 403):
            return key_refused(self.name, status, _KEY_SETTING, detail)
        if status == 408:
            return ProviderTimeout(self.name, f"request timed out (HTTP 408){detail}", status=408)
        if status >= 500:
            return ProviderUnavailable(
                self.name,
                f"server error (HTTP {status}){detail}",
                status=status,
                retry_after_s=parse_retry_after(response.headers),
            )
        return ProviderRejected(
            self.name, f"request refused (HTTP {status}){detail}", status=status
        )

    def _detail(self, error: object) -> str:
        """``: <the provider's error text>``, short, with the key redacted if echoed back."""
        if not isinstance(error, str) or not error.strip():
            return ""
        text = " ".join(error.split())[:_DETAIL_CHARS]
        if self._key:
            text = text.replace(self._key, "[redacted]")
        return f": {text}"


def _hit(item: dict[str, Any]) -> SearchHit:
    meta = _mapping(item.get("metadata"))
    return SearchHit(
        url=_text(item.get("url")) or _text(meta.get("sourceURL")),
        title=_text(item.get("title")) or _text(meta.get("title")),
        description=_text(item.get("description")) or _text(meta.get("description")),
        text=_text(item.get("markdown")),
    )


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _credits(answer: dict[str, Any], default: int) -> int:
    used = answer.get("creditsUsed")
    if isinstance(used, int) and not isinstance(used, bool) and used >= 0:
        return used
    return default


def _error_field(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None
