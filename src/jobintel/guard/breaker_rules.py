"""Circuit-breaker policy, outcomes and the state machine itself, free of any storage.

closed --(N consecutive failures, or failure rate >= threshold over the window with at
least min_calls)--> open --(cool-down elapsed, next caller)--> half_open, admitting that
caller as the one probe --(probe succeeds)--> closed, --(probe fails)--> open again.

Every transition bumps a generation number that tickets carry: an outcome reported on a
ticket issued before the latest transition (a slow call from before the breaker opened)
changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Literal, Protocol

from jobintel.providers.errors import ProviderError

BreakerStateName = Literal["closed", "open", "half_open"]
Outcome = Literal["success", "failure", "ignored"]


@dataclass(frozen=True, kw_only=True)
class BreakerPolicy:
    """When a breaker opens and how it recovers; one per service (or service:model)."""

    consecutive_failures: int = 5
    window_s: float = 60.0
    min_calls: int = 10
    failure_rate: float = 0.5
    cooldown_s: float = 30.0
    #: A probe not reported within this time counts as lost (its task was cancelled or
    #: its process died) and the next caller probes instead; keep it above the longest call.
    probe_timeout_s: float = 120.0
    #: HTTP statuses that count as failures although their error class does not (for a
    #: provider that answers, say, 404 when a model is down).
    failure_statuses: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.consecutive_failures < 1 or self.min_calls < 1:
            raise ValueError("consecutive_failures and min_calls must be at least 1")
        if not 0 < self.failure_rate <= 1:
            raise ValueError(f"failure_rate must be in (0, 1], got {self.failure_rate}")
        if not (self.window_s > 0 and self.cooldown_s >= 0 and self.probe_timeout_s > 0):
            raise ValueError(
                "window_s and probe_timeout_s must be positive, cooldown_s not negative"
            )


def classify(exc: BaseException | None, policy: BreakerPolicy | None = None) -> Outcome:
    """What a call's result means for the breaker.

    5xx, timeouts, connection errors and malformed answers are failures; 4xx such as
    400/401 are our bug or config and 429 belongs to the rate limiter, so they are
    ignored, as is anything that is not the provider's doing (cancellation included).
    """
    if exc is None:
        return "success"
    if isinstance(exc, ProviderError):
        if policy is not None and exc.status in policy.failure_statuses:
            return "failure"
        return "failure" if exc.counts_as_failure else "ignored"
    if isinstance(exc, TimeoutError):  # the gateway's own deadline ran out
        return "failure"
    return "ignored"


@dataclass(frozen=True, kw_only=True)
class Ticket:
    """Leave to make one call; report its outcome with ``CircuitBreaker.record``."""

    key: str
    generation: int
    probe: bool = False
    id: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass(kw_only=True)
class BreakerRecord:
    """A breaker's mutable state, as both backends store it."""

    state: BreakerStateName = "closed"
    generation: int = 0
    consecutive_failures: int = 0
    opened_at: float | None = None
    next_probe_at: float | None = None
    probe_id: str | None = None
    probe_expires_at: float | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Transition:
    key: str
    before: BreakerStateName
    after: BreakerStateName
    reason: str


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """Why a call may not go ahead: the breaker is open, or its one probe is in flight."""

    state: BreakerStateName
    opened_at: float | None
    next_probe_at: float | None
    reason: str


class CallWindow(Protocol):
    """Counted outcomes of recent calls, for the failure rate."""

    def add(self, at: float, failed: bool) -> None: ...

    def stats(self, since: float) -> tuple[int, int]:
        """(calls, failures) after ``since``."""
        ...

    def clear(self) -> None: ...


def admit(
    key: str, rec: BreakerRecord, policy: BreakerPolicy, now: float
) -> tuple[Ticket | Refusal, list[Transition]]:
    """Let a call through (closed, or as the half-open probe) or refuse it."""
    moves: list[Transition] = []
    if rec.state == "closed":
        return Ticket(key=key, generation=rec.generation), moves
    if rec.state == "open":
        if rec.next_probe_at is not None and now < rec.next_probe_at:
            return _refusal(rec), moves
        moves.append(_move(key, rec, "half_open", "cool-down over: probing with one call"))
    if rec.probe_id is not None and rec.probe_expires_at is not None and now < rec.probe_expires_at:
        return _refusal(rec), moves
    ticket = Ticket(key=key, generation=rec.generation, probe=True)
    rec.probe_id = ticket.id
    rec.probe_expires_at = now + policy.probe_timeout_s
    return ticket, moves


def apply_outcome(
    rec: BreakerRecord,
    ticket: Ticket,
    outcome: Outcome,
    policy: BreakerPolicy,
    now: float,
    window: CallWindow,
) -> list[Transition]:
    """Update ``rec`` (and ``window``) with one call's outcome; the transitions it caused."""
    if outcome == "ignored":
        if ticket.probe and rec.probe_id == ticket.id:  # the probe proved nothing: free the slot
            rec.probe_id = rec.probe_expires_at = None
        return []
    if ticket.generation != rec.generation:
        return []
    if ticket.probe:
        if rec.state != "half_open" or rec.probe_id != ticket.id:
            return []  # a probe that timed out and was replaced
        if outcome == "success":
            window.clear()
            return [_move(ticket.key, rec, "closed", "probe call succeeded")]
        return [_open(ticket.key, rec, policy, now, "probe call failed")]
    window.add(now, outcome == "failure")
    if outcome == "success":
        rec.consecutive_failures = 0
    else:
        rec.consecutive_failures += 1
    if rec.consecutive_failures >= policy.consecutive_failures:
        reason = f"{rec.consecutive_failures} consecutive failures"
        return [_open(ticket.key, rec, policy, now, reason)]
    # Checked after successes too: the call that reaches min_calls may be one.
    calls, failures = window.stats(now - policy.window_s)
    if calls >= policy.min_calls and failures >= policy.failure_rate * calls:
        reason = f"{failures} of {calls} calls failed in {policy.window_s:g} s"
        return [_open(ticket.key, rec, policy, now, reason)]
    return []


def _open(
    key: str, rec: BreakerRecord, policy: BreakerPolicy, now: float, reason: str
) -> Transition:
    move = _move(key, rec, "open", reason)
    rec.opened_at = now
    rec.next_probe_at = now + policy.cooldown_s
    return move


def _move(key: str, rec: BreakerRecord, after: BreakerStateName, reason: str) -> Transition:
    move = Transition(key=key, before=rec.state, after=after, reason=reason)
    rec.state = after
    rec.generation += 1
    rec.probe_id = rec.probe_expires_at = None
    if after == "closed":
        rec.consecutive_failures = 0
        rec.opened_at = rec.next_probe_at = None
        rec.reason = ""
    elif after == "open":
        rec.reason = reason
    return move


def _refusal(rec: BreakerRecord) -> Refusal:
    return Refusal(
        state=rec.state, opened_at=rec.opened_at, next_probe_at=rec.next_probe_at, reason=rec.reason
    )
