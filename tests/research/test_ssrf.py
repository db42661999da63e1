"""The HTTP fetcher's SSRF guard: what it refuses, and that it connects only where it checked."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from jobintel.providers import FetchRefused, ProviderError, ScrapeRequest
from jobintel.providers.web import WebFetcher
from tests.research.conftest import LoopbackServer, fake_dns

PUBLIC_IP = "93.184.216.34"
HTML = {"content-type": "text/html"}


def _fetcher(http: httpx.AsyncClient, **options: object) -> WebFetcher:
    return WebFetcher(http_client=http, **options)  # type: ignore[arg-type]


def _mock(handler: httpx.MockTransport | None = None) -> httpx.AsyncClient:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the fetcher connected to {request.url}")

    return httpx.AsyncClient(transport=handler or httpx.MockTransport(refuse))


async def test_loopback_server_is_refused_by_default(loopback: LoopbackServer) -> None:
    """A real server on 127.0.0.1 is refused, with the URL, the reason and the fix, before any request."""
    async with httpx.AsyncClient() as http:
        with pytest.raises(FetchRefused) as caught:
            await _fetcher(http).scrape(ScrapeRequest(url=f"{loopback.url}/"))
    message = str(caught.value)
    assert loopback.url in message
    assert "loopback" in message
    assert "JOBINTEL_FETCH_ALLOW_PRIVATE=true" in message
    assert loopback.hits == []


async def test_loopback_server_is_fetched_when_private_is_allowed(loopback: LoopbackServer) -> None:
    """With allow_private the same server is fetched and reduced to its title and main text."""
    async with httpx.AsyncClient() as http:
        result = await _fetcher(http, allow_private=True).scrape(
            ScrapeRequest(url=f"{loopback.url}/about")
        )
    assert result.page.title == "Acme Rockets"
    assert "Acme builds rockets for coyotes" in result.page.text
    assert "Home | Jobs" not in result.page.text
    assert loopback.hits == ["/about"]


async def test_localhost_by_name_is_refused(loopback: LoopbackServer) -> None:
    """A name the system resolver maps to loopback is refused like the address itself."""
    port = loopback.url.rsplit(":", 1)[1]
    async with httpx.AsyncClient() as http:
        with pytest.raises(FetchRefused, match="loopback"):
            await _fetcher(http).scrape(ScrapeRequest(url=f"http://localhost:{port}/"))
    assert loopback.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://017700000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[0:0:0:0:0:ffff:7f00:1]/",
        "http://0.0.0.0/",
        "http://0/",
    ],
)
async def test_loopback_in_any_spelling_is_refused(url: str) -> None:
    """Decimal, hex, octal, short, IPv6 and IPv4-mapped spellings of loopback are all refused.

    httpx itself rejects some dotted-octal forms as invalid URLs; those are refused too.
    """
    async with _mock() as http:
        fetcher = _fetcher(http, resolve=fake_dns({}))
        with pytest.raises(FetchRefused, match=r"loopback|unspecified|not a valid URL"):
            await fetcher.scrape(ScrapeRequest(url=url))


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.10.10",
        "224.0.0.1",
        "240.0.0.1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "2002:0a00:0001::1",
        "64:ff9b::a00:1",
    ],
)
async def test_names_resolving_to_non_public_addresses_are_refused(address: str) -> None:
    """Private, CGNAT, link-local, multicast, reserved and wrapped addresses are refused."""
    async with _mock() as http:
        fetcher = _fetcher(http, resolve=fake_dns({"intranet.example": [address]}))
        with pytest.raises(FetchRefused) as caught:
            await fetcher.scrape(ScrapeRequest(url="https://intranet.example/wiki"))
    assert "intranet.example" in str(caught.value)
    assert str(ipaddress.ip_address(address)) in str(caught.value)


async def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    """A host is refused if ANY of its addresses is private, whichever one would be used."""
    async with _mock() as http:
        fetcher = _fetcher(http, resolve=fake_dns({"mixed.example": [PUBLIC_IP, "10.0.0.7"]}))
        with pytest.raises(FetchRefused, match=r"10\.0\.0\.7"):
            await fetcher.scrape(ScrapeRequest(url="http://mixed.example/"))


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::ffff:169.254.169.254]/",
        "http://cloud.example/",
    ],
)
async def test_cloud_metadata_is_refused_even_when_private_is_allowed(url: str) -> None:
    """Metadata endpoints, by address, wrapped address, resolved name or well-known name, never pass."""
    async with _mock() as http:
        fetcher = _fetcher(
            http,
            allow_private=True,
            resolve=fake_dns({"cloud.example": ["169.254.169.254"]}),
        )
        with pytest.raises(FetchRefused, match="metadata"):
            await fetcher.scrape(ScrapeRequest(url=url))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://files.example/a.txt",
        "gopher://public.example/",
        "javascript:alert(1)",
        "//public.example/",
        "not a url",
    ],
)
async def test_non_http_urls_are_refused(url: str) -> None:
    """Only absolute http and https URLs are fetched."""
    async with _mock() as http:
        fetcher = _fetcher(http, resolve=fake_dns({"public.example": [PUBLIC_IP]}))
        with pytest.raises(FetchRefused, match="refused"):
            await fetcher.scrape(ScrapeRequest(url=url))


async def test_redirect_to_a_private_host_is_refused() -> None:
    """A public page redirecting to an intranet name is refused at the redirect hop."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["host"])
        return httpx.Response(302, headers={"location": "http://intranet.example/admin"})

    dns = fake_dns({"public.example": [PUBLIC_IP], "intranet.example": ["10.9.8.7"]})
    async with _mock(httpx.MockTransport(handler)) as http:
        with pytest.raises(FetchRefused) as caught:
            await _fetcher(http, resolve=dns).scrape(ScrapeRequest(url="http://public.example/"))
    assert "http://intranet.example/admin" in str(caught.value)
    assert seen == ["public.example"]


async def test_redirect_to_a_loopback_literal_is_refused() -> None:
    """A redirect to http://127.0.0.1/ is checked like any first URL."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "http://127.0.0.1:8080/secret"})

    async with _mock(httpx.MockTransport(handler)) as http:
        fetcher = _fetcher(http, resolve=fake_dns({"public.example": [PUBLIC_IP]}))
        with pytest.raises(FetchRefused, match="loopback"):
            await fetcher.scrape(ScrapeRequest(url="https://public.example/jobs"))


async def test_connection_is_pinned_to_the_checked_address() -> None:
    """The request goes to the vetted IP with the original Host and TLS server name, so DNS
    rebinding between check and connect cannot redirect it."""
    answers = iter([[PUBLIC_IP], ["127.0.0.1"]])
    lookups: list[str] = []

    async def rebinding(host: str) -> list[str]:
        lookups.append(host)
        return next(answers)

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers=HTML, text="<p>Public page about Acme.</p>")

    async with _mock(httpx.MockTransport(handler)) as http:
        result = await _fetcher(http, resolve=rebinding).scrape(
            ScrapeRequest(url="https://public.example:8443/about#team")
        )
    (request,) = seen
    assert request.url.host == PUBLIC_IP and request.url.port == 8443
    assert request.headers["host"] == "public.example:8443"
    assert request.extensions["sni_hostname"] == "public.example"
    assert lookups == ["public.example"]
    assert result.page.url == "https://public.example:8443/about"


async def test_more_than_five_redirects_are_refused() -> None:
    """A redirect loop stops after five hops with a clear refusal."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(302, headers={"location": f"/hop{len(seen)}"})

    async with _mock(httpx.MockTransport(handler)) as http:
        fetcher = _fetcher(http, resolve=fake_dns({"public.example": [PUBLIC_IP]}))
        with pytest.raises(FetchRefused, match="more than 5 redirects"):
            await fetcher.scrape(ScrapeRequest(url="http://public.example/"))
    assert len(seen) == 6


async def test_redirect_to_an_invalid_url_is_not_followed() -> None:
    """A Location header that is not a URL ends the fetch with an error naming it."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"location": "http://[::1"})

    async with _mock(httpx.MockTransport(handler)) as http:
        fetcher = _fetcher(http, resolve=fake_dns({"public.example": [PUBLIC_IP]}))
        with pytest.raises(ProviderError, match=r"(?i)invalid"):
            await fetcher.scrape(ScrapeRequest(url="http://public.example/"))
    assert len(seen) == 1
