"""CSRF helpers on real Starlette requests: token matching and the login form's origin check."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from jobintel.service.auth.csrf import csrf_matches, same_origin


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/login", "headers": raw})


@pytest.mark.parametrize(
    ("expected", "given", "ok"),
    [
        ("abc", "abc", True),
        ("abc", "abd", False),
        ("abc", None, False),
        ("abc", "", False),
        (None, None, False),
        ("", "", False),  # a session without a token never matches
        ("abc", "ab\u00e9", False),  # non-ASCII input is a mismatch, not a TypeError
    ],
)
def test_csrf_matches(expected: str | None, given: str | None, ok: bool) -> None:
    """Only the exact, non-empty session token matches."""
    assert csrf_matches(expected, given) is ok


@pytest.mark.parametrize(
    ("headers", "ok"),
    [
        ({"host": "jobs.example.org"}, True),
        ({"host": "jobs.example.org", "origin": "https://jobs.example.org"}, True),
        ({"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"}, True),
        ({"host": "jobs.example.org", "origin": "https://evil.example"}, False),
        ({"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:9999"}, False),
        ({"host": "jobs.example.org", "origin": "null"}, False),
    ],
)
def test_same_origin_refuses_cross_site_forms(headers: dict[str, str], ok: bool) -> None:
    """A POST whose Origin names another site is refused; no Origin (non-browser) passes."""
    assert same_origin(_request(headers)) is ok
