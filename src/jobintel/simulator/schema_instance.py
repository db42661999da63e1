"""A plausible value that satisfies a JSON schema: the answer when no responder knows it.

Covers the subset pydantic emits for small flat models: objects with properties and
required, arrays (items, minItems, maxItems, uniqueItems), enum, const, anyOf/oneOf (with
null), allOf, ``$ref`` into ``$defs``, integer/number bounds, string length and common
formats, booleans, null and defaults. Strings are drawn from ``texts`` (the request's own
text) so answers look like they are about the input.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping, Sequence
from typing import Any

_MAX_DEPTH = 6
_FALLBACK_TEXTS = ("simulated answer", "plausible detail", "another point")


def schema_instance(schema: Mapping[str, Any], *, texts: Sequence[str] = (), seed: int = 0) -> Any:
    """A value valid against ``schema``; deterministic for the same inputs."""
    return _Generator(schema, texts, seed).value(schema, 0)


class _Generator:
    def __init__(self, root: Mapping[str, Any], texts: Sequence[str], seed: int) -> None:
        self._root = root
        self._texts = [t for t in (" ".join(t.split()) for t in texts) if t] or list(
            _FALLBACK_TEXTS
        )
        self._rng = random.Random(seed)  # noqa: S311 - simulation, not security
        self._next_text = 0

    def value(self, node: Mapping[str, Any] | bool, depth: int) -> Any:
        if isinstance(node, bool) or not node:
            return self._string({}, depth)
        node = self._resolve(node)
        if "const" in node:
            return copy.deepcopy(node["const"])
        if "enum" in node:
            return copy.deepcopy(self._rng.choice(list(node["enum"])))
        options = node.get("anyOf") or node.get("oneOf")
        if options:
            return self.value(self._pick(options, depth), depth + 1)
        if depth > _MAX_DEPTH and "default" in node:
            return copy.deepcopy(node["default"])
        kind = node.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            nullable = len(kinds) < len(kind)
            if nullable and (depth > _MAX_DEPTH or not kinds):
                kind = "null"
            else:
                kind = kinds[0] if kinds else "string"
        if kind is None:
            kind = "object" if "properties" in node else "array" if "items" in node else "string"
        if kind == "boolean":
            return self._rng.random() < 0.5
        if kind == "null":
            return None
        maker = {
            "object": self._object,
            "array": self._array,
            "integer": self._integer,
            "number": self._number,
        }.get(kind, self._string)
        return maker(node, depth)

    def _resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        """Follow ``$ref`` and fold ``allOf`` into one node (siblings of ``$ref`` kept)."""
        seen = 0
        while "$ref" in node and seen < 32:
            target = self._pointer(str(node["$ref"]))
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            seen += 1
        if "allOf" in node:
            merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
            for part in node["allOf"]:
                part = self._resolve(part)
                props = {**merged.get("properties", {}), **part.get("properties", {})}
                required = [*merged.get("required", []), *part.get("required", [])]
                merged = {**part, **merged}
                if props:
                    merged["properties"] = props
                if required:
                    merged["required"] = list(dict.fromkeys(required))
            node = merged
        return node

    def _pointer(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#"):
            raise ValueError(f"schema $ref {ref!r} is not local: only #/... references work")
        node: Any = self._root
        for part in filter(None, ref[1:].split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node  # type: ignore[no-any-return]

    def _pick(self, options: Sequence[Any], depth: int) -> Any:
        def is_null(option: Any) -> bool:
            return isinstance(option, Mapping) and option.get("type") == "null"

        real = [o for o in options if not is_null(o)]
        if depth > _MAX_DEPTH and len(real) < len(options):
            return {"type": "null"}
        return real[0] if real else options[0]

    def _object(self, node: Mapping[str, Any], depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = node.get("properties", {})
        required = set(node.get("required", ()))
        result: dict[str, Any] = {}
        for name, sub in properties.items():
            if name in required or depth <= _MAX_DEPTH:
                result[name] = self.value(sub, depth + 1)
            elif isinstance(sub, Mapping) and "default" in sub:
                result[name] = copy.deepcopy(sub["default"])
        for name in sorted(required - set(result)):  # required but never described
            result[name] = self.value({}, depth + 1)
        return result

    def _array(self, node: Mapping[str, Any], depth: int) -> list[Any]:
        low = int(node.get("minItems", 0))
        high = int(node.get("maxItems", max(low, 3)))
        count = low if depth > _MAX_DEPTH else min(max(low, 2), high)
        prefix = list(node.get("prefixItems", ()))
        items = node.get("items", {})
        result: list[Any] = []
        attempts = 0
        while len(result) < count and attempts < count * 8 + 8:
            attempts += 1
            sub = prefix[len(result)] if len(result) < len(prefix) else items
            item = self.value(sub, depth + 1)
            if node.get("uniqueItems") and item in result:
                if isinstance(item, str):
                    item = f"{item} ({len(result) + 1})"
                if item in result:
                    continue
            result.append(item)
        return result

    def _string(self, node: Mapping[str, Any], depth: int) -> str:
        fmt = node.get("format")
        n = self._rng.randrange(1, 28)
        if fmt == "date":
            text = f"2026-{n % 12 + 1:02d}-{n:02d}"
        elif fmt == "date-time":
            text = f"2026-{n % 12 + 1:02d}-{n:02d}T09:{n:02d}:00Z"
        elif fmt in ("uri", "url"):
            text = f"https://example.com/simulated/{n}"
        elif fmt == "email":
            text = f"contact{n}@example.com"
        elif fmt == "uuid":
            text = "00000000-0000-4000-8000-" + f"{self._rng.getrandbits(48):012x}"
        else:
            text = self._texts[self._next_text % len(self._texts)]
            self._next_text += 1
        return _fit_length(text, int(node.get("minLength", 0)), node.get("maxLength"))

    def _integer(self, node: Mapping[str, Any], depth: int) -> int:
        low, high = _bounds(node, integer=True)
        return self._rng.randint(int(low), int(high))

    def _number(self, node: Mapping[str, Any], depth: int) -> float:
        low, high = _bounds(node, integer=False)
        value = round(self._rng.uniform(low, high), 2)
        return min(max(value, low), high)


def _bounds(node: Mapping[str, Any], *, integer: bool) -> tuple[float, float]:
    step = 1 if integer else 0.01
    low = node.get("minimum")
    if "exclusiveMinimum" in node:
        low = node["exclusiveMinimum"] + step
    high = node.get("maximum")
    if "exclusiveMaximum" in node:
        high = node["exclusiveMaximum"] - step
    if low is None:
        low = 0 if high is None or high >= 0 else high - 10
    if high is None:
        high = low + 100
    if integer:
        low, high = -(-low // 1), high // 1  # round inwards to whole numbers
    return float(low), float(max(low, high))


def _fit_length(text: str, low: int, high: Any) -> str:
    if isinstance(high, int) and len(text) > high:
        cut = text[:high]
        # Prefer a word boundary when one is reasonably close to the limit.
        space = cut.rfind(" ")
        text = cut[:space] if space > high // 2 else cut
    return text.ljust(low, "x")
