"""A posting fetched from a URL, through the guard's research service (never directly)."""

from __future__ import annotations

from urllib.parse import urlsplit

from jobintel.errors import InputError, JobintelError, StrategyUnavailable
from jobintel.guard import CallMeta, Gateway
from jobintel.guard.event_log import GuardEventLog
from jobintel.inputs import parse_posting_text
from jobintel.models import RawPosting
from jobintel.providers.base import ScrapeRequest
from jobintel.providers.errors import FetchRefused
from jobintel.service.problems import Problem, invalid
from jobintel.settings import Settings
from jobintel.store import Store

NO_RESEARCH = (
    "fetching a posting by URL needs a research service: set JOBINTEL_RESEARCH=http (plain "
    "HTTP fetching) or JOBINTEL_FIRECRAWL_API_KEY, with JOBINTEL_STRATEGY other than "
    "deterministic; or paste the posting text instead"
)


async def fetch_posting(url: str, settings: Settings, store: Store) -> RawPosting:
    """Scrape ``url`` with the configured research service and parse the page as a posting."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise invalid("url", "expected an http:// or https:// address")
    try:
        gateway = Gateway.from_settings(
            settings, engine=store.engine, on_event=GuardEventLog(store.engine)
        )
    except JobintelError as exc:
        raise invalid("url", f"the research service cannot start: {exc}") from None
    async with gateway:
        services = gateway.research_services
        if not services:
            raise invalid("url", NO_RESEARCH)
        try:
            result = await gateway.call(
                CallMeta(stage="ingest"),
                services[0],
                ScrapeRequest(url=url, timeout_s=settings.fetch_timeout_s),
            )
        except FetchRefused as exc:
            raise invalid("url", str(exc)) from None
        except StrategyUnavailable as exc:
            raise Problem(502, f"could not fetch {url}: {exc}", type_="fetch-failed") from None
    page = result.page
    try:
        raw = parse_posting_text(page.text, source=url)
    except InputError as exc:
        raise invalid("url", f"the page holds no posting text ({exc.problem})") from None
    return raw.model_copy(update={"url": raw.url or url, "title": raw.title or page.title})
