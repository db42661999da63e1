"""The generic answer: a value that validates against whatever JSON schema was asked for."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, create_model

from jobintel.models.stages import CompanyResearch, ExtractedJD, FitAssessment, PainPoints
from jobintel.pipeline.llm import compact_schema
from jobintel.simulator import schema_instance

# --- random pydantic models: the kind of small, flat schemas the stages send ------------

_LEAVES: list[tuple[Any, Any]] = [
    (str, Field()),
    (int, Field()),
    (float, Field()),
    (bool, Field()),
    (Literal["a", "b", "c"], Field()),
    (str, Field(max_length=12)),
    (str, Field(min_length=3, max_length=40)),
    (int, Field(ge=0, le=100)),
    (int, Field(gt=-5, lt=5)),
    (float, Field(ge=0.0, le=1.0)),
]


def _field(draw: st.DrawFn, depth: int) -> tuple[Any, Any]:
    """A (type, FieldInfo) pair: a leaf, a bounded list, an optional, or a nested model."""
    choice = draw(st.integers(0, 5 if depth < 2 else 2))
    if choice <= 2:
        return draw(st.sampled_from(_LEAVES))
    inner, _ = _field(draw, depth + 1)
    if choice == 3:
        low = draw(st.integers(0, 2))
        high = draw(st.integers(low, low + 3))
        return list[inner], Field(min_length=low, max_length=high)
    if choice == 4:
        return inner | None, Field(default=None) if draw(st.booleans()) else Field()
    return _model(draw, depth + 1), Field()


def _model(draw: st.DrawFn, depth: int) -> type[BaseModel]:
    names = draw(st.lists(st.sampled_from("abcdefghij"), min_size=1, max_size=5, unique=True))
    fields = {f"f_{name}": _field(draw, depth) for name in names}
    return create_model(f"M{depth}{''.join(names)}", **fields)  # type: ignore[call-overload,no-any-return]


@st.composite
def models(draw: st.DrawFn) -> type[BaseModel]:
    return _model(draw, 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), seed=st.integers(0, 2**32), compact=st.booleans())
def test_instances_of_random_models_validate(
    model: type[BaseModel], seed: int, compact: bool
) -> None:
    """For any small pydantic model, the generated instance passes the model's validation."""
    schema = compact_schema(model) if compact else model.model_json_schema()
    instance = schema_instance(schema, texts=["We need a platform lead.", "Kubernetes"], seed=seed)
    model.model_validate(instance)


@pytest.mark.parametrize("model", [ExtractedJD, PainPoints, CompanyResearch, FitAssessment])
def test_instances_of_stage_models_validate(model: type[BaseModel]) -> None:
    """The real stage output models ($defs, enums, nested lists) get valid instances."""
    instance = schema_instance(compact_schema(model), texts=["Owns the data platform."])
    model.model_validate(instance)


def test_instance_is_deterministic_and_drawn_from_the_texts() -> None:
    """Same schema, texts and seed give the same value, and strings come from the texts."""
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["summary", "tags"],
    }
    texts = ["Scale the payments platform.", "Hire two engineers."]
    first = schema_instance(schema, texts=texts, seed=7)
    assert first == schema_instance(schema, texts=texts, seed=7)
    assert first["summary"] in texts
    assert set(first["tags"]) <= set(texts)


def test_instance_respects_refs_nullable_const_and_bounds() -> None:
    """$ref into $defs, anyOf with null, const, uniqueItems, maxLength and bounds are honoured."""
    schema = {
        "$defs": {
            "Item": {
                "type": "object",
                "properties": {"n": {"type": "integer", "minimum": 3, "maximum": 3}},
                "required": ["n"],
            }
        },
        "type": "object",
        "properties": {
            "item": {"$ref": "#/$defs/Item"},
            "maybe": {"anyOf": [{"type": "string", "maxLength": 4}, {"type": "null"}]},
            "kind": {"const": "fixed"},
            "ids": {
                "type": "array",
                "items": {"enum": ["x", "y"]},
                "uniqueItems": True,
                "minItems": 2,
            },
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        },
        "required": ["item", "maybe", "kind", "ids", "ratio"],
    }
    value = schema_instance(schema, texts=["a long sentence that will be cut"])
    assert value["item"] == {"n": 3}
    assert value["maybe"] is None or len(value["maybe"]) <= 4
    assert value["kind"] == "fixed"
    assert sorted(value["ids"]) == ["x", "y"]
    assert 0 < value["ratio"] < 1
