"""The vendor SDKs' exceptions (openai, anthropic), classified the same way for the guard.

Both SDKs raise the same family of errors (timeout, connection, HTTP status, response
validation, API error); ``SdkErrors.mapped`` turns them into ``ProviderError`` kinds with
messages that name the host and the setting to fix and never repeat the API key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from jobintel.providers.errors import (
    ProviderError,
    ProviderMalformed,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    key_refused,
    never_sent,
)
from jobintel.providers.headers import parse_retry_after

DETAIL_CHARS = 200
# Keys echoed back in error messages ("Incorrect API key provided: sk-ab***yz").
_KEYLIKE = re.compile(r"\b(sk|rk)-[A-Za-z0-9_*\-]{4,}")


@dataclass(frozen=True, kw_only=True)
class SdkErrorTypes:
    """One SDK's exception classes (``openai.APITimeoutError``, ...)."""

    timeout: type[Exception]
    connection: type[Exception]
    status: type[Exception]
    validation: type[Exception]
    api: type[Exception]


@dataclass(frozen=True, kw_only=True)
class SdkErrors:
    """How one provider instance reports what went wrong."""

    name: str
    host: str
    key: str
    key_setting: str
    types: SdkErrorTypes
    #: Request options a model may not support, named in a 4xx refusal.
    options: str
    #: Anthropic reports an error event inside a 200 stream with its status below 400.
    status_below_400_is_unavailable: bool = False

    @contextmanager
    def mapped(self, timeout_s: float, model: str) -> Iterator[None]:
        """Raise a ``ProviderError`` for whatever the SDK or the wire raises in the block."""
        types = self.types
        try:
            yield
        except ProviderError:
            raise
        except (TimeoutError, types.timeout, httpx.TimeoutException) as exc:
            if never_sent(exc):
                raise ProviderUnavailable(
                    self.name, f"cannot connect to {self.host} (timed out)"
                ) from None
            raise ProviderTimeout(
                self.name, f"no complete answer from {self.host} within {timeout_s:g}s"
            ) from None
        except (types.connection, httpx.TransportError) as exc:
            raise ProviderUnavailable(
                self.name, f"cannot reach {self.host}: {type(exc).__name__}"
            ) from None
        except types.status as exc:
            raise self.status_error(exc, model) from None
        except types.validation:
            raise ProviderMalformed(
                self.name, "the answer does not match the wire format"
            ) from None
        except types.api as exc:  # an error event inside a stream
            raise ProviderUnavailable(
                self.name, f"the API reported an error{self.detail(getattr(exc, 'message', ''))}"
            ) from None
        except (AttributeError, TypeError, KeyError) as exc:  # a 2xx body of the wrong shape
            raise ProviderMalformed(
                self.name, f"unexpected answer shape from {self.host}: {type(exc).__name__}"
            ) from None
        except ValueError as exc:  # undecodable JSON body or stream event
            raise ProviderMalformed(
                self.name, f"undecodable answer from {self.host}: {type(exc).__name__}"
            ) from None

    def status_error(self, exc: Any, model: str) -> ProviderError:
        """The ``ProviderError`` for an SDK status error (``exc.status_code``, ``.body``...)."""
        status: int = exc.status_code
        headers = exc.response.headers
        detail = self.detail(server_message(exc.body) or exc.message)
        if status == 429:
            return ProviderRateLimited(
                self.name,
                f"rate limited by {self.host} (HTTP 429){detail}",
                retry_after_s=parse_retry_after(headers),
            )
        if status in (401, 403):
            return key_refused(self.name, status, self.key_setting, detail)
        if status == 404:
            return ProviderRejected(
                self.name,
                f"model {model!r} or its endpoint was not found at {self.host} (HTTP 404): "
                f"check the model name in JOBINTEL_MODEL / JOBINTEL_STAGE_MODELS and the "
                f"base URL{detail}",
                status=status,
            )
        if status == 408:
            return ProviderTimeout(
                self.name, f"the server timed out (HTTP 408){detail}", status=408
            )
        if status >= 500 or (status < 400 and self.status_below_400_is_unavailable):
            return ProviderUnavailable(
                self.name,
                f"server error at {self.host} (HTTP {status}){detail}",
                status=status,
                retry_after_s=parse_retry_after(headers),
            )
        return ProviderRejected(
            self.name,
            f"request refused (HTTP {status}): check that model {model!r} supports these "
            f"options ({self.options}, max tokens, temperature){detail}",
            status=status,
        )

    def detail(self, text: object) -> str:
        """``: <server text>``, short, with the key and anything key-like redacted."""
        if not isinstance(text, str) or not text.strip():
            return ""
        text = " ".join(text.split())
        if self.key:
            text = text.replace(self.key, "[redacted]")
        return ": " + _KEYLIKE.sub("[redacted]", text)[:DETAIL_CHARS]


def server_message(body: object) -> str | None:
    """The ``error.message`` of an error body, as both APIs shape it."""
    error = body.get("error", body) if isinstance(body, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else None
    return message if isinstance(message, str) else None
