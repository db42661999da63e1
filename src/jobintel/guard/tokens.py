"""Token and credit counts: bounds and estimates for a request, and normalised usage after it.

``input_token_bound`` never undercounts (budget reservations rely on it); the
``estimate_*`` functions are typical figures for rate limiters, refunded to the actual
usage afterwards, and may be below the real count.
"""

from __future__ import annotations

import json
import math

from jobintel.providers.base import ChatRequest, ScrapeRequest, SearchRequest, Usage

__all__ = [
    "MESSAGE_OVERHEAD_TOKENS",
    "REQUEST_OVERHEAD_TOKENS",
    "SCHEMA_OVERHEAD_TOKENS",
    "estimate_input_tokens",
    "estimate_tokens",
    "input_token_bound",
    "normalise_usage",
    "worst_case_credits",
]

# Bytes bound the tokens of the text itself (a BPE token covers at least one byte); what
# a provider adds around the text is bounded by these allowances: role markers and
# separators per message (and SentencePiece's dummy-prefix token), reply priming per
# request, and the wrapper around a JSON schema (Anthropic documents at most 346 tokens
# for its tool-use system prompt).
MESSAGE_OVERHEAD_TOKENS = 8
REQUEST_OVERHEAD_TOKENS = 16
SCHEMA_OVERHEAD_TOKENS = 512


def input_token_bound(request: ChatRequest) -> int:
    """An upper bound on a request's input tokens: UTF-8 bytes plus fixed allowances."""
    text = sum(len(m.content.encode("utf-8")) + len(m.role) for m in request.messages)
    schema = 0
    if request.json_schema is not None:
        # Default separators and ASCII escapes: the longest way a client serialises it.
        schema = len(json.dumps(request.json_schema).encode("utf-8")) + SCHEMA_OVERHEAD_TOKENS
        schema += len((request.schema_name or "").encode("utf-8"))
    overhead = REQUEST_OVERHEAD_TOKENS + MESSAGE_OVERHEAD_TOKENS * len(request.messages)
    return text + schema + overhead


def estimate_input_tokens(request: ChatRequest) -> int:
    """Typical input tokens, ceil(UTF-8 bytes / 4) per message and schema: NOT a bound.

    This is how the simulator counts, and close to real tokenizers on English prose.
    """
    text = sum(math.ceil(len(m.content.encode("utf-8")) / 4) for m in request.messages)
    schema = 0
    if request.json_schema is not None:
        compact = json.dumps(request.json_schema, separators=(",", ":"), sort_keys=True)
        schema = math.ceil(len(compact.encode("utf-8")) / 4)
    return text + schema


def estimate_tokens(request: ChatRequest) -> int:
    """Tokens to reserve in a tokens-per-minute limiter: estimated input plus ``max_tokens``.

    Providers admit a request against their TPM limit counting ``max_tokens`` in full;
    the limiter then refunds down to the actual usage.
    """
    return estimate_input_tokens(request) + request.max_tokens


def worst_case_credits(request: SearchRequest | ScrapeRequest) -> int:
    """The most credits a research call can use, at FireCrawl's published rates.

    A search costs 2 credits per 10 results (rounded up) plus 1 per scraped result; a
    scrape costs 1 per page. PDF parsing adds a credit per PDF page, which no request
    can bound: the actual figure then exceeds the reservation and settles to it.
    """
    if isinstance(request, SearchRequest):
        limit = max(request.limit, 0)
        return 2 * math.ceil(limit / 10) + limit
    return 1


def normalise_usage(usage: Usage) -> tuple[Usage, str | None]:
    """Usage whose sub-counts fit inside their totals, and what was wrong if they did not.

    Sub-counts above their total mean the provider counted them separately (Anthropic's
    API reports cache tokens that way), so they are added to the total rather than cut:
    that prices the call higher, never lower.
    """
    problems = []
    input_tokens, output_tokens = usage.input_tokens, usage.output_tokens
    cached = usage.cached_read_tokens + usage.cache_write_tokens
    if cached > input_tokens:
        problems.append(f"cache tokens {cached} exceed input tokens {input_tokens}")
        input_tokens += cached
    if usage.reasoning_tokens > output_tokens:
        problems.append(f"reasoning tokens {usage.reasoning_tokens} exceed output {output_tokens}")
        output_tokens += usage.reasoning_tokens
    if not problems:
        return usage, None
    fixed = Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_read_tokens=usage.cached_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        credits=usage.credits,
    )
    return fixed, "; ".join(problems) + " (counted on top)"
