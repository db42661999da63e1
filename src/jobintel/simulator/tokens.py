"""How the simulator counts tokens, and its prompt-prefix cache.

One heuristic for everything: a text is ``ceil(utf8_bytes / 4)`` tokens, close to what
BPE tokenizers give for English prose and JSON. Real providers differ by a few percent;
the point is that usage, limits and costs move together realistically.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

#: Prompt caching starts at this many prefix tokens and counts in blocks of this size.
CACHE_MIN_TOKENS = 1024
CACHE_BLOCK_TOKENS = 128
_CACHE_ENTRIES = 256


def count_tokens(text: str) -> int:
    """Tokens in ``text``: ceil(UTF-8 bytes / 4)."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def schema_tokens(schema: Mapping[str, Any] | None) -> int:
    """Tokens a JSON schema costs as input (its compact JSON text)."""
    if not schema:
        return 0
    return count_tokens(json.dumps(schema, separators=(",", ":"), sort_keys=True))


def prompt_tokens(messages: Sequence[Mapping[str, str]], schema: Mapping[str, Any] | None) -> int:
    """Input tokens of a request: every message's text plus the schema."""
    return sum(count_tokens(m.get("content", "")) for m in messages) + schema_tokens(schema)


class PromptCache:
    """Remembers recent prompts per model and reports how much of a new one is cached.

    Like the providers' automatic prefix caching: when a request's leading messages equal
    those of a recent request and add up to at least ``CACHE_MIN_TOKENS``, that prefix,
    rounded down to ``CACHE_BLOCK_TOKENS``, is reported as cached.
    """

    def __init__(self) -> None:
        self._recent: dict[str, deque[tuple[str, ...]]] = {}

    def lookup_and_store(self, model: str, messages: Sequence[Mapping[str, str]]) -> int:
        """Cached tokens for this request; the request is then remembered."""
        digests = _prefix_digests(messages)
        sizes = [count_tokens(m.get("content", "")) for m in messages]
        recent = self._recent.setdefault(model, deque(maxlen=_CACHE_ENTRIES))
        best = 0
        for seen in recent:
            shared = _shared_prefix(seen, digests)
            best = max(best, sum(sizes[:shared]))
        recent.append(digests)
        if best < CACHE_MIN_TOKENS:
            return 0
        return best // CACHE_BLOCK_TOKENS * CACHE_BLOCK_TOKENS

    def clear(self) -> None:
        self._recent.clear()


def _prefix_digests(messages: Sequence[Mapping[str, str]]) -> tuple[str, ...]:
    """One digest per leading-messages prefix, so equal digests mean equal prefixes."""
    running = hashlib.sha256()
    digests = []
    for message in messages:
        running.update(json.dumps([message.get("role"), message.get("content")]).encode())
        digests.append(running.copy().hexdigest())
    return tuple(digests)


def _shared_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    shared = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        shared += 1
    return shared
