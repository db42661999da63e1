"""Company research cached per company, shared by every job and run that names it, and
(apart) the web sources it was built from, so a failed summary does not pay for them again.

The key is the company name normalised (case, punctuation and legal suffixes dropped),
so "Acme, Inc." and "ACME" share one entry. ``single_flight`` gives one asyncio lock per
company and database within a process: hold it around check, research and put, and a
second job for the same company waits for the first and then reads its entry. Across
processes sharing the database, a ``ResearchLease`` does the same: one holds it while it
researches, the others poll for its entry (or for the lease to end, or to lapse).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import ValidationError
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from jobintel.models import CompanyResearch
from jobintel.processes import pid_alive, this_host, this_owner
from jobintel.store.tables import ResearchCacheRow, ResearchLeaseRow, ResearchSourcesRow, utcnow

__all__ = ["ResearchCache", "ResearchLease", "SourceCache", "company_key"]

_LEGAL_SUFFIXES = frozenset({
    "inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "plc", "corp", "corporation",
    "co", "company", "gmbh", "ag", "kg", "mbh", "sa", "sas", "sarl", "srl", "spa", "bv", "nv",
    "oy", "ab", "as", "asa", "aps", "pty", "pte", "kk", "se",
})  # fmt: skip
_DROPPED = re.compile(r"[.'’]")
_PUNCTUATION = re.compile(r"[\W_]+")
_KEY_CHARS = 200

# loop -> (database, key) -> lock. Weak both ways: a lock lives while someone holds or
# awaits it, and a finished event loop takes its locks with it.
_FLIGHTS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock]
] = weakref.WeakKeyDictionary()


def company_key(name: str) -> str:
    """The cache key for a company name: casefolded, no punctuation, no legal suffix."""
    text = _DROPPED.sub("", unicodedata.normalize("NFKC", name).casefold())
    words = _PUNCTUATION.sub(" ", text).split()
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)[:_KEY_CHARS]


_Row = TypeVar("_Row", ResearchCacheRow, ResearchSourcesRow)


class _CompanyRows(Generic[_Row]):
    """One JSON value per company key in ``row_type``'s table: read if younger than a
    maximum age, written (inserted or replaced) with the time and the service used."""

    def __init__(
        self,
        engine: Engine,
        row_type: type[_Row],
        column: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._row_type: type[_Row] = row_type
        self._column = column
        self._clock = clock

    def get(self, company: str, *, max_age: timedelta) -> tuple[str, Any, datetime] | None:
        """``(service, value, fetched_at)`` stored for ``company`` if younger than
        ``max_age``."""
        key = company_key(company)
        if not key or max_age <= timedelta(0):
            return None
        row_type = self._row_type
        with self._sessions() as session:
            row = session.scalar(select(row_type).where(row_type.key == key))
            if row is None:
                return None
            fetched_at, service, stored = row.fetched_at, row.service, getattr(row, self._column)
        if fetched_at.tzinfo is None:  # SQLite hands back naive datetimes, stored as UTC
            fetched_at = fetched_at.replace(tzinfo=UTC)
        if self._clock() - fetched_at > max_age:
            return None
        return service, stored, fetched_at

    def put(self, company: str, value: object, *, service: str, at: datetime | None = None) -> None:
        key = company_key(company)
        if not key:
            return
        values = {
            "company": " ".join(company.split()),
            "service": service,
            self._column: value,
            "fetched_at": at or self._clock(),
        }
        row_type = self._row_type
        # Two processes may insert the same key at once; the loser retries as an update.
        for attempt in range(2):
            try:
                with self._sessions() as session, session.begin():
                    row = session.scalar(select(row_type).where(row_type.key == key))
                    if row is None:
                        session.add(row_type(key=key, **values))
                    else:
                        for name, item in values.items():
                            setattr(row, name, item)
                return
            except IntegrityError:
                if attempt:
                    raise


@dataclass(frozen=True, kw_only=True)
class StoredSources:
    service: str
    sources: list[dict[str, str]]
    fetched_at: datetime


class SourceCache:
    """The web sources fetched for a company (title, URL and excerpt of each), kept so a
    job whose summary failed leaves them for the next one: a paid search is made once per
    ``research_ttl_days`` however often the model call after it fails (processes sharing
    the database take turns through a ``ResearchLease``)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._rows = _CompanyRows(engine, ResearchSourcesRow, "sources", clock)

    def get(self, company: str, *, max_age: timedelta) -> StoredSources | None:
        """The sources fetched for ``company`` within ``max_age``, else None."""
        found = self._rows.get(company, max_age=max_age)
        if found is None or not isinstance(found[1], list):
            return None
        service, stored, fetched_at = found
        sources = [source for source in stored if isinstance(source, dict)]
        return StoredSources(service=service, sources=sources, fetched_at=fetched_at)

    def put(self, company: str, sources: list[dict[str, str]], *, service: str) -> None:
        """Store ``sources`` for ``company`` as fetched now by ``service``, replacing any."""
        self._rows.put(company, sources, service=service)


class ResearchCache:
    """Read and write cached ``CompanyResearch``; ``clock`` is injectable for TTL tests."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._rows = _CompanyRows(engine, ResearchCacheRow, "research", clock)
        self._database = engine.url.render_as_string(hide_password=True)

    def get(self, company: str, *, max_age: timedelta) -> CompanyResearch | None:
        """The research stored for ``company`` if younger than ``max_age``, else None."""
        found = self._rows.get(company, max_age=max_age)
        if found is None:
            return None
        try:
            return CompanyResearch.model_validate(found[1])
        except ValidationError:
            return None  # written by an older model version: research again, then overwrite

    def put(
        self,
        company: str,
        research: CompanyResearch,
        *,
        service: str,
        fetched_at: datetime | None = None,
    ) -> None:
        """Store ``research`` for ``company`` as fetched by ``service`` at ``fetched_at``
        (now, or when the web sources it was built from were fetched), replacing any."""
        value = research.model_dump(mode="json")
        self._rows.put(company, value, service=service, at=fetched_at)

    def single_flight(self, company: str) -> asyncio.Lock:
        """The lock that serialises research on ``company`` in this process and event loop."""
        locks = _FLIGHTS.setdefault(asyncio.get_running_loop(), weakref.WeakValueDictionary())
        ident = (self._database, company_key(company))
        lock = locks.get(ident)
        if lock is None:
            lock = asyncio.Lock()
            locks[ident] = lock
        return lock


class ResearchLease:
    """Leave to research one company, shared by every process using the database.

    ``acquire`` inserts the company's row and says whether it did: the one process that
    did researches, the others wait (the company stage polls the research cache meanwhile).
    The holder ``renew``s it while it works; a lease not renewed lapses at ``expires_at``
    (``ttl`` after it was taken or last renewed, so a holder on another host that died
    blocks no one for long), and one whose process is gone from this host is taken over
    at once. ``release`` deletes only this lease's own row.
    """

    def __init__(
        self,
        engine: Engine,
        company: str,
        *,
        ttl: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.key = company_key(company)
        self.owner = f"{this_owner()}:{secrets.token_hex(4)}"
        self._ttl = ttl
        self._clock = clock
        #: Whether this process holds the lease (as far as it knows: it may have lapsed).
        self.held = False

    def acquire(self) -> bool:
        """Take the lease if no live holder has it; True when this process now holds it."""
        now = self._clock()
        try:
            with self._sessions() as session, session.begin():
                row = session.get(ResearchLeaseRow, self.key)
                if row is not None:
                    if not self._lapsed(row, now):
                        return False
                    session.execute(
                        delete(ResearchLeaseRow).where(
                            ResearchLeaseRow.key == self.key, ResearchLeaseRow.owner == row.owner
                        )
                    )
                    session.flush()
                session.add(
                    ResearchLeaseRow(key=self.key, owner=self.owner, expires_at=now + self._ttl)
                )
        except IntegrityError:
            return False  # another process inserted it first
        self.held = True
        return True

    def renew(self) -> bool:
        """Push the lease's end ``ttl`` past now; False if this process no longer holds it."""
        query = (
            update(ResearchLeaseRow)
            .where(ResearchLeaseRow.key == self.key, ResearchLeaseRow.owner == self.owner)
            .values(expires_at=self._clock() + self._ttl)
        )
        with self._engine.begin() as conn:
            self.held = conn.execute(query).rowcount == 1
        return self.held

    def release(self) -> None:
        """Give the lease up (only if this process still holds it)."""
        with self._sessions() as session, session.begin():
            session.execute(
                delete(ResearchLeaseRow).where(
                    ResearchLeaseRow.key == self.key, ResearchLeaseRow.owner == self.owner
                )
            )
        self.held = False

    @staticmethod
    def _lapsed(row: ResearchLeaseRow, now: datetime) -> bool:
        expires_at = row.expires_at
        if expires_at.tzinfo is None:  # SQLite hands back naive datetimes, stored as UTC
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= now:
            return True
        host, _, rest = row.owner.partition(":")
        pid = rest.partition(":")[0]
        return host == this_host() and pid.isdigit() and not pid_alive(int(pid))
