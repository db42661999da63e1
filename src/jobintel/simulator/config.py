"""What the simulator does: limits, latency and faults, as one typed, validated value."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Fault names a ``fault_script`` may hold besides an HTTP error status such as "503".
FAULT_NAMES = frozenset({"ok", "timeout", "malformed", "truncate", "invalid", "refusal"})
_STATUS = re.compile(r"\A[45]\d\d\Z")


class SimulatorConfig(BaseModel):
    """Behaviour of the provider simulator; every field has a safe, fast default.

    Rates are probabilities per request, drawn from a generator seeded by ``seed``; the
    ``fault_script`` is consumed first, one item per API request, which makes tests exact.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    rpm: int | None = Field(default=None, ge=1, description="Requests per minute per model")
    tpm: int | None = Field(default=None, ge=1, description="Tokens per minute per model")
    latency_base_ms: float = Field(default=0.0, ge=0)
    latency_p50_ms: float = Field(default=2.0, ge=0, description="Median of lognormal jitter")
    latency_p95_ms: float = Field(default=5.0, ge=0, description="95th pct of lognormal jitter")
    error_5xx_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    malformed_json_rate: float = Field(default=0.0, ge=0, le=1)
    truncated_stream_rate: float = Field(default=0.0, ge=0, le=1)
    invalid_output_rate: float = Field(default=0.0, ge=0, le=1)
    timeout_hold_s: float = Field(default=30.0, ge=0, description="How long a timeout holds")
    fault_script: tuple[str, ...] = Field(
        default=(), description='Faults for the next requests, in order: "ok", "500", "429", ...'
    )
    fault_retry_after_s: int = Field(
        default=1, ge=0, description="Retry-After of scripted 429, 503 and 529 faults"
    )
    enforce_max_tokens: bool = Field(
        default=True, description="Cut answers longer than max_tokens (finish_reason=length)"
    )
    cost_usd_per_mtok: float | None = Field(
        default=None, ge=0, description="When set, report OpenRouter-style usage.cost"
    )

    @field_validator("fault_script", mode="before")
    @classmethod
    def _known_faults(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError('fault_script is a list of faults, e.g. ["500", "ok", "timeout"]')
        for item in value or ():
            if item not in FAULT_NAMES and not _STATUS.match(str(item)):
                raise ValueError(
                    f"unknown fault {item!r}: use one of {sorted(FAULT_NAMES)} "
                    "or an HTTP error status such as 429, 500 or 503"
                )
        return tuple(str(item) for item in value or ())

    @model_validator(mode="after")
    def _rates_fit(self) -> SimulatorConfig:
        total = (
            self.error_5xx_rate
            + self.timeout_rate
            + self.malformed_json_rate
            + self.truncated_stream_rate
            + self.invalid_output_rate
        )
        if total > 1.0:
            raise ValueError(f"fault rates add up to {total:g}: their sum must be at most 1")
        if self.latency_p95_ms < self.latency_p50_ms:
            raise ValueError("latency_p95_ms must be at least latency_p50_ms")
        return self

    def merged(self, changes: dict[str, Any]) -> SimulatorConfig:
        """A validated copy with ``changes`` applied on top."""
        return SimulatorConfig.model_validate({**self.model_dump(), **changes})
