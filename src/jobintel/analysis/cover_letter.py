"""A cover letter built from fixed templates and the master CV's strongest bullets.

Template sentences carry no facts about the candidate: they name the role, the company
and the posting's needs (the pain points' plain-words labels). Every sentence that does
state a fact is a master-CV bullet, verbatim or framed as "At <employer>, I <bullet>",
and those sentences go through the faithfulness gate.
"""

from __future__ import annotations

from collections.abc import Sequence

from jobintel.analysis.faithfulness import check_faithfulness
from jobintel.analysis.matching import evidence_units, similarity
from jobintel.analysis.pain_points import need_of
from jobintel.models.cv import Bullet, MasterCV
from jobintel.models.stages import (
    CompanyResearch,
    CoverLetter,
    ExtractedJD,
    FitAssessment,
    PainPoint,
    PainPoints,
)

_EVIDENCE_PAINS = 2
_MIN_EVIDENCE = 0.15
_FILL_NEED = "Core responsibility"
_PAST_TENSE_IRREGULAR = frozenset(
    {
        "built",
        "led",
        "ran",
        "cut",
        "set",
        "wrote",
        "grew",
        "drove",
        "made",
        "won",
        "took",
        "rebuilt",
        "brought",
        "taught",
        "shipped",
    }
)


def _frame(bullet: Bullet, cv: MasterCV) -> str:
    """A bullet as a first-person sentence, its words unchanged."""
    text = bullet.text.replace("**", "").strip()
    if not text.endswith((".", "!", "?", '"', "”")):
        text += "."
    role = cv.role_of(bullet.id)
    if role is None:
        return text
    first = text.split(" ", 1)[0]
    lowered = first.lower()
    if first.istitle() and (lowered.endswith("ed") or lowered in _PAST_TENSE_IRREGULAR):
        return f"At {role.employer}, I {text[0].lower()}{text[1:]}"
    return f"At {role.employer}: {text}"


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if text and not text[:2].isupper() else text


def _need_phrase(item: PainPoint) -> str:
    need = need_of(item)
    if need == _FILL_NEED:
        return f"deliver on “{item.text.split(': ', 1)[-1]}”"
    return _lower_first(need)


def _best_bullet(query: str, cv: MasterCV, used: set[str]) -> Bullet | None:
    ids = {u.id for u in evidence_units(cv)}
    candidates = [b for b in cv.all_bullets() if b.id in ids and b.id not in used]
    scored = [(similarity(query, b.text), i, b) for i, b in enumerate(candidates)]
    scored = [s for s in scored if s[0] >= _MIN_EVIDENCE]
    if not scored:
        return None
    return max(scored, key=lambda s: (s[0], -s[1]))[2]


def _distinct_needs(pains: PainPoints) -> list[PainPoint]:
    seen: set[str] = set()
    out: list[PainPoint] = []
    for p in pains.items:
        if need_of(p) not in seen:
            seen.add(need_of(p))
            out.append(p)
    return out


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def compose_cover_letter(
    jd: ExtractedJD,
    fit: FitAssessment,
    pains: PainPoints,
    company: CompanyResearch,
    cv: MasterCV,
) -> CoverLetter:
    """A 3–5 paragraph letter answering the posting's top needs with CV evidence."""
    company_name = jd.company or company.company
    needs = _distinct_needs(pains)
    opening = f"I am writing to apply for the {jd.title} role at {company_name}."
    if needs:
        opening += (
            " Reading your posting, I see the role centred on the need to "
            f"{_join([_need_phrase(p) for p in needs[:3]])}."
        )
    paragraphs = [opening]
    evidence: list[str] = []
    used: set[str] = set()
    order: list[str] = []

    for item in needs[:_EVIDENCE_PAINS]:
        bullet = _best_bullet(f"{item.quote} {need_of(item)}", cv, used)
        if bullet is None:
            continue
        used.add(bullet.id)
        order.append(bullet.id)
        sentence = _frame(bullet, cv)
        evidence.append(sentence)
        paragraphs.append(f"You need someone to {_need_phrase(item)}. {sentence}")

    # Requirements the CV meets first, then partial ones; ties keep matrix order.
    rows = sorted(
        (r for r in fit.matrix if r.kind != "skill" and r.status != "gap"),
        key=lambda r: (r.status != "met", -(r.evidence[0].score if r.evidence else 0.0)),
    )
    by_id = {b.id: b for b in cv.all_bullets()}
    extra: list[str] = []
    for row in rows:
        link = next(
            (e for e in row.evidence if e.bullet_id in by_id and e.bullet_id not in used), None
        )
        if link is None:
            continue
        used.add(link.bullet_id)
        order.append(link.bullet_id)
        extra.append(_frame(by_id[link.bullet_id], cv))
        if len(extra) == 2:
            break
    if not evidence and not extra and cv.all_bullets():
        first = cv.all_bullets()[0]  # nothing matched: lead with the most recent work
        order.append(first.id)
        extra.append(_frame(first, cv))
    if extra:
        evidence.extend(extra)
        lead = (
            "Other parts of my record match what you ask for."
            if len(paragraphs) > 1
            else ("The experience closest to what you ask for:")
        )
        paragraphs.append(f"{lead} " + " ".join(extra))

    closing_need = f" to {_need_phrase(needs[0])}" if needs else ""
    paragraphs.append(
        f"I would welcome a conversation about how I could help {company_name}{closing_need}. "
        "Thank you for your time and consideration."
    )
    return CoverLetter(
        paragraphs=tuple(paragraphs),
        source_bullet_ids=tuple(order),
        faithfulness=check_faithfulness(evidence, cv),
        markdown=letter_markdown(company_name, paragraphs, cv.name),
    )


def letter_markdown(company_name: str, paragraphs: Sequence[str], name: str) -> str:
    """The letter as Markdown: greeting, the paragraphs, sign-off with the candidate's name."""
    body = "\n\n".join(paragraphs)
    return f"Dear {company_name} hiring team,\n\n{body}\n\nKind regards,\n\n{name}\n"
