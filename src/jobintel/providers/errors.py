"""What can go wrong on the wire, classified so the guard knows what each failure means."""

from __future__ import annotations

from jobintel.errors import StrategyUnavailable


class ProviderError(StrategyUnavailable):
    """A provider call failed; ``service`` names the provider, ``status`` the HTTP status."""

    #: Whether a circuit breaker should count this failure against the service.
    counts_as_failure = True
    #: Whether trying again later may succeed.
    retryable = True

    #: What the provider asked us to wait before trying again (Retry-After), if it said.
    retry_after_s: float | None = None

    def __init__(self, service: str, message: str, *, status: int | None = None) -> None:
        self.service = service
        self.status = status
        super().__init__(f"{service}: {message}")


class ProviderTimeout(ProviderError):
    """No complete answer within the call's deadline."""


class ProviderUnavailable(ProviderError):
    """A 5xx answer or a connection that could not be made or was dropped; an overloaded
    server (503, Anthropic's 529) may say when to come back in ``retry_after_s``."""

    def __init__(
        self,
        service: str,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(service, message, status=status)


class ProviderRateLimited(ProviderError):
    """HTTP 429; ``retry_after_s`` is what the provider asked us to wait, if it said."""

    counts_as_failure = False

    def __init__(
        self, service: str, message: str, *, status: int | None = 429, retry_after_s: float | None
    ) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(service, message, status=status)


class ProviderRejected(ProviderError):
    """A 4xx other than 429 (bad request, bad key, unknown model): our bug or our config."""

    counts_as_failure = False
    retryable = False


def key_refused(service: str, status: int, key_setting: str, detail: str) -> ProviderRejected:
    """A 401/403: the key ``key_setting`` holds was refused (``detail``: the server's words)."""
    return ProviderRejected(
        service,
        f"the API key was refused (HTTP {status}): check {key_setting}{detail}",
        status=status,
    )


class ProviderMalformed(ProviderError):
    """A 2xx answer that is not the wire format (bad JSON, truncated stream)."""


class FetchRefused(ProviderError):
    """The HTTP fetcher refused a URL (private address, scheme, size) before or while fetching."""

    counts_as_failure = False
    retryable = False


class ModelRefused(StrategyUnavailable):
    """The model answered, but declined the task (``ChatResult.refusal``).

    Not a provider failure: the answer was delivered and paid for, the breaker counts it a
    success, and asking again would only pay for the same refusal, so the stage falls back
    at once. The guard books such an answer under this class's name.
    """

    #: Most characters of the model's own words kept in the message.
    REASON_CHARS = 300

    def __init__(self, route: str, task: str, refusal: str) -> None:
        self.route = route
        reason = " ".join(refusal.split())[: self.REASON_CHARS]
        super().__init__(f"{route} declined the {task} task: {reason}")


def never_sent(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) failed before the request left this machine.

    A connect or pool timeout means the provider never saw the request, so nothing can
    have been billed; a read timeout may have been.
    """
    import httpx

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ConnectError):
            return True
        current = current.__cause__ or current.__context__
    return False
