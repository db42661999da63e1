"""Put untrusted text into Markdown so it reads as itself and cannot change the structure."""

from __future__ import annotations

import re

from jobintel.render.view import safe_url

_SPACE = re.compile(r"\s+")
# Markers that would turn the start of a line into a heading, quote, list, rule or fence.
_BLOCK_START = re.compile(r"^(?:[#>+\-*=_~`]|\d{1,9}(?=[.)](?:\s|$)))")
_INLINE_SPECIAL = re.compile(r"[\\\[\]`]")
# Characters that would end or escape a Markdown link destination.
_URL_UNSAFE = str.maketrans({"(": "%28", ")": "%29", "<": "%3C", ">": "%3E", "\\": "%5C"})


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) collapsed to one space."""
    return _SPACE.sub(" ", text).strip()


def inline(text: str) -> str:
    """``text`` as literal Markdown: one line, no links, HTML or block markers from the text.

    ``<`` becomes ``&lt;`` (no raw HTML or autolinks), backslashes, brackets and backticks
    are escaped, and a leading block marker (``#``, ``>``, ``-``, ``1.``…) is escaped.
    Emphasis characters are left alone: they only change the look, never the structure.
    """
    flat = _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(0), one_line(text))
    flat = flat.replace("<", "&lt;")
    m = _BLOCK_START.match(flat)
    if m is None:
        return flat
    if m.group(0)[0].isdigit():  # "1. foo" is an ordered list: escape the dot instead
        end = m.end()
        return flat[:end] + "\\" + flat[end:]
    return "\\" + flat


def cell(text: str) -> str:
    """``text`` for one table cell: ``inline`` plus escaped pipes; "—" when empty."""
    value = inline(text).replace("|", "\\|")
    return value or "—"


def blockquote(text: str, indent: str = "") -> str:
    """``text`` as a one-paragraph block quote, each line prefixed by ``indent``."""
    return f"{indent}> {inline(text)}"


def link(text: str, url: str) -> str:
    """A Markdown link when ``url`` is http(s); otherwise the escaped text and URL, unlinked."""
    target = safe_url(url)
    shown = inline(text) or inline(url)
    if target is None:
        return (
            shown if not url.strip() or text.strip() == url.strip() else f"{shown} ({inline(url)})"
        )
    escaped = target.translate(_URL_UNSAFE)
    return f"[{shown}]({escaped})"


def bullets(items: tuple[str, ...] | list[str], empty: str = "_None listed._") -> list[str]:
    """A bullet list of ``items`` (escaped), or the ``empty`` note when there are none."""
    return [f"- {inline(item)}" for item in items if item.strip()] or [empty]
