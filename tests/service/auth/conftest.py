"""Fixtures for the auth tests: a real SQLite store and a cheap argon2 hasher."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from jobintel.store import Store


@pytest.fixture
def engine(store: Store) -> Engine:
    return store.engine


@pytest.fixture
def cheap() -> PasswordHasher:
    """argon2id with minimal cost: the tests check behaviour, not hashing strength."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog that sees ``jobintel.*`` records at DEBUG even after a CLI test ran
    ``configure_logging`` (which stops the ``jobintel`` logger propagating to the root)."""
    logger = logging.getLogger("jobintel")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG, logger="jobintel")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)
