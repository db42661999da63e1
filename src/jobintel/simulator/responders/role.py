"""The simulated model's answer to the role prompt: prose composed from the role's facts."""

from __future__ import annotations

from typing import Any

from jobintel.pipeline.stages.role import RoleLLM
from jobintel.simulator.responders import ResponderInput, responder


def _field(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, dict) else None


def _strings(value: Any) -> list[str]:
    return (
        [v.strip() for v in value if isinstance(v, str) and v.strip()]
        if isinstance(value, list)
        else []
    )


def _lower_first(text: str) -> str:
    """Lower-case the first letter, unless it starts an acronym ("AI adoption")."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


@responder("role")
def answer_role(inp: ResponderInput) -> RoleLLM:
    """A two-sentence summary, impact and why-now that rest only on the data."""
    title = str(_field(inp.data, "title") or "This role")
    company = _field(inp.data, "company")
    name = company.get("name") if isinstance(company, dict) else None
    level = str(_field(inp.data, "seniority") or "not_specified").replace("_", " ")
    category = str(_field(inp.data, "role_category") or "other").replace("_", " ")
    duties = _strings(_field(inp.data, "responsibilities"))
    needs = _strings(_field(inp.data, "needs"))
    at = f" at {name}" if isinstance(name, str) and name.strip() else ""
    kind = f"a {category} role" if level == "not specified" else f"a {level} {category} role"
    summary = f"{title}{at} is {kind}."
    if duties:
        summary += f" Its main responsibility: {duties[0].rstrip('.')}."
    impact = (
        f"Done well, it addresses the employer's most pressing need: {_lower_first(needs[0])}."
        if needs
        else "The posting does not state the business impact directly."
    )
    why_now = "The posting does not say why the role is open now."
    if len(needs) > 1:
        why_now += f" Its needs point to {_lower_first(needs[1]).rstrip('.')}."
    return RoleLLM(summary=summary, business_impact=impact, why_now=why_now)
