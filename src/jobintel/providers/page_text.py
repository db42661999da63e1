"""A fetched web page reduced to its title and main text."""

from __future__ import annotations

import html
import re

import trafilatura

__all__ = ["page_text"]

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_INVISIBLE = re.compile(
    r"<(script|style|noscript|template|svg|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK = re.compile(r"<(?:br|/p|/div|/li|/h[1-6]|/tr|/section|/article)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def page_text(markup: str, *, url: str, content_type: str) -> tuple[str, str]:
    """``(title, main text)`` of a page; plain text passes through unchanged."""
    if content_type == "text/plain":
        return "", markup.strip()
    title_match = _TITLE.search(markup)
    title = _squash(html.unescape(_TAG.sub("", title_match.group(1)))) if title_match else ""
    text = trafilatura.extract(markup, url=url, include_comments=False) or ""
    return title, text.strip() or _strip_tags(markup)


def _strip_tags(markup: str) -> str:
    """Visible text by brute force, for pages trafilatura finds no main content in."""
    text = _BLOCK.sub("\n", _INVISIBLE.sub(" ", markup))
    lines = (_squash(html.unescape(line)) for line in _TAG.sub(" ", text).splitlines())
    return "\n".join(line for line in lines if line)


def _squash(text: str) -> str:
    return " ".join(text.split())
