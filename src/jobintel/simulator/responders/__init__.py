"""Answers the simulator gives, keyed by the structured-output schema name a request asks for.

Each stage's prompt names its schema (``schema_name`` = the prompt's ``name``); a module in
this package registers a responder for it with ``@responder("extract")``. Modules here are
discovered automatically, so adding a stage's responder touches no other file. A request
whose schema has no responder gets a generic instance of its JSON schema.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_DATA = re.compile(r"<data>\s*(.*?)\s*</data>", re.DOTALL)
REPAIR_MARKER = "does not match the required JSON schema"


@dataclass(frozen=True, kw_only=True)
class ResponderInput:
    """What a responder sees of one chat request."""

    schema_name: str | None
    json_schema: dict[str, Any] | None
    messages: tuple[dict[str, str], ...]
    #: The JSON document inside the last ``<data>`` block of the conversation, if any.
    data: Any

    @property
    def is_repair(self) -> bool:
        """True when the last user message asks to repair an invalid answer."""
        users = [m for m in self.messages if m.get("role") == "user"]
        return bool(users) and REPAIR_MARKER in users[-1].get("content", "")


Responder = Callable[[ResponderInput], Any]
_REGISTRY: dict[str, Responder] = {}
_loaded = False


def responder(name: str) -> Callable[[Responder], Responder]:
    """Register the decorated function as the answer to schema ``name``."""

    def register(fn: Responder) -> Responder:
        _REGISTRY[name] = fn
        return fn

    return register


def extract_data(messages: tuple[dict[str, str], ...]) -> Any:
    for message in reversed(messages):
        match = _DATA.search(message.get("content", ""))
        if match:
            try:
                return json.loads(match.group(1))
            except ValueError:
                return None
    return None


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True


def find_responder(schema_name: str | None) -> Responder | None:
    _load_all()
    return _REGISTRY.get(schema_name or "")


def registered() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)
