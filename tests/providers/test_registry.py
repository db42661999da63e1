"""Model routing: provider:model routes per stage, defaults from keys, and config problems."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jobintel.errors import ConfigError
from jobintel.providers import ModelRef
from jobintel.providers.registry import check_routes, stage_route
from jobintel.settings import Settings, load_settings


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(data_dir=tmp_path, **overrides)


def test_no_model_and_no_key_means_every_stage_is_deterministic(tmp_path: Path) -> None:
    """Out of the box nothing is routed to a model: the offline default."""
    settings = _settings(tmp_path)
    assert [stage_route(settings, s) for s in ("extract", "cv", "publish")] == [None] * 3
    assert check_routes(settings) == []


def test_cheap_model_for_scoring_and_writer_model_for_writing(tmp_path: Path) -> None:
    """JOBINTEL_MODEL routes extraction/scoring; JOBINTEL_WRITER_MODEL routes writing stages."""
    settings = _settings(
        tmp_path,
        model="ollama:llama3.1",
        writer_model="anthropic:claude-sonnet-4-5",
        stage_models={"fit": "openrouter:openai/gpt-4o-mini"},
    )
    assert stage_route(settings, "extract") == ModelRef(provider="ollama", model="llama3.1")
    assert stage_route(settings, "cv") == ModelRef(provider="anthropic", model="claude-sonnet-4-5")
    assert str(stage_route(settings, "fit")) == "openrouter:openai/gpt-4o-mini"
    assert stage_route(settings, "ingest") is None


def test_a_stage_can_be_kept_deterministic_while_others_use_a_model(tmp_path: Path) -> None:
    """stage_models {"people": "deterministic"} keeps that stage off the model."""
    settings = _settings(
        tmp_path, openai_api_key="sk-test", stage_models={"people": "deterministic"}
    )
    assert stage_route(settings, "people") is None
    assert stage_route(settings, "role") is not None


def test_a_key_alone_picks_that_providers_default_models(tmp_path: Path) -> None:
    """With only JOBINTEL_ANTHROPIC_API_KEY set, stages route to Anthropic's default models."""
    settings = _settings(tmp_path, anthropic_api_key="sk-ant-test")
    extract, cv = stage_route(settings, "extract"), stage_route(settings, "cv")
    assert extract is not None and extract.provider == "anthropic"
    assert cv is not None and cv.provider == "anthropic" and cv.model != extract.model


def test_routed_provider_without_its_key_is_a_named_problem(tmp_path: Path) -> None:
    """Routing to openai without JOBINTEL_OPENAI_API_KEY is reported with the variable to set."""
    problems = check_routes(_settings(tmp_path, model="openai:gpt-4o-mini"))
    assert problems and problems[0][0] == "JOBINTEL_OPENAI_API_KEY"
    assert "set JOBINTEL_OPENAI_API_KEY" in problems[0][1]


def test_strategy_llm_without_any_route_is_a_problem(tmp_path: Path) -> None:
    """strategy=llm with nothing configured says which setting gives it a model."""
    problems = check_routes(_settings(tmp_path, strategy="llm"))
    assert [name for name, _ in problems] == ["JOBINTEL_STRATEGY"]


@pytest.mark.parametrize(
    ("overrides", "variable", "words"),
    [
        ({"model": "gpt-4o"}, "JOBINTEL_MODEL", "provider:model"),
        ({"model": "acme:big"}, "JOBINTEL_MODEL", "unknown provider"),
        ({"stage_models": {"publish": "openai:m"}}, "JOBINTEL_STAGE_MODELS", "not a stage"),
    ],
)
def test_bad_routes_are_rejected_at_start_naming_the_setting(
    tmp_path: Path, overrides: dict[str, object], variable: str, words: str
) -> None:
    """A malformed route fails settings validation with the variable and the fix."""
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, **overrides)
    names = [name for name, _ in caught.value.problems]
    assert variable in names
    assert words in str(caught.value)


def test_api_keys_are_masked_in_the_printed_configuration(tmp_path: Path) -> None:
    """config check shows that a key is set, never the key."""
    masked = _settings(tmp_path, openai_api_key="sk-secret-123").masked()
    assert masked["openai_api_key"] == "***"
    assert "sk-secret-123" not in repr(masked)


def test_building_the_openai_provider_loads_its_sdk_resource_outside_any_call() -> None:
    """The OpenAI SDK imports its chat modules on first use (about a second): building the
    provider does it, so the first call's timeout is not spent importing (with a short
    ``JOBINTEL_LLM_TIMEOUT_S`` that first call used to time out and cost a retry)."""
    script = textwrap.dedent(
        """
        import sys, httpx
        from jobintel.providers.registry import build_chat_provider
        from jobintel.settings import load_settings

        settings = load_settings(openai_api_key="k")
        loaded = "openai.resources.chat.completions"
        before = loaded in sys.modules
        build_chat_provider(settings, "openai", httpx.AsyncClient())
        print(before, loaded in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.split() == ["False", "True"]
