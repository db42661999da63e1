"""Tidying model-written text before it enters a stage output.

A model's answer is validated against its schema, but a valid string can still be empty,
run over several lines or be far longer than a dossier field should be. These helpers
bound it without rewriting it: one line, clipped at a word boundary, the first sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-Z0-9])")
ELLIPSIS = "…"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) folded to one space."""
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, marked with "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    return f"{cut.rstrip(' ,;:–—-')}{ELLIPSIS}"


def first_sentences(text: str, count: int, limit: int) -> str:
    """The first ``count`` sentences of ``text`` on one line, at most ``limit`` characters."""
    sentences = _SENTENCE_END.split(one_line(text))
    return clip(" ".join(sentences[:count]), limit)


def bounded_items(values: Iterable[str], *, limit: int, max_chars: int) -> tuple[str, ...]:
    """At most ``limit`` distinct one-line items; empty and over-long ones are dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        item = one_line(value).strip(" -•*;,")
        key = item.lower()
        if not item or len(item) > max_chars or key in seen:
            continue
        seen.add(key)
        out.append(item)
        if len(out) == limit:
            break
    return tuple(out)
