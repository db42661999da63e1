"""Per-model requests-per-minute and tokens-per-minute limits over a sliding 60 s window."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WINDOW_S = 60.0


@dataclass(kw_only=True)
class _Entry:
    at: float
    tokens: int


@dataclass(frozen=True, kw_only=True)
class LimitSnapshot:
    """Headroom after a request: what the rate-limit headers report (None = unlimited)."""

    limit_requests: int | None
    remaining_requests: int | None
    reset_requests_s: float
    limit_tokens: int | None
    remaining_tokens: int | None
    reset_tokens_s: float

    def openai_headers(self) -> dict[str, str]:
        """``x-ratelimit-*`` headers, as OpenAI sends them."""
        headers: dict[str, str] = {}
        if self.limit_requests is not None:
            headers["x-ratelimit-limit-requests"] = str(self.limit_requests)
            headers["x-ratelimit-remaining-requests"] = str(self.remaining_requests)
            headers["x-ratelimit-reset-requests"] = go_duration(self.reset_requests_s)
        if self.limit_tokens is not None:
            headers["x-ratelimit-limit-tokens"] = str(self.limit_tokens)
            headers["x-ratelimit-remaining-tokens"] = str(self.remaining_tokens)
            headers["x-ratelimit-reset-tokens"] = go_duration(self.reset_tokens_s)
        return headers

    def anthropic_headers(self, now: datetime | None = None) -> dict[str, str]:
        """``anthropic-ratelimit-*`` headers: resets are RFC 3339 instants."""
        now = now or datetime.now(UTC)
        headers: dict[str, str] = {}
        if self.limit_requests is not None:
            headers["anthropic-ratelimit-requests-limit"] = str(self.limit_requests)
            headers["anthropic-ratelimit-requests-remaining"] = str(self.remaining_requests)
            headers["anthropic-ratelimit-requests-reset"] = _instant(now, self.reset_requests_s)
        if self.limit_tokens is not None:
            headers["anthropic-ratelimit-tokens-limit"] = str(self.limit_tokens)
            headers["anthropic-ratelimit-tokens-remaining"] = str(self.remaining_tokens)
            headers["anthropic-ratelimit-tokens-reset"] = _instant(now, self.reset_tokens_s)
        return headers


@dataclass(frozen=True, kw_only=True)
class Admission:
    """The limiter's answer: allowed, or refused with how long until it would be allowed."""

    allowed: bool
    retry_after_s: float
    snapshot: LimitSnapshot
    reason: str = ""
    entry: _Entry | None = None

    @property
    def retry_after_header(self) -> str:
        """Whole seconds, rounded up, as ``Retry-After`` carries them."""
        return str(math.ceil(self.retry_after_s))


class SlidingWindowLimiter:
    """Counts requests and tokens per model over the last ``WINDOW_S`` seconds."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._windows: dict[str, deque[_Entry]] = {}

    def admit(self, key: str, *, rpm: int | None, tpm: int | None, tokens: int) -> Admission:
        """Record a request of ``tokens`` if both limits allow it now."""
        now = self._clock()
        window = self._window(key, now)
        waits = [0.0]
        reason = ""
        if rpm is not None and len(window) + 1 > rpm:
            # The request fits once enough of the oldest requests leave the window.
            waits.append(window[len(window) - rpm].at + WINDOW_S - now)
            reason = f"requests per minute (RPM): limit {rpm}"
        if tpm is not None:
            used = sum(e.tokens for e in window)
            if tokens > tpm:
                waits.append(WINDOW_S)
                reason = f"request too large for tokens per minute (TPM): limit {tpm}, requested {tokens}"
            elif used + tokens > tpm:
                freed = 0
                for entry in window:
                    freed += entry.tokens
                    if used - freed + tokens <= tpm:
                        waits.append(entry.at + WINDOW_S - now)
                        break
                reason = f"tokens per minute (TPM): limit {tpm}, used {used}, requested {tokens}"
        wait = max(waits)
        if reason:
            return Admission(
                allowed=False,
                retry_after_s=max(wait, 0.001),
                snapshot=self._snapshot(window, now, rpm, tpm),
                reason=reason,
            )
        entry = _Entry(at=now, tokens=tokens)
        window.append(entry)
        return Admission(
            allowed=True,
            retry_after_s=0.0,
            snapshot=self._snapshot(window, now, rpm, tpm),
            entry=entry,
        )

    def settle(
        self, key: str, entry: _Entry, tokens: int, *, rpm: int | None, tpm: int | None
    ) -> LimitSnapshot:
        """Replace a reservation's estimate by the tokens actually used; the new headroom."""
        entry.tokens = tokens
        now = self._clock()
        return self._snapshot(self._window(key, now), now, rpm, tpm)

    def clear(self) -> None:
        self._windows.clear()

    def _window(self, key: str, now: float) -> deque[_Entry]:
        window = self._windows.setdefault(key, deque())
        while window and window[0].at <= now - WINDOW_S:
            window.popleft()
        return window

    @staticmethod
    def _snapshot(
        window: deque[_Entry], now: float, rpm: int | None, tpm: int | None
    ) -> LimitSnapshot:
        # The limits are back to full once the newest request leaves the window.
        reset = window[-1].at + WINDOW_S - now if window else 0.0
        used = sum(e.tokens for e in window)
        return LimitSnapshot(
            limit_requests=rpm,
            remaining_requests=None if rpm is None else max(rpm - len(window), 0),
            reset_requests_s=reset,
            limit_tokens=tpm,
            remaining_tokens=None if tpm is None else max(tpm - used, 0),
            reset_tokens_s=reset,
        )


def go_duration(seconds: float) -> str:
    """A duration the way OpenAI writes it: ``20ms``, ``1s``, ``6m0s``, ``1h2m3s``."""
    seconds = round(max(seconds, 0.0), 3)
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{int(hours)}h{int(minutes)}m{text}"
    if minutes:
        return f"{int(minutes)}m{text}"
    return text


def _instant(now: datetime, after_s: float) -> str:
    moment = (now + timedelta(seconds=math.ceil(after_s))).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")
