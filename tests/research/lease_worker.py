"""Code that runs in spawned child processes for the research-lease race test."""

from __future__ import annotations

from datetime import timedelta
from multiprocessing.queues import Queue
from threading import Barrier as BarrierType

from jobintel.store import ResearchLease, create_db_engine


def race_for_the_lease(url: str, start: BarrierType, results: Queue[bool]) -> None:
    """Wait for every racer, try to take Acme's lease once, and put whether it was taken."""
    engine = create_db_engine(url)
    lease = ResearchLease(engine, "Acme Rockets Inc.", ttl=timedelta(minutes=5))
    start.wait(timeout=60)
    results.put(lease.acquire())
    engine.dispose()
