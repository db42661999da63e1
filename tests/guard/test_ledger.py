"""The cost ledger on SQLite, PostgreSQL and in memory: exact round trips and every report."""

from __future__ import annotations

import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from jobintel.guard.ledger import (
    SUMMARY_DIMENSIONS,
    CostLedger,
    CostRow,
    InMemoryCostLedger,
    Ledger,
    LedgerEntry,
    short_error,
)
from jobintel.guard.policies import build_guard
from jobintel.providers.base import Usage
from jobintel.settings import load_settings
from jobintel.store import Store

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAY1 = datetime(2026, 11, 28, 23, 59, 59, 999_999, tzinfo=UTC)
DAY2 = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"jobintel_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The same ledger interface on each backend, on a freshly migrated store."""
    if request.param == "memory":
        yield InMemoryCostLedger()
        return
    url = (
        f"sqlite:///{tmp_path / 'j.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    store = Store.open(url)
    try:
        yield CostLedger(store.engine)
    finally:
        store.close()


def _entry(**values: object) -> LedgerEntry:
    defaults: dict[str, object] = {"service": "openai", "operation": "chat", "model": "gpt-4o-mini"}
    return LedgerEntry(**{**defaults, **values})  # type: ignore[arg-type]


def _book(ledger: Ledger) -> None:
    """Two days, two runs, three jobs, three services, one failure."""
    rows = [
        _entry(at=DAY1, run_id="r1", job_id=1, stage="extract", input_tokens=1000, output_tokens=200, cost_usd=Decimal("0.000270000")),
        _entry(at=DAY1, run_id="r1", job_id=1, stage="fit", input_tokens=2000, output_tokens=300, cost_usd=Decimal("0.000480000")),
        _entry(at=DAY1, run_id="r1", job_id=2, stage="extract", outcome="ProviderTimeout", attempt=1, cost_source="none"),
        _entry(at=DAY1, run_id="r1", job_id=2, stage="extract", attempt=2, input_tokens=900, output_tokens=100, cost_usd=Decimal("0.000195000")),
        _entry(at=DAY2, run_id="r2", job_id=3, stage="cv", service="anthropic", model="claude-3-5-haiku-latest", input_tokens=3000, output_tokens=900, cost_usd=Decimal("0.006000000")),
        _entry(at=DAY2, run_id="r2", job_id=3, stage="company", service="firecrawl", operation="search", model=None, credits=7, cost_usd=Decimal("0.005810000")),
    ]  # fmt: skip
    for row in rows:
        ledger.record(row)


def test_entry_round_trips_exactly(ledger: Ledger) -> None:
    """Every field comes back as written: Decimal cost to the nano-dollar, UTC microseconds."""
    entry = LedgerEntry.with_usage(
        Usage(input_tokens=5_000, output_tokens=700, cached_read_tokens=1_024, cache_write_tokens=256, reasoning_tokens=300),
        service="openrouter",
        operation="chat",
        model="anthropic/claude-sonnet-4.5",
        at=datetime(2026, 11, 29, 10, 11, 12, 345_678, tzinfo=UTC),
        run_id="a1b2c3d4e5f6",
        job_id=42,
        stage="pain_points",
        candidate_id=7,
        attempt=3,
        cost_usd=Decimal("123.456789012"),
        cost_source="provider",
        reserved_usd=Decimal("150.000000001"),
        latency_ms=812.5,
        outcome="ok",
        http_status=200,
        breaker_state="half_open",
        degraded=False,
        anomaly="the provider reported $0",
        request_id="gen-123",
    )  # fmt: skip
    ledger.record(entry)
    ledger.record(
        _entry(outcome="ProviderUnavailable", http_status=503, degraded=True, error="boom")
    )
    first, second = ledger.entries()
    assert first == entry
    assert (second.outcome, second.http_status, second.degraded, second.cost_usd) == (
        "ProviderUnavailable",
        503,
        True,
        Decimal(0),
    )


def test_entries_from_usage_keep_sub_counts_inside_totals() -> None:
    """with_usage normalises: cache tokens reported outside the input total are added to it."""
    entry = LedgerEntry.with_usage(
        Usage(
            input_tokens=100, cached_read_tokens=900, output_tokens=5, reasoning_tokens=2, credits=1
        ),
        service="anthropic",
        operation="chat",
    )
    assert (entry.input_tokens, entry.cached_read_tokens, entry.output_tokens) == (1_000, 900, 5)
    assert (entry.reasoning_tokens, entry.credits) == (2, 1)


def test_costs_are_rounded_up_to_the_nano_dollar(ledger: Ledger) -> None:
    """Sub-nano amounts round up (never under-count) and sums stay exact."""
    for _ in range(3):
        ledger.record(_entry(cost_usd=Decimal("0.0000000001"), job_id=1, run_id="r"))
    ledger.record(_entry(cost_usd=Decimal("0.1"), job_id=1, run_id="r"))
    ledger.record(_entry(cost_usd=Decimal("0.2"), job_id=1, run_id="r"))
    assert ledger.job_costs("r") == {1: Decimal("0.300000003")}
    assert ledger.entries()[0].cost_usd == Decimal("0.000000001")


def test_summary_by_each_dimension(ledger: Ledger) -> None:
    """Each report groups calls, failures, tokens, credits and cost by its key, in a stable order."""
    _book(ledger)
    got = {by: ledger.summary(by) for by in SUMMARY_DIMENSIONS}
    assert got["day"] == [
        CostRow(key="2026-11-28", calls=4, failed=1, input_tokens=3900, output_tokens=600, cost_usd=Decimal("0.000945000")),
        CostRow(key="2026-11-29", calls=2, failed=0, input_tokens=3000, output_tokens=900, credits=7, cost_usd=Decimal("0.011810000")),
    ]  # fmt: skip
    assert [(r.key, r.calls, r.cost_usd) for r in got["provider"]] == [
        ("anthropic", 1, Decimal("0.006")),
        ("firecrawl", 1, Decimal("0.00581")),
        ("openai", 4, Decimal("0.000945")),
    ]
    assert [r.key for r in got["model"]] == [
        "anthropic:claude-3-5-haiku-latest",
        "firecrawl:search",
        "openai:gpt-4o-mini",
    ]
    assert [(r.key, r.calls, r.failed) for r in got["stage"]] == [
        ("cv", 1, 0),
        ("company", 1, 0),
        ("fit", 1, 0),
        ("extract", 3, 1),
    ]
    assert [(r.key, r.cost_usd) for r in got["job"]] == [
        ("1", Decimal("0.00075")),
        ("2", Decimal("0.000195")),
        ("3", Decimal("0.01181")),
    ]
    assert [(r.key, r.calls, r.input_tokens) for r in got["run"]] == [
        ("r1", 4, 3900),
        ("r2", 2, 3000),
    ]


def test_summary_filters_by_run_and_day(ledger: Ledger) -> None:
    """--run keeps one run's rows, --since keeps days (UTC by default) from that day on; rows without ids group under (none)."""
    _book(ledger)
    ledger.record(_entry(at=DAY2, stage=None, cost_usd=Decimal("0.01")))
    assert [r.key for r in ledger.summary("job", run_id="r1")] == ["1", "2"]
    assert [r.key for r in ledger.summary("day", since=date(2026, 11, 29))] == ["2026-11-29"]
    assert ledger.summary("day", since=date(2026, 11, 30)) == []
    assert ledger.summary("run", run_id="nope") == []
    assert "(none)" in [r.key for r in ledger.summary("stage")]


def test_job_costs_sum_every_attempt_of_a_run(ledger: Ledger) -> None:
    """The run summary's per-job cost adds up retries and research, for that run only."""
    _book(ledger)
    assert ledger.job_costs("r1") == {1: Decimal("0.00075"), 2: Decimal("0.000195")}
    assert ledger.job_costs("r2") == {3: Decimal("0.01181")}
    assert ledger.job_costs("nope") == {}


def test_times_are_stored_as_utc_and_days_are_taken_in_a_zone() -> None:
    """An entry's time is converted to UTC (naive means UTC); its day is the UTC day unless
    a zone is given."""
    zurich = ZoneInfo("Europe/Zurich")
    entry = _entry(at=datetime(2026, 11, 29, 0, 30, tzinfo=zurich))
    assert entry.at == datetime(2026, 11, 28, 23, 30, tzinfo=UTC) and entry.at.tzinfo is UTC
    assert entry.day() == "2026-11-28"
    assert entry.day(zurich) == "2026-11-29"
    assert _entry(at=datetime(2026, 11, 29, 0, 5)).day() == "2026-11-29"


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgres"])
def test_a_ledger_in_the_budgets_time_zone_reports_their_days(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """With JOBINTEL_BUDGET_TIMEZONE=America/Los_Angeles, a call at 02:00 UTC on the 29th
    belongs to the 28th, as the day budget counts it; --since filters the same days."""
    zone = ZoneInfo("America/Los_Angeles")
    store: Store | None = None
    if backend == "memory":
        ledger: Ledger = InMemoryCostLedger(zone=zone)
    else:
        url = (
            f"sqlite:///{tmp_path / 'z.db'}"
            if backend == "sqlite"
            else request.getfixturevalue("pg_url")
        )
        store = Store.open(url)
        ledger = CostLedger(store.engine, zone=zone)
    try:
        late_on_the_28th = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
        ledger.record(_entry(at=late_on_the_28th, cost_usd=Decimal("0.01")))
        ledger.record(_entry(at=DAY2, cost_usd=Decimal("0.02")))
        assert [(r.key, r.cost_usd) for r in ledger.summary("day")] == [
            ("2026-11-28", Decimal("0.01")),
            ("2026-11-29", Decimal("0.02")),
        ]
        assert [r.key for r in ledger.summary("day", since=date(2026, 11, 29))] == ["2026-11-29"]
    finally:
        if store is not None:
            store.close()


def test_error_text_is_short_and_free_of_credentials() -> None:
    """Keys, bearer tokens and URL passwords are masked; long messages are cut to 300 characters."""
    raw = (
        "401 from https://bob:hunter2@api.example/v1 with Authorization: Bearer sk-proj-abcdef123456 "
        'and {"api_key": "fc-0123456789abcdef"} x-api-key=sk-ant-zzzzzzzz'
    )
    cleaned = short_error(raw + "\n" + "y" * 500)
    for secret in ("hunter2", "abcdef123456", "0123456789abcdef", "zzzzzzzz"):
        assert secret not in cleaned
    assert len(cleaned) == 300 and "\n" not in cleaned
    assert _entry(error=raw).error == short_error(raw)


def test_concurrent_writers_on_sqlite_lose_no_rows(tmp_path: Path) -> None:
    """Threads and a second process append to one SQLite ledger at once; every row lands."""
    url = f"sqlite:///{tmp_path / 'j.db'}"
    store = Store.open(url)
    ledger = CostLedger(store.engine)
    script = (
        "from decimal import Decimal\n"
        "from jobintel.guard.ledger import CostLedger, LedgerEntry\n"
        "from jobintel.store import Store\n"
        f"store = Store.open({url!r})\n"
        "ledger = CostLedger(store.engine)\n"
        "for i in range(40):\n"
        "    ledger.record(LedgerEntry(service='openai', operation='chat', run_id='p', job_id=2,\n"
        "                              cost_usd=Decimal('0.000000007')))\n"
        "store.close()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script])

    def write() -> None:
        for _ in range(40):
            ledger.record(_entry(run_id="p", job_id=1, cost_usd=Decimal("0.000000003")))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert child.wait(timeout=60) == 0
    assert ledger.job_costs("p") == {1: Decimal("0.000000480"), 2: Decimal("0.000000280")}
    assert sum(r.calls for r in ledger.summary("run")) == 200
    store.close()


@pytest.mark.parametrize("guard_state", ["store", "memory"])
def test_the_guard_writes_the_ledger_in_the_budget_time_zone(
    guard_state: str, tmp_path: Path
) -> None:
    """The guard built from settings keeps its ledger's days in JOBINTEL_BUDGET_TIMEZONE,
    whether its state is shared through the store or kept in memory."""
    settings = load_settings(
        data_dir=tmp_path, budget_timezone="Asia/Tokyo", guard_state=guard_state
    )
    store = Store.open(settings.effective_database_url)
    try:
        guard = build_guard(settings, engine=store.engine)
        guard.ledger.record(_entry(at=datetime(2026, 11, 28, 20, 0, tzinfo=UTC)))
        assert [r.key for r in guard.ledger.summary("day")] == ["2026-11-29"]
    finally:
        store.close()
