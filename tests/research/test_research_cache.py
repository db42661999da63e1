"""The per-company research cache in the store: keys, hits, expiry, replacement."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from jobintel.models import CompanyResearch, Signal
from jobintel.processes import this_host
from jobintel.store import ResearchCache, ResearchLease, SourceCache, Store, company_key
from jobintel.store.research_cache import StoredSources
from jobintel.store.tables import ResearchLeaseRow
from tests.research import lease_worker

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RESEARCH = CompanyResearch(
    company="Acme Rockets Inc.",
    summary="Acme builds rockets.",
    signals=(Signal(type="funding", text="Raised a Series B.", source_url="https://n.example/1"),),
    offline=False,
    sources=("https://n.example/1",),
)


class Clock:
    """A settable clock for the cache's TTL arithmetic."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Rockets Inc.", "ACME ROCKETS"),
        ("Acme Rockets, Inc", "acme rockets ltd"),
        ("The Acme Rockets Company", "Acme Rockets"),
        ("Müller GmbH & Co. KG", "müller"),
        ("Société Générale S.A.", "SOCIÉTÉ GÉNÉRALE"),
        ("Macy's", "Macys"),
    ],
)
def test_company_key_ignores_case_punctuation_and_legal_suffixes(a: str, b: str) -> None:
    """Spellings of one company share a cache key."""
    assert company_key(a) == company_key(b) != ""


def test_company_key_keeps_distinct_companies_apart() -> None:
    """Different names keep different keys, and a lone suffix-like word is kept."""
    assert company_key("Acme Rockets") != company_key("Acme Robotics")
    assert company_key("Co") == "co"


def test_put_then_get_returns_the_research(store: Store) -> None:
    """A fresh entry is returned for any spelling of the company name."""
    cache = ResearchCache(store.engine, clock=Clock(T0))
    cache.put("Acme Rockets Inc.", RESEARCH, service="firecrawl")
    assert cache.get("ACME rockets", max_age=timedelta(days=7)) == RESEARCH
    assert cache.get("Acme Robotics", max_age=timedelta(days=7)) is None


def test_entries_expire_after_the_ttl(store: Store) -> None:
    """An entry older than max_age is a miss; within max_age it is a hit."""
    clock = Clock(T0)
    cache = ResearchCache(store.engine, clock=clock)
    cache.put("Acme", RESEARCH, service="firecrawl")
    clock.now = T0 + timedelta(days=6, hours=23)
    assert cache.get("Acme", max_age=timedelta(days=7)) == RESEARCH
    clock.now = T0 + timedelta(days=7, minutes=1)
    assert cache.get("Acme", max_age=timedelta(days=7)) is None
    assert cache.get("Acme", max_age=timedelta(0)) is None


def test_put_replaces_an_older_entry(store: Store) -> None:
    """Research put again for the same company replaces the entry and its age."""
    clock = Clock(T0)
    cache = ResearchCache(store.engine, clock=clock)
    cache.put("Acme", RESEARCH, service="http")
    clock.now = T0 + timedelta(days=30)
    newer = RESEARCH.model_copy(update={"summary": "Acme now builds anvils."})
    cache.put("Acme Inc", newer, service="firecrawl")
    assert cache.get("acme", max_age=timedelta(days=1)) == newer


def test_an_entry_the_model_can_no_longer_read_is_a_miss(store: Store) -> None:
    """A stored JSON document that no longer validates is treated as absent."""
    cache = ResearchCache(store.engine, clock=Clock(T0))
    cache.put("Acme", RESEARCH, service="firecrawl")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE research_cache SET research = '{\"summary\": 1}'"))
    assert cache.get("Acme", max_age=timedelta(days=7)) is None


async def test_single_flight_gives_one_lock_per_company(store: Store) -> None:
    """Spellings of one company share a lock; another company gets its own."""
    cache = ResearchCache(store.engine)
    lock = cache.single_flight("Acme Inc.")
    assert cache.single_flight("ACME") is lock
    assert ResearchCache(store.engine).single_flight("acme") is lock
    assert cache.single_flight("Globex") is not lock
    await asyncio.sleep(0)


@pytest.fixture
def pg_store() -> Iterator[Store]:
    """A store on a fresh PostgreSQL database, dropped afterwards."""
    name = f"jobintel_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store.open(f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        yield store
    finally:
        store.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_cache_works_on_postgres(pg_store: Store) -> None:
    """Put, hit, expiry and replacement behave the same on PostgreSQL."""
    clock = Clock(T0)
    cache = ResearchCache(pg_store.engine, clock=clock)
    cache.put("Acme Inc.", RESEARCH, service="firecrawl")
    assert cache.get("acme", max_age=timedelta(days=7)) == RESEARCH
    clock.now = T0 + timedelta(days=8)
    assert cache.get("acme", max_age=timedelta(days=7)) is None
    cache.put("ACME", RESEARCH.model_copy(update={"summary": "New."}), service="http")
    found = cache.get("acme", max_age=timedelta(days=7))
    assert found is not None and found.summary == "New."


SOURCES = [
    {"url": "https://n.example/1", "title": "Acme raises", "text": "Acme raised a Series B."},
    {"url": "https://n.example/2", "title": "Acme hires", "text": "Acme is hiring."},
]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_source_cache_keeps_sources_per_company_with_their_service_and_age(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Sources are stored per company key with the service that found them, expire after
    max_age, are replaced by a newer put, and stay apart from the research cache."""
    opened: Store = request.getfixturevalue("store" if backend == "sqlite" else "pg_store")
    clock = Clock(T0)
    sources = SourceCache(opened.engine, clock=clock)
    sources.put("Acme Rockets Inc.", SOURCES, service="firecrawl")
    assert sources.get("ACME rockets", max_age=timedelta(days=7)) == StoredSources(
        service="firecrawl", sources=SOURCES, fetched_at=T0
    )
    assert sources.get("Acme Robotics", max_age=timedelta(days=7)) is None
    assert (
        ResearchCache(opened.engine, clock=clock).get("Acme Rockets", max_age=timedelta(7)) is None
    )
    clock.now = T0 + timedelta(days=7, minutes=1)
    assert sources.get("Acme Rockets", max_age=timedelta(days=7)) is None
    sources.put("Acme Rockets", SOURCES[:1], service="http")
    assert sources.get("acme rockets", max_age=timedelta(days=1)) == StoredSources(
        service="http", sources=SOURCES[:1], fetched_at=clock.now
    )
    assert sources.get("acme rockets", max_age=timedelta(0)) is None


def _opened(backend: str, request: pytest.FixtureRequest) -> Store:
    opened: Store = request.getfixturevalue("store" if backend == "sqlite" else "pg_store")
    return opened


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_one_holder_per_company_until_it_gives_the_lease_up(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """One lease per company key (any spelling); a release frees it for the next process,
    and only the holder's own release counts."""
    engine = _opened(backend, request).engine
    ttl = timedelta(minutes=5)
    first = ResearchLease(engine, "Acme Rockets Inc.", ttl=ttl)
    second = ResearchLease(engine, "ACME rockets", ttl=ttl)
    assert first.acquire() is True
    assert second.acquire() is False
    assert ResearchLease(engine, "Globex", ttl=ttl).acquire() is True  # another company
    second.release()  # not its lease: nothing happens
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_lapsed_lease_is_taken_over(backend: str, request: pytest.FixtureRequest) -> None:
    """Past its TTL a lease goes to the next process, and the old holder's late release
    leaves the new holder's lease alone."""
    engine = _opened(backend, request).engine
    clock = Clock(T0)
    old = ResearchLease(engine, "Acme", ttl=timedelta(minutes=5), clock=clock)
    new = ResearchLease(engine, "Acme", ttl=timedelta(minutes=5), clock=clock)
    assert old.acquire()
    clock.now = T0 + timedelta(minutes=4, seconds=59)
    assert not new.acquire()
    clock.now = T0 + timedelta(minutes=5)
    assert new.acquire()
    old.release()
    assert not ResearchLease(engine, "Acme", ttl=timedelta(minutes=5), clock=clock).acquire()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_renewed_lease_lasts_and_a_lost_one_says_so(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Renewing pushes the end a TTL past now; a holder whose lease was taken over learns it
    on its next renewal."""
    engine = _opened(backend, request).engine
    clock = Clock(T0)
    holder = ResearchLease(engine, "Acme", ttl=timedelta(minutes=1), clock=clock)
    other = ResearchLease(engine, "Acme", ttl=timedelta(minutes=1), clock=clock)
    assert holder.acquire() and holder.held
    clock.now = T0 + timedelta(seconds=50)
    assert holder.renew() is True
    clock.now = T0 + timedelta(seconds=100)  # past the first end, before the renewed one
    assert not other.acquire()
    clock.now = T0 + timedelta(seconds=111)
    assert other.acquire()
    assert holder.renew() is False and not holder.held


def test_a_lease_whose_process_died_on_this_host_is_taken_over(store: Store) -> None:
    """A holder that is gone from this host blocks no one until the TTL: its lease is free."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True)  # fmt: skip
    dead = int(child.stdout)
    live = os.getppid()  # this test's parent process: alive, and not this process
    with store.engine.begin() as conn:
        for company, pid in (("Acme", dead), ("Globex", live)):
            conn.execute(
                ResearchLeaseRow.__table__.insert().values(
                    key=company_key(company),
                    owner=f"{this_host()}:{pid}:feedbeef",
                    expires_at=datetime.now(UTC) + timedelta(hours=1),
                )
            )
    assert ResearchLease(store.engine, "Acme", ttl=timedelta(minutes=5)).acquire()
    assert not ResearchLease(store.engine, "Globex", ttl=timedelta(minutes=5)).acquire()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_processes_racing_for_one_company_get_one_lease(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Four processes released at once on one database: exactly one takes the lease."""
    url = _opened(backend, request).engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)
    results = context.Queue()
    racers = [
        context.Process(target=lease_worker.race_for_the_lease, args=(url, start, results))
        for _ in range(4)
    ]
    for racer in racers:
        racer.start()
    taken = sorted(results.get(timeout=120) for _ in racers)
    for racer in racers:
        racer.join(timeout=60)
    assert [racer.exitcode for racer in racers] == [0, 0, 0, 0]
    assert taken == [False, False, False, True]
