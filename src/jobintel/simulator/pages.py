"""Synthetic, deterministic web pages about a company, for the simulated FireCrawl.

Every page is made from a hash of the company name, so the same query or URL always
gives the same text; URLs live under ``example.com`` so nothing real is implied, and the
metadata says ``simulated: true``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

TOPICS = ("funding", "product-launch", "hiring", "leadership", "about")
_QUERY_NOISE = frozenset(
    """news latest recent funding raised raises round series hiring hires jobs careers
    product products launch launches launched release press leadership ceo cto about company
    engineering blog update updates announcement announces and or the of for in at on with
    inc inc. ltd llc gmbh corp what who why is are""".split()  # noqa: SIM905 - a word list reads best as prose
)
_INVESTORS = ("Northstar Ventures", "Harbor Capital", "Bluefield Partners", "Summit Growth")
_ROUNDS = ("Seed", "Series A", "Series B", "Series C")
_AMOUNTS = (8, 12, 18, 25, 40, 60)
_PRODUCTS = ("Pulse", "Atlas", "Beacon", "Forge", "Relay", "Compass")
_FIRST = ("Maya", "Daniel", "Priya", "Jonas", "Elena", "Samuel")
_LAST = ("Okafor", "Lindqvist", "Raman", "Castillo", "Weber", "Nakamura")


@dataclass(frozen=True, kw_only=True)
class SyntheticPage:
    url: str
    title: str
    description: str
    markdown: str


def company_from_query(query: str) -> str:
    """The company a search is about: a quoted name, else the query minus search words."""
    quoted = re.search(r'"([^"]+)"', query)
    if quoted:
        return quoted.group(1).strip()
    words = [
        w
        for w in re.findall(r"[\w&.'-]+", query)
        if w.lower() not in _QUERY_NOISE and not w.isdigit() and not w.startswith("site:")
    ]
    return " ".join(w if w[:1].isupper() else w.capitalize() for w in words) or "Example Corp"


def company_from_url(url: str) -> str:
    """The company a URL belongs to: its site's name, e.g. acme-robotics.example.com."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    labels = host.split(".")
    if host.endswith(".example.com") and len(labels) > 2:
        name = labels[0]
    else:
        name = labels[-2] if len(labels) >= 2 else labels[0]
    return " ".join(part.capitalize() for part in re.split(r"[-_]+", name) if part) or "Example"


def topic_from_url(url: str) -> str:
    path = urlsplit(url).path.lower()
    return next((t for t in TOPICS if t in path), "about")


def page_url(company: str, topic: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", company.lower()).strip("-") or "example"
    return f"https://{slug}.example.com/news/{topic}"


def search_pages(query: str, limit: int) -> list[SyntheticPage]:
    """Up to ``limit`` pages for ``query``; topics the query names come first."""
    company = company_from_query(query)
    lowered = query.lower()
    ordered = sorted(TOPICS, key=lambda t: t.split("-")[0] not in lowered)
    return [make_page(company, topic) for topic in ordered[: max(0, min(limit, len(TOPICS)))]]


def make_page(company: str, topic: str) -> SyntheticPage:
    """The synthetic page about ``company`` on ``topic`` (one of ``TOPICS``)."""
    h = int.from_bytes(hashlib.sha256(company.lower().encode()).digest()[:8], "big")
    dates = {
        t: (date(2026, 1, 6) + timedelta(days=(h >> (i * 5)) % 150)).isoformat()
        for i, t in enumerate(TOPICS)
    }
    when = dates[topic]
    ceo = f"{_FIRST[h % 6]} {_LAST[(h // 6) % 6]}"
    product = f"{company.split()[0]} {_PRODUCTS[(h // 36) % 6]}"
    amount, round_ = _AMOUNTS[(h // 7) % 6], _ROUNDS[(h // 11) % 4]
    investor = _INVESTORS[(h // 13) % 4]
    hires = 10 + (h // 17) % 40
    title, body = {
        "funding": (
            f"{company} raises ${amount}M {round_} led by {investor}",
            f"On {when}, {company} announced a ${amount}M {round_} round led by {investor}. "
            f"The company says the money will fund platform reliability work and expansion "
            f"of its engineering organisation.",
        ),
        "product-launch": (
            f"{company} launches {product}",
            f"{company} launched {product} on {when}, a product aimed at teams that need "
            f"faster, more reliable data workflows. Early customers report shorter release "
            f"cycles.",
        ),
        "hiring": (
            f"{company} plans to hire {hires} engineers",
            f"As of {when}, {company} is hiring {hires} engineers across platform, data and "
            f"product teams, and is building out engineering leadership to support growth.",
        ),
        "leadership": (
            f"{ceo}, CEO of {company}, on the year ahead",
            f'In an interview published {when}, {ceo}, CEO of {company}, said: "Our '
            f"priority this year is scaling the platform without slowing down the teams "
            f'who build on it."',
        ),
        "about": (
            f"About {company}",
            f"{company} builds software products for modern operations teams. It is led by "
            f"CEO {ceo} and last raised a {round_} round on {dates['funding']}.",
        ),
    }[topic]
    markdown = f"# {title}\n\n_{when}_\n\n{body}\n"
    description = body if len(body) <= 160 else body[:160].rsplit(" ", 1)[0] + "…"
    return SyntheticPage(
        url=page_url(company, topic), title=title, description=description, markdown=markdown
    )
