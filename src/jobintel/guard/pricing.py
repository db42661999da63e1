"""What a call costs: prices from genai-prices (pinned), overrides, and worst-case bounds.

Prices come from the data bundled with the pinned genai-prices version, read through our
own snapshot (never the library's auto-updating global one), so a call always costs the
same and nothing is fetched at runtime. Overrides keyed ``service:model`` (or a pattern
such as ``service:*``) win over the table; local services are $0 by default.

Money is ``Decimal`` rounded *up* to ``USD_QUANTUM`` (a nano-dollar): costs are never
under-counted, and the ledger stores them exactly.
"""

from __future__ import annotations

import bisect
import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Literal

from genai_prices import Usage as GenaiUsage
from genai_prices import __version__ as GENAI_PRICES_VERSION
from genai_prices import data as genai_data
from genai_prices import types as genai
from genai_prices.data_snapshot import DataSnapshot
from pydantic import BaseModel, ConfigDict, Field

from jobintel.errors import StrategyUnavailable
from jobintel.guard.events import EventSink, GuardEvent, ignore_events
from jobintel.guard.tokens import input_token_bound, normalise_usage, worst_case_credits
from jobintel.providers.base import ChatRequest, ModelRef, ScrapeRequest, SearchRequest, Usage

__all__ = [
    "DEFAULT_PRICE_OVERRIDES",
    "FIRECRAWL_USD_PER_CREDIT",
    "FREE",
    "GENAI_PRICES_VERSION",
    "USD_QUANTUM",
    "CostResult",
    "CostSource",
    "ModelPrice",
    "PriceBook",
    "PriceUnknown",
    "normalise_usage",
    "quantize_usd",
]

USD_QUANTUM = Decimal("0.000000001")
ZERO = Decimal(0)
_MTOK = Decimal(1_000_000)

#: FireCrawl's Standard plan, $83 a month for 100,000 credits (firecrawl.dev/pricing). A
#: default only: set ``firecrawl:*`` in the price overrides to your plan's rate.
FIRECRAWL_USD_PER_CREDIT = Decimal("0.00083")

CostSource = Literal["provider", "price_table", "override", "free", "unpriced"]
_Mode = Literal["base", "applicable", "ceiling"]


class ModelPrice(BaseModel):
    """USD prices of one model or service. Cache rates of ``None`` bill at the input rate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_mtok: Decimal = Field(default=ZERO, ge=0, allow_inf_nan=False)
    output_per_mtok: Decimal = Field(default=ZERO, ge=0, allow_inf_nan=False)
    cached_read_per_mtok: Decimal | None = Field(default=None, ge=0, allow_inf_nan=False)
    cache_write_per_mtok: Decimal | None = Field(default=None, ge=0, allow_inf_nan=False)
    per_call_usd: Decimal = Field(default=ZERO, ge=0, allow_inf_nan=False)
    per_credit_usd: Decimal = Field(default=ZERO, ge=0, allow_inf_nan=False)

    @property
    def is_free(self) -> bool:
        return not any(
            (
                self.input_per_mtok,
                self.output_per_mtok,
                self.cached_read_per_mtok,
                self.cache_write_per_mtok,
                self.per_call_usd,
                self.per_credit_usd,
            )
        )

    @property
    def max_input_per_mtok(self) -> Decimal:
        """The dearest way an input token can be billed (a cache write can cost more)."""
        return max(
            self.input_per_mtok,
            self.cached_read_per_mtok or ZERO,
            self.cache_write_per_mtok or ZERO,
        )

    def charge(self, usage: Usage) -> Decimal:
        """The exact (unrounded) cost of normalised ``usage`` at these prices."""
        read = (
            self.input_per_mtok if self.cached_read_per_mtok is None else self.cached_read_per_mtok
        )
        write = (
            self.input_per_mtok if self.cache_write_per_mtok is None else self.cache_write_per_mtok
        )
        uncached = usage.input_tokens - usage.cached_read_tokens - usage.cache_write_tokens
        tokens = (
            uncached * self.input_per_mtok
            + usage.cached_read_tokens * read
            + usage.cache_write_tokens * write
            + usage.output_tokens * self.output_per_mtok
        )
        return tokens / _MTOK + self.per_call_usd + usage.credits * self.per_credit_usd


FREE = ModelPrice()

#: Built in, below the user's overrides: local services cost nothing, FireCrawl per credit.
DEFAULT_PRICE_OVERRIDES: Mapping[str, ModelPrice] = {
    "ollama:*": FREE,
    "http:*": FREE,
    "firecrawl:*": ModelPrice(per_credit_usd=FIRECRAWL_USD_PER_CREDIT),
}


@dataclass(frozen=True, kw_only=True)
class CostResult:
    """What one successful attempt cost, where the figure came from, and anything odd."""

    usd: Decimal
    source: CostSource
    anomaly: str | None = None


class PriceUnknown(StrategyUnavailable):
    """No price is known for a model, so no budget can be reserved for a call to it."""

    def __init__(self, service: str, model: str | None) -> None:
        self.service = service
        self.model = model
        key = f"{service}:{model or '*'}"
        super().__init__(
            f"no price for {key}: genai-prices {GENAI_PRICES_VERSION} does not list it; set "
            f'one in JOBINTEL_PRICES, e.g. {{"{key}": {{"input_per_mtok": "0.5", '
            f'"output_per_mtok": "1.5"}}}}, or {{"{service}:*": {{}}}} if it is free (self-hosted)'
        )


@dataclass(frozen=True, kw_only=True)
class _Resolved:
    price: ModelPrice  # base-tier rates when first resolved: what a person calls "the price"
    source: Literal["price_table", "override", "free"]
    table: tuple[genai.Provider, genai.ModelInfo] | None = None


class PriceBook:
    """Prices per ``service:model``: overrides first, then the pinned genai-prices table."""

    def __init__(
        self,
        overrides: Mapping[str, ModelPrice] | None = None,
        *,
        defaults: Mapping[str, ModelPrice] = DEFAULT_PRICE_OVERRIDES,
        on_event: EventSink = ignore_events,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        merged = {k.lower(): v for k, v in {**defaults, **(overrides or {})}.items()}
        self._exact = {k: v for k, v in merged.items() if not _is_pattern(k)}
        # Longest pattern first, so "openrouter:meta-llama/*" beats "openrouter:*".
        self._patterns = sorted(
            ((k, v) for k, v in merged.items() if _is_pattern(k)), key=lambda kv: -len(kv[0])
        )
        # Our own snapshot of the bundled data: genai-prices' UpdatePrices would swap the
        # library's global snapshot for one fetched from GitHub; this one never changes.
        self._table = DataSnapshot(providers=genai_data.providers, from_auto_update=False)
        self._rates = _TableRates()
        self._on_event = on_event
        self._now = now
        self._cache: dict[tuple[str, str], _Resolved | None] = {}
        self.version = GENAI_PRICES_VERSION

    def price_for(self, service: str, model: str | None) -> ModelPrice | None:
        """The price (base tier), or None when the model is unknown and not overridden."""
        resolved = self._resolve(service, model)
        return resolved.price if resolved else None

    def problems(self, routes: Iterable[ModelRef]) -> list[tuple[str, str]]:
        """(setting, message) for each route without a price, ready for ``ConfigError``."""
        return [
            ("JOBINTEL_PRICES", str(PriceUnknown(ref.provider, ref.model)))
            for ref in routes
            if self._resolve(ref.provider, ref.model) is None
        ]

    def cost(
        self,
        service: str,
        model: str | None,
        usage: Usage,
        reported_cost_usd: Decimal | None = None,
        *,
        reserved_usd: Decimal | None = None,
    ) -> CostResult:
        """The cost of one successful attempt; an anomaly is also emitted as an event.

        The provider's own figure wins when it is above $0. A priced call that reports $0
        is charged from the price table; one that reports no usage at all is charged
        ``reserved_usd`` (its worst case): never silently free.
        """
        usage, usage_anomaly = normalise_usage(usage)
        resolved = self._resolve(service, model)
        reserved = quantize_usd(reserved_usd or ZERO)
        if reported_cost_usd is not None and reported_cost_usd > 0:
            result = CostResult(usd=quantize_usd(reported_cost_usd), source="provider")
        elif resolved is None:
            result = CostResult(
                usd=reserved,
                source="unpriced",
                anomaly="no price is known for this model; charged the reservation",
            )
        elif resolved.source == "free":
            result = CostResult(usd=ZERO, source="free")
        elif (charged := self._charge(resolved, usage)) == 0:
            result = CostResult(
                usd=reserved,
                source=resolved.source,
                anomaly="a priced call reported no usage; charged the reservation",
            )
        else:
            result = CostResult(usd=quantize_usd(charged), source=resolved.source)
        if reported_cost_usd == 0 and resolved is not None and resolved.source != "free":
            result = _with(
                result, f"the provider reported $0 for a priced model; charged {result.source}"
            )
        if usage_anomaly:
            result = _with(result, usage_anomaly)
        if result.anomaly:
            self._on_event(
                GuardEvent(
                    kind="pricing_anomaly",
                    subject=f"{service}:{model or '*'}",
                    message=result.anomaly,
                    data={"usd": str(result.usd), "source": result.source},
                )
            )
        return result

    def worst_case_usd(
        self, service: str, model: str | None, request: ChatRequest | SearchRequest | ScrapeRequest
    ) -> Decimal:
        """The most ``request`` can cost, to reserve against budgets; raises PriceUnknown.

        Chat: ``input_token_bound`` tokens at the dearest input rate (cache writes can
        cost more than plain input) plus ``max_tokens`` at the output rate, at the
        highest tier and dated price the call can meet. Research: the per-call price plus
        ``worst_case_credits`` at the per-credit price.
        """
        resolved = self._resolve(service, model)
        if resolved is None:
            raise PriceUnknown(service, model)
        if resolved.source == "free":
            return ZERO
        if not isinstance(request, ChatRequest):
            price = resolved.price
            credits = worst_case_credits(request)
            return quantize_usd(price.per_call_usd + credits * price.per_credit_usd)
        bound = input_token_bound(request)
        if resolved.table is None:
            prices = [resolved.price]
        else:
            live = _live_prices(resolved.table[1], self._now())
            prices = [self._rates.flat(p, "ceiling", bound) for p in live]
        input_rate = max(p.max_input_per_mtok for p in prices)
        output_rate = max(p.output_per_mtok for p in prices)
        per_call = max(p.per_call_usd for p in prices)
        tokens = bound * input_rate + request.max_tokens * output_rate
        return quantize_usd(tokens / _MTOK + per_call)

    def _resolve(self, service: str, model: str | None) -> _Resolved | None:
        key = (service.lower(), (model or "*").lower())
        if key not in self._cache:
            self._cache[key] = self._lookup(*key)
        return self._cache[key]

    def _lookup(self, service: str, model: str) -> _Resolved | None:
        name = f"{service}:{model}"
        override = self._exact.get(name)
        if override is None:
            override = next(
                (p for pat, p in self._patterns if fnmatch.fnmatchcase(name, pat)), None
            )
        if override is not None:
            return _Resolved(price=override, source="free" if override.is_free else "override")
        if model == "*":
            return None
        try:
            provider, info = self._table.find_provider_model(model, None, service, None)
        except LookupError:
            return None
        current = info.get_prices(self._now())
        if not _text_priced(current):
            return None
        price = self._rates.flat(current, "base", 0)
        if price.is_free:
            return _Resolved(price=FREE, source="free")
        return _Resolved(price=price, source="price_table", table=(provider, info))

    def _charge(self, resolved: _Resolved, usage: Usage) -> Decimal:
        if resolved.table is None:
            return resolved.price.charge(usage)
        provider, info = resolved.table
        now = self._now()
        current = info.get_prices(now)
        if current.output_reasoning_mtok is None or not usage.reasoning_tokens:
            return self._rates.flat(current, "applicable", usage.input_tokens).charge(usage)
        # A separate reasoning rate: let genai-prices split the output (it uses the same
        # inclusive counts as we do).
        counts = {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cached_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "output_reasoning_tokens": usage.reasoning_tokens,
        }
        genai_usage = GenaiUsage(**{k: v for k, v in counts.items() if v})
        return info.calc_price(genai_usage, provider, genai_request_timestamp=now).total_price


class _TableRates:
    """genai-prices rates as ``ModelPrice``, cached per price object and tier reached."""

    def __init__(self) -> None:
        self._flat: dict[tuple[int, _Mode, int], tuple[genai.ModelPrice, ModelPrice]] = {}
        self._starts: dict[int, tuple[genai.ModelPrice, list[int]]] = {}

    def flat(self, price: genai.ModelPrice, mode: _Mode, input_tokens: int) -> ModelPrice:
        """Rates at ``input_tokens`` of input: "base" tier, the "applicable" tier, or the
        "ceiling" over every tier that many tokens can reach."""
        tier = 0 if mode == "base" else bisect.bisect_left(self._tier_starts(price), input_tokens)
        key = (id(price), mode, tier)
        hit = self._flat.get(key)
        if hit is None or hit[0] is not price:
            hit = (price, _flatten(price, mode, input_tokens))
            self._flat[key] = hit
        return hit[1]

    def _tier_starts(self, price: genai.ModelPrice) -> list[int]:
        hit = self._starts.get(id(price))
        if hit is None or hit[0] is not price:
            starts = {
                tier.start
                for value in price.__dict__.values()
                if isinstance(value, genai.TieredPrices)
                for tier in value.tiers
            }
            hit = (price, sorted(starts))
            self._starts[id(price)] = hit
        return hit[1]


def quantize_usd(amount: Decimal) -> Decimal:
    """``amount`` rounded up to a nano-dollar, the unit every ledger row and budget uses."""
    return amount.quantize(USD_QUANTUM, rounding=ROUND_CEILING)


def _is_pattern(key: str) -> bool:
    return any(ch in key for ch in "*?[")


def _with(result: CostResult, anomaly: str) -> CostResult:
    text = f"{result.anomaly}; {anomaly}" if result.anomaly else anomaly
    return CostResult(usd=result.usd, source=result.source, anomaly=text)


def _text_priced(price: genai.ModelPrice) -> bool:
    """Priced per text token (or not at all: a free model), not per audio hour or page."""
    keys = {k for k, v in price.__dict__.items() if v is not None and not k.startswith("_")}
    return not keys or bool(keys & {"input_mtok", "output_mtok"})


def _live_prices(info: genai.ModelInfo, now: datetime) -> list[genai.ModelPrice]:
    """Every dated price a call starting ``now`` can be billed at.

    The latest price that has started, every later one (it may start during the call),
    and time-of-day prices (off-peak windows open and close).
    """
    if isinstance(info.prices, genai.ModelPrice):
        return [info.prices]
    first = 0
    for index, entry in enumerate(info.prices):
        constraint = entry.constraint
        if constraint is None or (
            isinstance(constraint, genai.StartDateConstraint) and constraint.active(now)
        ):
            first = index
    return [
        entry.prices
        for index, entry in enumerate(info.prices)
        if index >= first or isinstance(entry.constraint, genai.TimeOfDateConstraint)
    ]


def _rate(value: object, mode: _Mode, input_tokens: int) -> Decimal | None:
    if not isinstance(value, genai.TieredPrices):
        assert value is None or isinstance(value, Decimal)
        return value
    # "Cliff" tiers: once the input passes a tier's start, every token is billed at it.
    reached = [tier.price for tier in value.tiers if input_tokens > tier.start]
    if mode == "base" or not reached:
        return value.base
    return reached[-1] if mode == "applicable" else max([value.base, *reached])


def _flatten(price: genai.ModelPrice, mode: _Mode, input_tokens: int) -> ModelPrice:
    def rate(key: str) -> Decimal | None:
        return _rate(getattr(price, key), mode, input_tokens)

    output = rate("output_mtok") or ZERO
    if mode == "ceiling":
        output = max(output, rate("output_reasoning_mtok") or ZERO)
    return ModelPrice(
        input_per_mtok=rate("input_mtok") or ZERO,
        output_per_mtok=output,
        cached_read_per_mtok=rate("cache_read_mtok"),
        cache_write_per_mtok=rate("cache_write_mtok"),
        per_call_usd=(rate("requests_kcount") or ZERO) / 1000,
    )
