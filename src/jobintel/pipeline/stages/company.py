"""company: what is known about the employer.

``deterministic`` quotes what the posting itself says. ``llm`` reads a few web sources
(a FireCrawl news search, or the company's own site over plain HTTP when the posting
names it), asks the model for a short summary and typed signals that cite sources by
index, and maps those indexes to URLs in code. Research is cached per company in the
store (``research_ttl_days``) and shared across jobs; concurrent jobs for one company
research it once, in one process (a lock) and across processes sharing the database (a
lease in the store: the others wait for the holder's research).

When web research fails (or is off, or no company site is known) the model summarises
the posting alone and the result says ``offline``: the user still gets a written summary,
the failure is logged, and nothing is cached, so the next job tries the web again. The
sources a search did return are cached on their own as soon as they arrive, so when the
summary after them fails (budget, breaker, a bad answer) the next job reuses them rather
than paying for the search again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from jobintel.analysis.research import company_display_name, offline_company_research
from jobintel.errors import StrategyUnavailable
from jobintel.models import CompanyResearch, Posting, Signal
from jobintel.pipeline.stage import StageContext, StageSpec
from jobintel.prompts import load_prompt
from jobintel.store import ResearchCache, ResearchLease, SourceCache, company_key

log = logging.getLogger(__name__)

SignalType = Literal["funding", "launch", "hiring", "leadership", "partnership", "layoffs", "other"]


class CompanySignalLLM(BaseModel):
    type: SignalType
    text: str
    date: str | None = None
    source: int = Field(description="index i of the source that states it")


class CompanyLLM(BaseModel):
    """What the model is asked for: the rest of ``CompanyResearch`` is filled in by code."""

    summary: str
    signals: list[CompanySignalLLM] = Field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class WebSource:
    url: str
    title: str
    text: str


#: How long a company's research lease lasts unless its holder renews it: the holder
#: renews it every third of this while it works and gives it up when done, so this only
#: bounds how long a holder that died on another host keeps the others waiting.
LEASE_TTL = timedelta(seconds=60)
#: How often a process waiting for another's research looks for it.
LEASE_POLL_S = 0.5
#: How long a job waits for a live holder's research before researching itself.
LEASE_MAX_WAIT = timedelta(minutes=10)
_SEARCH_LIMIT = 3
_SOURCE_CHARS = 600
_POSTING_CHARS = 700
_MAX_SIGNALS = 6
_SIGNAL_CHARS = 300
# Signals that describe this posting rather than the company; never cached.
_POSTING_SIGNALS = frozenset({"intermediary"})
_URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+|\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+", re.I)
# Applicant-tracking and job sites put the company's name in their own hostnames.
_JOB_SITES = (
    "greenhouse.io", "lever.co", "myworkdayjobs.com", "workday.com", "smartrecruiters.com",
    "ashbyhq.com", "workable.com", "teamtailor.com", "recruitee.com", "bamboohr.com",
    "jobvite.com", "icims.com", "personio.de", "personio.com", "breezy.hr", "applytojob.com",
    "welcometothejungle.com", "join.com", "linkedin.com", "indeed.com", "glassdoor.com",
)  # fmt: skip
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_NOISE = re.compile(r"https?://\S+|[#>*_`|~]+|\\")


def deterministic(ctx: StageContext) -> CompanyResearch:
    return offline_company_research(ctx.result("ingest", Posting))


async def llm(ctx: StageContext) -> CompanyResearch:
    """Web-researched company summary and signals, from the cache when fresh."""
    posting = ctx.result("ingest", Posting)
    name = company_display_name(posting)
    ttl = timedelta(days=ctx.settings.research_ttl_days)
    if ctx.store is None or not company_key(posting.company) or ttl <= timedelta(0):
        sources, _service = await _web_sources(ctx, posting, name)
        return _with_posting_facts(await _summarise(ctx, posting, name, sources), posting)
    cache = ResearchCache(ctx.store.engine)
    if ctx.research is None or not ctx.research.services:
        # No web research, so nothing to cache and no one to wait for: only reuse.
        cached = cache.get(posting.company, max_age=ttl)
        research = cached or await _summarise(ctx, posting, name, [])
        return _with_posting_facts(research, posting)
    async with cache.single_flight(posting.company):
        cached = cache.get(posting.company, max_age=ttl)
        if cached is not None:
            return _with_posting_facts(cached, posting)
        lease = ResearchLease(ctx.store.engine, posting.company, ttl=LEASE_TTL)
        cached = await _wait_for_lease(lease, cache, posting.company, ttl)
        if cached is not None:  # another process researched it meanwhile
            return _with_posting_facts(cached, posting)
        async with _holding(lease):
            stored = SourceCache(ctx.store.engine)
            found = await _cached_web_sources(ctx, posting, name, stored, ttl)
            sources, service, fetched_at = found
            research = await _summarise(ctx, posting, name, sources)
            if service is not None:
                # As old as its sources: research is never served past their TTL.
                cache.put(posting.company, research, service=service, fetched_at=fetched_at)
        return _with_posting_facts(research, posting)


async def _wait_for_lease(
    lease: ResearchLease, cache: ResearchCache, company: str, ttl: timedelta
) -> CompanyResearch | None:
    """Hold ``lease`` (None), or the research another process put while this one waited.

    The wait ends when the holder's research appears, when it gives the lease up (its
    research failed: this process tries, reusing any sources it stored) or when the lease
    lapses. If the database cannot say, or a live holder is still at it after
    ``LEASE_MAX_WAIT``, research goes ahead without a lease.
    """
    deadline = time.monotonic() + LEASE_MAX_WAIT.total_seconds()
    while True:
        try:
            if await _acquire(lease):
                return await _recheck(lease, cache, company, ttl)
            if time.monotonic() > deadline:
                log.warning(
                    "still waiting for another process's research on %s; researching too", company
                )
                return None
            await asyncio.sleep(LEASE_POLL_S)
            cached = await asyncio.to_thread(cache.get, company, max_age=ttl)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning(
                "research lease for %s unavailable; researching anyway", company, exc_info=True
            )
            return None
        if cached is not None:
            return cached


async def _recheck(
    lease: ResearchLease, cache: ResearchCache, company: str, ttl: timedelta
) -> CompanyResearch | None:
    """With ``lease`` just taken: the research its last holder stored just before letting
    go (the lease given back), else None (kept, to research with)."""
    try:
        cached = await asyncio.to_thread(cache.get, company, max_age=ttl)
    except asyncio.CancelledError:
        await _release(lease)
        raise
    except Exception:
        log.warning("could not read the research cache for %s", company, exc_info=True)
        return None
    if cached is not None:
        await _release(lease)
    return cached


async def _acquire(lease: ResearchLease) -> bool:
    """``lease.acquire`` on a worker thread. A thread cannot be stopped: if this task is
    cancelled meanwhile (once or more), the lease the thread takes is given back, by the
    thread itself when it finishes later, so none is left to lapse."""
    lock = threading.Lock()
    abandoned = took = False

    def take() -> bool:
        nonlocal took
        taken = lease.acquire()
        with lock:
            if not abandoned:
                took = taken
                return taken
        if taken:
            try:
                lease.release()
            except Exception:
                log.warning(
                    "could not give back the research lease for %s", lease.key, exc_info=True
                )
        return False

    attempt = asyncio.ensure_future(asyncio.to_thread(take))
    try:
        return await asyncio.shield(attempt)
    except asyncio.CancelledError:
        with lock:
            abandoned = True
            give_back = took
        if give_back:  # the thread finished first: give the lease back from here
            await _release(lease)
        raise


@contextlib.asynccontextmanager
async def _holding(lease: ResearchLease) -> AsyncIterator[None]:
    """Keep ``lease`` renewed while the body researches; give it up afterwards, whatever
    happens (a failure, a cancellation). A lease never taken (no database) is left alone."""
    if not lease.held:
        yield
        return
    renewing = asyncio.create_task(_renew(lease))
    try:
        yield
    finally:
        renewing.cancel()
        await _release(lease)


async def _renew(lease: ResearchLease) -> None:
    while True:
        await asyncio.sleep(LEASE_TTL.total_seconds() / 3)
        try:
            if not await asyncio.to_thread(lease.renew):
                log.warning("the research lease for %s lapsed while held", lease.key)
                return
        except Exception:
            log.warning("could not renew the research lease for %s", lease.key, exc_info=True)


async def _release(lease: ResearchLease) -> None:
    try:
        await asyncio.shield(asyncio.to_thread(lease.release))
    except Exception:
        # It lapses on its own after LEASE_TTL; waiters then go ahead.
        log.warning("could not release the research lease for %s", lease.key, exc_info=True)


async def _cached_web_sources(
    ctx: StageContext, posting: Posting, name: str, cache: SourceCache, ttl: timedelta
) -> tuple[list[WebSource], str | None, datetime | None]:
    """``_web_sources`` through ``cache``, with when they were fetched (None: just now).
    Sources a service still in use fetched within ``ttl`` are reused; new ones are
    stored before the model is asked about them."""
    services = ctx.research.services if ctx.research is not None else ()
    stored = cache.get(posting.company, max_age=ttl)
    if stored is not None and stored.service in services:
        sources = [
            WebSource(url=row["url"], title=row.get("title", ""), text=row.get("text", ""))
            for row in stored.sources
            if isinstance(row.get("url"), str)
        ]
        return sources, stored.service, stored.fetched_at
    sources, found_by = await _web_sources(ctx, posting, name)
    if found_by is not None:
        rows = [{"url": s.url, "title": s.title, "text": s.text} for s in sources]
        try:
            cache.put(posting.company, rows, service=found_by)
        except Exception:
            # The search is paid and its sources are in hand: summarise them regardless.
            log.exception("could not store the web sources for %s", name)
    return sources, found_by, None


async def _summarise(
    ctx: StageContext, posting: Posting, name: str, sources: list[WebSource]
) -> CompanyResearch:
    """The model's summary and cited signals from ``sources`` (the posting alone if none),
    without per-posting facts."""
    offline = offline_company_research(posting)
    excerpt = offline.summary.removesuffix("Research is offline (posting only).").strip()
    data = {
        "company": name,
        "posting": _clip(excerpt, _POSTING_CHARS),
        "sources": [{"i": i, "title": s.title, "text": s.text} for i, s in enumerate(sources)],
    }
    answer = await ctx.require_llm().structured(load_prompt("company"), data, CompanyLLM)
    if sources:
        signals = _cited_signals(answer, sources)
        urls = tuple(dict.fromkeys(s.url for s in sources))
    else:
        # No web source to cite: the posting's own quoted sentences are the signals.
        signals = tuple(s for s in offline.signals if s.type not in _POSTING_SIGNALS)
        urls = offline.sources
    return CompanyResearch(
        company=" ".join(posting.company.split()),
        summary=_first_sentences(answer.summary, 3) or offline.summary,
        signals=signals,
        offline=not sources,
        sources=urls,
    )


async def _web_sources(
    ctx: StageContext, posting: Posting, name: str
) -> tuple[list[WebSource], str | None]:
    research = ctx.research
    if research is None:
        return [], None
    try:
        if "firecrawl" in research.services:
            found = await research.search("firecrawl", f"{name} company news", limit=_SEARCH_LIMIT)
            hits = [h for h in found.hits if h.url.startswith(("http://", "https://"))]
            sources = [
                WebSource(
                    url=h.url,
                    title=_clip(h.title, 120),
                    text=_excerpt(h.text, title=h.title, description=h.description),
                )
                for h in hits[:_SEARCH_LIMIT]
            ]
            return sources, "firecrawl"
        site = company_website(posting)
        if "http" in research.services and site is not None:
            page = (await research.scrape("http", site)).page
            text = _excerpt(page.text, title=page.title)
            source = WebSource(url=page.url or site, title=_clip(page.title, 120), text=text)
            return ([source] if text else []), "http"
    except StrategyUnavailable as exc:
        log.warning(
            "company research for %s failed, summarising the posting alone: %s",
            name,
            exc,
            extra={"run_id": ctx.run_id, "job_id": ctx.job_id, "stage": "company"},
        )
    return [], None


def _cited_signals(answer: CompanyLLM, sources: list[WebSource]) -> tuple[Signal, ...]:
    """The model's signals with source URLs taken from our list, never from the model."""
    signals: dict[tuple[str, str], Signal] = {}
    for item in answer.signals:
        text = _clip(" ".join(item.text.split()), _SIGNAL_CHARS)
        if not 0 <= item.source < len(sources) or not text:
            continue
        date = " ".join((item.date or "").split())[:32] or None
        signal = Signal(type=item.type, text=text, date=date, source_url=sources[item.source].url)
        signals.setdefault((item.type, text.casefold()), signal)
    return tuple(signals.values())[:_MAX_SIGNALS]


def _with_posting_facts(research: CompanyResearch, posting: Posting) -> CompanyResearch:
    """``research`` for this posting: its company spelling and its own intermediary signal."""
    own = [s for s in offline_company_research(posting).signals if s.type in _POSTING_SIGNALS]
    shared = [s for s in research.signals if s.type not in _POSTING_SIGNALS]
    return research.model_copy(
        update={"company": " ".join(posting.company.split()), "signals": (*own[:1], *shared)}
    )


def company_website(posting: Posting) -> str | None:
    """The company's own site, when the posting links to one whose host names the company."""
    words = company_key(posting.company).split()
    if not words:
        return None
    compact = "".join(words)
    for raw in (*_URL.findall(f"{posting.description}\n{posting.criteria}"), posting.url):
        url = raw if raw.lower().startswith("http") else f"https://{raw}"
        scheme, _, rest = url.partition("://")
        host = rest.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].lower().rstrip(".")
        if not host or any(host == d or host.endswith(f".{d}") for d in _JOB_SITES):
            continue
        labels = [label.replace("-", "") for label in host.split(".")[:-1]]
        if any(_names(label, compact, words[0]) for label in labels):
            return f"{scheme.lower()}://{host}/"
    return None


def _names(label: str, compact: str, first: str) -> bool:
    if len(label) < 3 or label in {"www", "careers", "jobs", "about"}:
        return False
    return label == compact or label.startswith(compact) or (len(first) >= 4 and first in label)


def _excerpt(text: str, *, title: str = "", description: str = "") -> str:
    """A page's plain text cut to a few hundred characters, without repeating its title
    or a search description the page already contains."""
    body = _plain(text)
    heading = _plain(title)
    if heading and body.startswith(heading):
        body = body[len(heading) :].lstrip()
    summary = _plain(description).rstrip("…. ")
    if summary and summary[:60] not in body:
        body = f"{summary}. {body}" if body else summary
    return _clip(body, _SOURCE_CHARS)


def _plain(markdown: str) -> str:
    text = _MD_NOISE.sub(" ", _MD_LINK.sub(r"\1", _MD_IMAGE.sub(" ", markdown)))
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _first_sentences(text: str, count: int) -> str:
    sentences = _SENTENCE_END.split(" ".join(text.split()))
    return _clip(" ".join(sentences[:count]), 700)


STAGE = StageSpec(
    name="company",
    needs=("ingest",),
    output=CompanyResearch,
    deterministic=deterministic,
    llm=llm,
    description="Company summary and signals",
)
