"""Prices from the pinned genai-prices table and overrides; costs, anomalies, worst cases."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
import pytest
from genai_prices import data as genai_data
from genai_prices import types as genai
from genai_prices.data_snapshot import DataSnapshot, set_custom_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from jobintel.errors import StrategyUnavailable
from jobintel.guard.events import GuardEvent
from jobintel.guard.pricing import (
    FIRECRAWL_USD_PER_CREDIT,
    FREE,
    ModelPrice,
    PriceBook,
    PriceUnknown,
    quantize_usd,
)
from jobintel.guard.tokens import (
    estimate_input_tokens,
    estimate_tokens,
    input_token_bound,
    worst_case_credits,
)
from jobintel.providers.base import (
    ChatRequest,
    Message,
    ModelRef,
    ScrapeRequest,
    SearchRequest,
    Usage,
)
from jobintel.simulator.tokens import prompt_tokens

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
M = Decimal(1_000_000)


def _book(**kwargs: object) -> PriceBook:
    return PriceBook(now=lambda: NOW, **kwargs)  # type: ignore[arg-type]


def _table_rates(provider_id: str, model_id: str) -> genai.ModelPrice:
    """The model's prices straight from genai-prices' bundled data, for hand calculations."""
    provider = next(p for p in genai_data.providers if p.id == provider_id)
    model = next(m for m in provider.models if m.id == model_id)
    return model.get_prices(NOW)


def _request(
    text: str, *, max_tokens: int = 500, schema: dict[str, object] | None = None
) -> ChatRequest:
    return ChatRequest(
        model="m",
        messages=(
            Message(role="system", content="Answer in JSON."),
            Message(role="user", content=text),
        ),
        max_tokens=max_tokens,
        schema_name="extract" if schema else None,
        json_schema=schema,
    )


def test_openai_cost_matches_hand_calculation_from_the_table() -> None:
    """gpt-4o-mini: uncached input, cached input and output each at genai-prices' own rate."""
    rates = _table_rates("openai", "gpt-4o-mini")
    usage = Usage(input_tokens=12_000, cached_read_tokens=2_048, output_tokens=800)
    expected = (
        (12_000 - 2_048) * rates.input_mtok
        + 2_048 * rates.cache_read_mtok
        + 800 * rates.output_mtok
    ) / M
    result = _book().cost("openai", "gpt-4o-mini", usage)
    assert result.source == "price_table" and result.anomaly is None
    assert result.usd == quantize_usd(expected)
    assert result.usd == Decimal("0.002126400")  # 9,952 × 0.15 + 2,048 × 0.075 + 800 × 0.6


def test_anthropic_cost_prices_cache_reads_and_writes_at_their_rates() -> None:
    """claude-3-5-haiku: cache writes at the write rate, reads at the read rate, rest at input."""
    rates = _table_rates("anthropic", "claude-3-5-haiku-latest")
    usage = Usage(
        input_tokens=5_000, cached_read_tokens=1_000, cache_write_tokens=1_500, output_tokens=400
    )
    expected = (
        2_500 * rates.input_mtok
        + 1_000 * rates.cache_read_mtok
        + 1_500 * rates.cache_write_mtok
        + 400 * rates.output_mtok
    ) / M
    result = _book().cost("anthropic", "claude-3-5-haiku-latest", usage)
    assert result.usd == quantize_usd(expected) and result.source == "price_table"


def test_cached_tokens_cost_the_cached_rate_not_the_input_rate() -> None:
    """Moving 1,000 input tokens into the cache lowers the cost by exactly the rate difference."""
    book = _book()
    rates = book.price_for("openai", "gpt-4o")
    assert rates is not None and rates.cached_read_per_mtok is not None
    plain = book.cost("openai", "gpt-4o", Usage(input_tokens=3_000, output_tokens=10)).usd
    cached = book.cost(
        "openai", "gpt-4o", Usage(input_tokens=3_000, cached_read_tokens=1_000, output_tokens=10)
    ).usd
    assert plain - cached == 1_000 * (rates.input_per_mtok - rates.cached_read_per_mtok) / M


def test_reasoning_tokens_are_not_counted_twice() -> None:
    """Reasoning tokens are part of the output count: reporting them does not change the cost."""
    book = _book()
    without = book.cost("openai", "o3-mini", Usage(input_tokens=1_000, output_tokens=2_000))
    with_reasoning = book.cost(
        "openai", "o3-mini", Usage(input_tokens=1_000, output_tokens=2_000, reasoning_tokens=1_500)
    )
    assert with_reasoning.usd == without.usd and with_reasoning.anomaly is None


@settings(max_examples=150, deadline=None)
@given(
    route=st.sampled_from(
        [
            ("openai", "gpt-4o-mini"),
            ("openai", "o3"),
            ("anthropic", "claude-3-5-haiku-latest"),
            ("anthropic", "claude-sonnet-4-5"),
            ("openrouter", "anthropic/claude-sonnet-4.5"),
            ("openrouter", "google/gemini-2.5-pro"),
            ("openrouter", "perplexity/sonar-deep-research"),
        ]
    ),
    input_tokens=st.integers(1, 400_000),
    output_tokens=st.integers(1, 20_000),
    cached=st.floats(0, 1),
    written=st.floats(0, 1),
    reasoning=st.floats(0, 1),
)
def test_cost_agrees_with_genai_prices_own_calculation(
    route: tuple[str, str],
    input_tokens: int,
    output_tokens: int,
    cached: float,
    written: float,
    reasoning: float,
) -> None:
    """For any usage, tiers and cache splits included, the cost equals genai-prices' calc_price."""
    service, model = route
    read = int(input_tokens * cached)
    write = int((input_tokens - read) * written)
    think = int(output_tokens * reasoning)
    usage = Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_read_tokens=read,
        cache_write_tokens=write,
        reasoning_tokens=think,
    )
    reference = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=read,
            cache_write_tokens=write,
            output_reasoning_tokens=think,
        ),
        model,
        provider_id=service,
        genai_request_timestamp=NOW,
    )
    assert _book().cost(service, model, usage).usd == quantize_usd(reference.total_price)


def test_dated_prices_follow_the_call_date() -> None:
    """o3 cost $10/M input before its 2025-06-10 price cut and $2/M after: the book knows both."""
    usage = Usage(input_tokens=1_000_000)
    before = PriceBook(now=lambda: datetime(2025, 6, 1, tzinfo=UTC)).cost("openai", "o3", usage)
    after = PriceBook(now=lambda: datetime(2025, 6, 11, tzinfo=UTC)).cost("openai", "o3", usage)
    assert (before.usd, after.usd) == (Decimal(10), Decimal(2))


def test_provider_reported_cost_is_preferred() -> None:
    """OpenRouter's usage.cost wins over the table, rounded up to the nano-dollar."""
    result = _book().cost(
        "openrouter",
        "openai/gpt-4o-mini",
        Usage(input_tokens=1_000, output_tokens=100),
        Decimal("0.00012345678912"),
    )
    assert result.source == "provider" and result.anomaly is None
    assert result.usd == Decimal("0.000123457")


def test_priced_model_reporting_zero_cost_is_an_anomaly_and_charged_from_the_table() -> None:
    """A $0 report for a paid model is never taken at its word: table cost plus an event."""
    events: list[GuardEvent] = []
    book = _book(on_event=events.append)
    usage = Usage(input_tokens=1_000, output_tokens=100)
    result = book.cost("openrouter", "openai/gpt-4o-mini", usage, Decimal(0))
    assert result.source == "price_table"
    assert result.usd == book.cost("openrouter", "openai/gpt-4o-mini", usage).usd > 0
    assert result.anomaly is not None and "reported $0" in result.anomaly
    (event,) = events
    assert event.kind == "pricing_anomaly" and event.subject == "openrouter:openai/gpt-4o-mini"


def test_priced_call_without_usage_is_charged_its_reservation() -> None:
    """A successful paid call that reports no tokens costs its reservation, with an anomaly."""
    events: list[GuardEvent] = []
    result = _book(on_event=events.append).cost(
        "openai", "gpt-4o-mini", Usage(), reserved_usd=Decimal("0.0012")
    )
    assert result.usd == Decimal("0.0012") and result.anomaly is not None
    assert "no usage" in result.anomaly and len(events) == 1


def test_local_models_are_free_without_anomaly() -> None:
    """ollama costs $0 whatever it reports, and a free call raises no anomaly event."""
    events: list[GuardEvent] = []
    book = _book(on_event=events.append)
    for usage in (Usage(), Usage(input_tokens=5_000, output_tokens=700)):
        result = book.cost("ollama", "llama3.1", usage)
        assert (result.usd, result.source, result.anomaly) == (Decimal(0), "free", None)
    assert book.worst_case_usd("ollama", "llama3.1", _request("x" * 10_000)) == 0
    assert events == []


def test_openrouter_free_variant_is_free() -> None:
    """A ``:free`` OpenRouter model is listed at no price: free, not unknown."""
    book = _book()
    assert book.price_for("openrouter", "meta-llama/llama-3.3-70b-instruct:free") == FREE
    result = book.cost("openrouter", "meta-llama/llama-3.3-70b-instruct:free", Usage(), Decimal(0))
    assert (result.usd, result.anomaly) == (Decimal(0), None)


def test_overrides_beat_the_table_and_the_most_specific_pattern_wins() -> None:
    """Exact keys beat patterns, longer patterns beat shorter ones, both beat genai-prices."""
    custom = ModelPrice(input_per_mtok=Decimal(1), output_per_mtok=Decimal(2))
    cheap = ModelPrice(input_per_mtok=Decimal("0.1"), output_per_mtok=Decimal("0.2"))
    book = _book(
        overrides={
            "openai:gpt-4o-mini": custom,
            "compatible:*": FREE,
            "compatible:qwen-*": cheap,
        }
    )
    assert book.price_for("openai", "gpt-4o-mini") == custom
    assert book.price_for("compatible", "qwen-2.5") == cheap
    assert book.price_for("compatible", "llama") == FREE
    result = book.cost(
        "openai", "gpt-4o-mini", Usage(input_tokens=1_000_000, output_tokens=500_000)
    )
    assert (result.usd, result.source) == (Decimal(2), "override")


def test_override_prices_parse_from_settings_text() -> None:
    """Prices given as strings in settings become exact Decimals; negative ones are refused."""
    price = ModelPrice.model_validate({"input_per_mtok": "0.25", "cache_write_per_mtok": "0.3"})
    assert price.input_per_mtok == Decimal("0.25") and price.cache_write_per_mtok == Decimal("0.3")
    with pytest.raises(ValueError, match="input_per_mtok"):
        ModelPrice.model_validate({"input_per_mtok": "-1"})


def test_unknown_model_has_no_price_and_refuses_a_reservation() -> None:
    """An unknown paid model cannot be reserved for: PriceUnknown degrades the stage and names the fix."""
    book = _book()
    assert book.price_for("compatible", "my-model") is None
    assert book.price_for("openai", "gpt-nonexistent") is None
    with pytest.raises(PriceUnknown) as caught:
        book.worst_case_usd("compatible", "my-model", _request("hi"))
    assert isinstance(caught.value, StrategyUnavailable)
    assert "JOBINTEL_PRICES" in str(caught.value) and "compatible:my-model" in str(caught.value)
    problems = book.problems([ModelRef.parse("compatible:my-model"), ModelRef.parse("ollama:x")])
    assert [name for name, _ in problems] == ["JOBINTEL_PRICES"]


def test_unpriced_call_is_charged_its_reservation_with_an_anomaly() -> None:
    """A call to an unknown model that got through anyway costs its reservation, flagged."""
    result = _book().cost(
        "compatible", "my-model", Usage(input_tokens=10), reserved_usd=Decimal("0.5")
    )
    assert (result.usd, result.source) == (Decimal("0.5"), "unpriced") and result.anomaly


def test_sub_counts_above_totals_are_counted_on_top_and_flagged() -> None:
    """Cache tokens reported outside the input total are added to it, never dropped."""
    book = _book()
    odd = book.cost(
        "anthropic", "claude-3-5-haiku-latest", Usage(input_tokens=100, cached_read_tokens=900)
    )
    fixed = book.cost(
        "anthropic", "claude-3-5-haiku-latest", Usage(input_tokens=1_000, cached_read_tokens=900)
    )
    assert odd.usd == fixed.usd and odd.anomaly and "exceed" in odd.anomaly


def test_firecrawl_is_priced_per_credit_by_default() -> None:
    """FireCrawl costs its documented per-credit default; search worst case is 2 per 10 results + 1 per result."""
    book = _book()
    assert worst_case_credits(SearchRequest(query="acme", limit=5)) == 7
    assert worst_case_credits(SearchRequest(query="acme", limit=11)) == 15
    assert worst_case_credits(ScrapeRequest(url="https://acme.example")) == 1
    assert (
        book.worst_case_usd("firecrawl", None, SearchRequest(query="acme", limit=5))
        == 7 * FIRECRAWL_USD_PER_CREDIT
    )
    result = book.cost("firecrawl", None, Usage(credits=3))
    assert (result.usd, result.source) == (3 * FIRECRAWL_USD_PER_CREDIT, "override")
    assert book.worst_case_usd("http", None, ScrapeRequest(url="https://acme.example")) == 0


def test_per_call_prices_count_once_per_call() -> None:
    """A service priced per call costs that price per call, in the worst case and the actual."""
    book = _book(overrides={"search:*": ModelPrice(per_call_usd=Decimal("0.005"))})
    request = SearchRequest(query="acme", limit=10)
    assert book.worst_case_usd("search", None, request) == Decimal("0.005")
    result = book.cost("search", None, Usage())
    assert result.usd == Decimal("0.005") and result.anomaly is None


_ROUTES = [
    ("openai", "gpt-4o-mini"),
    ("openai", "o3"),
    ("anthropic", "claude-3-5-haiku-latest"),
    ("anthropic", "claude-sonnet-4-5"),
    ("openrouter", "perplexity/sonar-deep-research"),
    ("compatible", "writes-cost-more"),
]
_OVERRIDES = {
    "compatible:writes-cost-more": ModelPrice(
        input_per_mtok=Decimal(1), output_per_mtok=Decimal(4), cache_write_per_mtok=Decimal(3)
    )
}


@settings(max_examples=300, deadline=None)
@given(
    route=st.sampled_from(_ROUTES),
    texts=st.lists(st.text(max_size=400), min_size=1, max_size=4),
    schema=st.none() | st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=4),
    max_tokens=st.integers(1, 16_384),
    data=st.data(),
)
def test_worst_case_covers_every_usage_within_the_bounds(
    route: tuple[str, str],
    texts: list[str],
    schema: dict[str, object] | None,
    max_tokens: int,
    data: st.DataObject,
) -> None:
    """Any usage with input <= the byte bound and output <= max_tokens costs at most the worst case."""
    service, model = route
    request = ChatRequest(
        model=model,
        messages=tuple(Message(role="user", content=t) for t in texts),
        max_tokens=max_tokens,
        json_schema=schema,
        schema_name="s" if schema is not None else None,
    )
    bound = input_token_bound(request)
    text_bytes = sum(len(t.encode("utf-8")) for t in texts)
    assert bound >= text_bytes
    input_tokens = data.draw(st.integers(0, bound))
    read = data.draw(st.integers(0, input_tokens))
    write = data.draw(st.integers(0, input_tokens - read))
    output_tokens = data.draw(st.integers(0, max_tokens))
    usage = Usage(
        input_tokens=input_tokens,
        cached_read_tokens=read,
        cache_write_tokens=write,
        output_tokens=output_tokens,
        reasoning_tokens=data.draw(st.integers(0, output_tokens)),
    )
    book = _book(overrides=_OVERRIDES)
    worst = book.worst_case_usd(service, model, request)
    assert book.cost(service, model, usage, reserved_usd=worst).usd <= worst


def test_worst_case_reaches_the_long_context_tier() -> None:
    """A request long enough for Sonnet's >200k-token tier reserves at that tier's higher rate."""
    book = _book()
    request = _request("x" * 250_000, max_tokens=1_000)
    worst = book.worst_case_usd("anthropic", "claude-sonnet-4-5", request)
    actual = book.cost(
        "anthropic", "claude-sonnet-4-5", Usage(input_tokens=250_000, output_tokens=1_000)
    )
    base = book.price_for("anthropic", "claude-sonnet-4-5")
    assert base is not None
    at_base_rates = (
        input_token_bound(request) * base.max_input_per_mtok + 1_000 * base.output_per_mtok
    ) / M
    assert actual.usd <= worst and worst > at_base_rates


def test_limiter_estimate_matches_the_simulator_and_stays_below_the_bound() -> None:
    """estimate_tokens counts input as the simulator does, plus max_tokens; the bound is larger."""
    schema = {"type": "object", "properties": {"title": {"type": "string"}}}
    request = _request("Senior platform engineer – Zürich. " * 40, max_tokens=900, schema=schema)
    as_dicts = [{"role": m.role, "content": m.content} for m in request.messages]
    assert estimate_input_tokens(request) == prompt_tokens(as_dicts, schema)
    assert estimate_tokens(request) == estimate_input_tokens(request) + 900
    assert estimate_input_tokens(request) < input_token_bound(request)


def test_prices_stay_pinned_when_genai_prices_auto_update_swaps_its_snapshot() -> None:
    """The book reads its own copy of the bundled data, not the library's replaceable global one."""
    book = PriceBook(now=lambda: NOW)
    set_custom_snapshot(DataSnapshot(providers=[], from_auto_update=True))
    try:
        with pytest.raises(LookupError):
            genai_prices.calc_price(
                genai_prices.Usage(input_tokens=1), "gpt-4o-mini", provider_id="openai"
            )
        assert book.price_for("openai", "gpt-4o-mini") is not None
        assert (
            PriceBook(now=lambda: NOW).cost("openai", "gpt-4o-mini", Usage(input_tokens=10)).usd > 0
        )
    finally:
        set_custom_snapshot(None)
