"""What the simulated model says: a stage responder's answer, a schema instance, or prose."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from jobintel.simulator.responders import (
    ResponderInput,
    extract_data,
    find_responder,
    registered,
)
from jobintel.simulator.schema_instance import schema_instance
from jobintel.simulator.tokens import count_tokens

log = logging.getLogger(__name__)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MAX_TEXTS = 40


class ResponderFailed(Exception):
    """A stage responder raised: a bug in the simulator's answers, reported as a 500."""


@dataclass(frozen=True, kw_only=True)
class ChatCall:
    """One chat request, whichever wire format it came in."""

    model: str
    messages: tuple[dict[str, str], ...]
    max_tokens: int
    schema_name: str | None = None
    json_schema: dict[str, Any] | None = None
    stream: bool = False
    #: Wire-specific options (e.g. OpenAI's ``include_usage``).
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Reply:
    """The answer text, its JSON value when structured, and why it ended."""

    text: str
    value: Any
    finish: Literal["stop", "length"]
    structured: bool


#: What the simulated model says when a ``refusal`` fault makes it decline the task.
REFUSAL = "I'm sorry, but I can't help with that request."


def compose(call: ChatCall, *, invalid: bool, enforce_max_tokens: bool) -> Reply:
    """The model's reply to ``call``; ``invalid`` breaks it so it fails the schema."""
    structured = call.json_schema is not None or call.schema_name is not None
    value: Any = None
    if structured:
        value = _structured_value(call)
        if invalid:
            value = _break(value, call.json_schema or {})
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = "" if invalid else _prose(call)
    if enforce_max_tokens and count_tokens(text) > call.max_tokens:
        cut = text.encode("utf-8")[: call.max_tokens * 4].decode("utf-8", errors="ignore")
        return Reply(text=cut, value=None, finish="length", structured=structured)
    return Reply(text=text, value=value, finish="stop", structured=structured)


def preload_responders() -> None:
    """Import the stage responders now, so the first request is not slowed by imports."""
    try:
        registered()
    except Exception:
        # Reported on the first request that needs a responder, as a 500 naming it.
        log.exception("cannot load the simulator's stage responders")


def _structured_value(call: ChatCall) -> Any:
    request = ResponderInput(
        schema_name=call.schema_name,
        json_schema=call.json_schema,
        messages=call.messages,
        data=extract_data(call.messages),
    )
    try:
        responder = find_responder(call.schema_name)
    except Exception as exc:
        raise ResponderFailed(
            f"simulator responders cannot be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    if responder is None:
        return schema_instance(
            call.json_schema or {"type": "object"},
            texts=list(_texts(request)),
            seed=_digest(call),
        )
    try:
        value = responder(request)
    except Exception as exc:
        raise ResponderFailed(
            f"simulator responder for schema {call.schema_name!r} failed: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _break(value: Any, schema: Mapping[str, Any]) -> Any:
    """A value the schema rejects: required fields dropped, or the wrong type."""
    required = schema.get("required") or []
    if isinstance(value, dict) and required:
        return {k: v for k, v in value.items() if k not in required}
    return "not the requested JSON object" if schema.get("type") != "string" else 42


def _texts(request: ResponderInput) -> Iterator[str]:
    """Strings to answer with: the request's data values, else its last user sentences."""
    found = 0
    for text in _string_leaves(request.data):
        if 3 <= len(text) <= 300 and found < _MAX_TEXTS:
            found += 1
            yield text
    if found:
        return
    users = [m["content"] for m in request.messages if m.get("role") == "user"]
    if users:
        yield from [s for s in _SENTENCE.split(users[-1]) if s.strip()][:_MAX_TEXTS]


def _string_leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _string_leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _string_leaves(item)


def _prose(call: ChatCall) -> str:
    users = [m["content"] for m in call.messages if m.get("role") == "user"]
    topic = " ".join((users[-1] if users else "").split())[:120]
    return f"Simulated answer from {call.model}: {topic}" if topic else "Simulated answer."


def _digest(call: ChatCall) -> int:
    blob = json.dumps([call.schema_name, call.messages], sort_keys=True).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")
