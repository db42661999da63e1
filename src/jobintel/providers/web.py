"""The plain HTTP fetcher: one page's main text, behind an SSRF guard.

Each hop resolves the host once, refuses it if any address is not public (unless
``allow_private``), then connects to that vetted address with the original ``Host``
header and TLS server name, so DNS cannot answer differently between check and connect.
Redirects are followed by hand so every hop is checked; size and time are capped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from jobintel.providers.base import Page, ScrapeRequest, ScrapeResult, SearchRequest, SearchResult
from jobintel.providers.errors import (
    FetchRefused,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)
from jobintel.providers.netguard import (
    IPAddress,
    is_metadata_address,
    is_metadata_host,
    literal_ip,
    private_reason,
    system_resolve,
)
from jobintel.providers.page_text import page_text

__all__ = ["MAX_REDIRECTS", "Resolver", "WebFetcher"]

Resolver = Callable[[str], Awaitable[list[str]]]
MAX_REDIRECTS = 5
_TEXT_TYPES = frozenset({"text/html", "text/plain", "application/xhtml+xml"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ALLOW_FIX = (
    "set JOBINTEL_FETCH_ALLOW_PRIVATE=true only if you mean to fetch intranet or test hosts"
)


class WebFetcher:
    """A ``ResearchProvider`` that scrapes pages over plain HTTP; it cannot search."""

    name = "http"

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient,
        allow_private: bool = False,
        max_bytes: int = 2_000_000,
        timeout_s: float = 15.0,
        resolve: Resolver = system_resolve,
    ) -> None:
        self._http = http_client
        self._allow_private = allow_private
        self._max_bytes = max_bytes
        self._timeout_s = timeout_s
        self._resolve = resolve

    async def search(self, request: SearchRequest) -> SearchResult:
        raise ProviderRejected(
            self.name,
            f"cannot search the web for {request.query!r}: the plain HTTP fetcher only reads "
            "pages; set JOBINTEL_FIRECRAWL_API_KEY to search with FireCrawl",
        )

    async def scrape(self, request: ScrapeRequest) -> ScrapeResult:
        deadline = min(request.timeout_s, self._timeout_s)
        try:
            async with asyncio.timeout(deadline):
                page = await self._fetch(request.url, deadline)
        except TimeoutError:
            raise ProviderTimeout(
                self.name,
                f"fetching {request.url} took longer than {deadline:g}s: raise "
                "JOBINTEL_FETCH_TIMEOUT_S if the site is slow",
            ) from None
        return ScrapeResult(page=page)

    async def aclose(self) -> None:
        """Nothing to release: the HTTP client belongs to the gateway."""

    async def _fetch(self, start: str, deadline: float) -> Page:
        url = self._parse(start)
        for _hop in range(MAX_REDIRECTS + 1):
            ip = await self._vet(url)
            response = await self._send(url, ip, deadline)
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    url = self._redirect(url, location)
                    continue
                return await self._read(url, response)
            finally:
                await response.aclose()
        raise FetchRefused(
            self.name,
            f"refused {start}: more than {MAX_REDIRECTS} redirects; fetch the final URL directly",
        )

    def _redirect(self, url: httpx.URL, location: str) -> httpx.URL:
        try:
            target = str(url.join(location))
        except httpx.InvalidURL:
            raise self._refuse(url, f"it redirects to an invalid URL {location!r}", "") from None
        return self._parse(target)

    def _parse(self, text: str) -> httpx.URL:
        try:
            url = httpx.URL(text)
        except httpx.InvalidURL:
            raise self._refuse(text, "it is not a valid URL", "check the URL") from None
        if url.scheme not in ("http", "https"):
            raise self._refuse(
                text,
                f"scheme {url.scheme or '(none)'!r} is not http or https",
                "use an http(s) URL",
            )
        if not url.host:
            raise self._refuse(text, "it has no host", "use an absolute http(s) URL")
        return url.copy_with(fragment=None)

    async def _vet(self, url: httpx.URL) -> IPAddress:
        """The address to connect to for ``url``, after checking every address it has."""
        host = url.raw_host.decode("ascii")
        if is_metadata_host(host):
            raise self._refuse(url, f"{host} is a cloud metadata service", "it is never fetched")
        literal = literal_ip(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                found = await self._resolve(host)
            except (OSError, UnicodeError):
                found = []
            addresses = [a for a in (literal_ip(text) for text in found) if a is not None]
            if not addresses:
                raise ProviderRejected(
                    self.name, f"cannot fetch {url}: host {host} does not resolve; check the URL"
                )
        for address in addresses:
            reason = private_reason(address)
            if reason is None:
                continue
            where = f"{host} is {reason}" if literal else f"{host} resolves to {reason} ({address})"
            if is_metadata_address(address):
                raise self._refuse(url, where, "it is never fetched")
            if not self._allow_private:
                raise self._refuse(url, where, _ALLOW_FIX)
        return addresses[0]

    async def _send(self, url: httpx.URL, ip: IPAddress, deadline: float) -> httpx.Response:
        # Connect to the vetted address; Host and SNI keep the original name for the server.
        pinned = url.copy_with(host=str(ip))
        host_header = url.netloc.decode("ascii").rpartition("@")[2]
        sni = url.raw_host.decode("ascii")
        extensions = {"sni_hostname": sni} if url.scheme == "https" else {}
        request = self._http.build_request(
            "GET",
            pinned,
            headers={"Host": host_header, "Accept": "text/html, text/plain;q=0.9"},
            timeout=httpx.Timeout(deadline),
            extensions=extensions,
        )
        try:
            return await self._http.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException:
            raise TimeoutError from None
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                self.name, f"cannot fetch {url}: {type(exc).__name__}: {exc}"
            ) from None

    async def _read(self, url: httpx.URL, response: httpx.Response) -> Page:
        status = response.status_code
        if status >= 400:
            kind = ProviderUnavailable if status >= 500 else ProviderRejected
            raise kind(self.name, f"{url} answered HTTP {status}", status=status)
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in _TEXT_TYPES:
            raise self._refuse(
                url,
                f"content type {content_type or '(none)'!r} is not a web page",
                "only text/html, text/plain and application/xhtml+xml pages are read",
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_big(url)
        body = bytearray()
        try:
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self._max_bytes:
                    raise self._too_big(url)
        except httpx.TimeoutException:
            raise TimeoutError from None
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                self.name, f"connection to {url} dropped: {type(exc).__name__}"
            ) from None
        markup = _decode(bytes(body), response.charset_encoding)
        title, text = await asyncio.to_thread(
            page_text, markup, url=str(url), content_type=content_type
        )
        return Page(url=str(url), title=title, text=text, status=status)

    def _too_big(self, url: httpx.URL) -> FetchRefused:
        return self._refuse(
            url,
            f"the page is larger than {self._max_bytes:,} bytes",
            "raise JOBINTEL_FETCH_MAX_BYTES if you trust the site",
        )

    def _refuse(self, url: httpx.URL | str, reason: str, fix: str) -> FetchRefused:
        return FetchRefused(self.name, f"refused {url}: {reason}" + (f"; {fix}" if fix else ""))


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")
