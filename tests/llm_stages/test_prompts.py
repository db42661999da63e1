"""The five stage prompts load, stay short, and render with the strategies' template values."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import UndefinedError

from jobintel.analysis.outreach import LINKEDIN_NOTE_LIMIT
from jobintel.pipeline.stages import extract, fit, pain_points, people, role
from jobintel.prompts import load_prompt
from tests.llm_stages.support import LLM_STAGES

#: The template values each strategy passes (fit's count varies with the posting).
VALUES: dict[str, dict[str, Any]] = {
    "extract": {
        "max_items": extract.MAX_ITEMS,
        "max_skills": extract.MAX_SKILLS,
        "max_keywords": extract.MAX_KEYWORDS,
        "max_item_words": extract.MAX_ITEM_WORDS,
    },
    "pain_points": {"max_items": pain_points.MAX_ITEMS},
    "role": {"max_sentences": role.MAX_SENTENCES},
    "fit": {"requirement_count": fit.MAX_REQUIREMENTS},
    "people": {
        "min_contacts": people.MIN_CONTACTS,
        "max_contacts": people.MAX_CONTACTS,
        "note_limit": LINKEDIN_NOTE_LIMIT,
    },
}
MAX_SYSTEM_WORDS = 120


@pytest.mark.parametrize("stage", LLM_STAGES)
def test_prompt_loads_with_its_stage_name_and_a_short_system_text(stage: str) -> None:
    """Each prompt is named after its stage (the schema name); its system text is <= 120 words."""
    prompt = load_prompt(stage)
    assert (prompt.name, prompt.id) == (stage, f"{stage}@v{prompt.version}")
    assert prompt.max_tokens > 0
    assert len(prompt.system.split()) <= MAX_SYSTEM_WORDS
    # The system text is sent as written: a template tag there would reach the model raw.
    assert "{{" not in prompt.system and "{%" not in prompt.system


@pytest.mark.parametrize("stage", LLM_STAGES)
def test_user_template_renders_with_the_strategys_values_only(stage: str) -> None:
    """The user template renders with the strategy's values and fails loudly without them."""
    prompt = load_prompt(stage)
    rendered = prompt.render_user(**VALUES[stage])
    assert rendered and "{{" not in rendered and "<data>" not in rendered
    assert all(str(v) in rendered for v in VALUES[stage].values())
    with pytest.raises(UndefinedError):
        prompt.render_user()
