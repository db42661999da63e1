"""The deterministic extract stage: a posting in, a structured job description out."""

from __future__ import annotations

import re
from collections import Counter

from jobintel.analysis import attributes
from jobintel.analysis.sections import Sections, find_sections
from jobintel.analysis.skills import (
    SkillMention,
    canonical_skill,
    find_soft_skills,
    is_concept,
    skill_mentions,
)
from jobintel.analysis.text import clean_text, split_sentences, tokenize
from jobintel.models import ExtractedJD, Posting

__all__ = ["extract_jd", "top_keywords"]

MAX_KEYWORDS = 15
MAX_SKILLS = 25
# Skill salience: each mention counts 1, plus TITLE_BONUS in the title and REQUIRED_BONUS
# in the requirements; a named product (not a concept) gets PRODUCT_BONUS once, because
# postings name the tools they use on purpose while concepts ("monitoring", "cloud
# platforms") are also mentioned in passing.
REQUIRED_BONUS = 1.0
TITLE_BONUS = 2.0
PRODUCT_BONUS = 2.0
_MIN_SENTENCE_WORDS = 3

# Words that every posting uses; they say nothing about this one.
_STOPWORDS = frozenset(
    """a about above across after all also an and any are as at be been being both but by can
    could do does each either etc for from has have having he her here his how i if in into is
    it its just may me more most must my no not of on one or other our out over own per plus
    same she should so some such than that the their them then there these they this those
    through to too under up us very via was we were what when where which while who whom why
    will with within would you your yours able across ability including include includes
    experience experienced years year strong proven excellent good great solid deep
    understanding knowledge skills skill work working role team teams environment candidate
    ideal preferred required requirements responsibilities related field equivalent similar
    various multiple new key ensure support help use using based well e.g i.e like highly
    closely drive deliver build develop design maintain implement create provide collaborate
    lead own make take join looking seeking opportunity company hands-on level plus across
    other best practices high quality demonstrated track record etc. day days""".split()  # noqa: SIM905 - a word list reads best as prose
)
_WORD = re.compile(r"[a-z][a-z0-9+#.\-/]*[a-z0-9+#]|[a-z]")


def extract_jd(posting: Posting) -> ExtractedJD:
    """Structure a posting: sections, skills, keywords and attributes, all from its text."""
    text = clean_text(posting.description)
    sections = find_sections(text)
    headings = set(sections.headings)
    sentences = tuple(
        s
        for s in split_sentences(text)
        if s not in headings and len(s.split()) >= _MIN_SENTENCE_WORDS
    )
    skill_text = "\n".join(_skill_items(sections))
    required_text = "\n".join(sections.requirements)
    mentions = skill_mentions(f"{posting.title}\n{required_text}\n{skill_text}")
    skills = rank_skills(
        mentions,
        title_end=len(posting.title),
        required_end=len(posting.title) + 1 + len(required_text),
    )
    requirement_items = (*sections.requirements, *sections.nice_to_have)
    years = attributes.years_experience(requirement_items)
    if years is None:
        years = attributes.years_experience(sentences)
    education = attributes.education_requirement(requirement_items) or (
        attributes.education_requirement(sentences)
    )
    return ExtractedJD(
        title=posting.title,
        company=posting.company,
        location=posting.location,
        role_category=attributes.role_category(posting.title, text),
        seniority=attributes.seniority(posting.title, text, posting.criteria),
        remote_policy=attributes.remote_policy(posting.title, posting.location, text),
        responsibilities=sections.responsibilities,
        qualifications=sections.requirements,
        nice_to_haves=sections.nice_to_have,
        benefits=sections.benefits,
        technical_skills=tuple(skills),
        soft_skills=tuple(find_soft_skills(skill_text)),
        top_keywords=top_keywords(skills, mentions, skill_text),
        years_experience=years,
        education=education,
        industry=attributes.industry(posting.criteria, text),
        sentences=sentences,
    )


def rank_skills(
    mentions: list[SkillMention], *, title_end: int = 0, required_end: int = 0
) -> list[str]:
    """The most salient skills (at most 20), in order of first mention.

    Salience: how often a skill is named, whether it is named as a proper noun (a
    product such as "Terraform" rather than a concept such as "data pipelines"), and
    whether the title or the requirements name it. Mentions before ``title_end`` are in
    the title, mentions before ``required_end`` in the requirements (which are then
    repeated in the full text, so they are not counted twice).
    """
    score: dict[str, float] = {}
    for m in mentions:
        if title_end < m.start < required_end:
            bonus = REQUIRED_BONUS
        else:
            bonus = 1.0 + (TITLE_BONUS if m.start < title_end else 0.0)
        score[m.name] = score.get(m.name, 0.0) + bonus
    for name in score:
        if not is_concept(name):
            score[name] += PRODUCT_BONUS
    # Order of first mention in the posting itself, not in the repeated requirements.
    first: dict[str, float] = {}
    for m in mentions:
        pos = float("inf") if title_end < m.start < required_end else m.start
        first[m.name] = min(first.get(m.name, pos), pos)
    order = sorted(score, key=lambda name: first[name])
    top = set(sorted(order, key=lambda name: -score[name])[:MAX_SKILLS])
    return [name for name in order if name in top]


def _skill_items(sections: Sections) -> tuple[str, ...]:
    """Where a posting names the skills it wants: everything but the company blurb and perks."""
    return (
        *sections.responsibilities,
        *sections.requirements,
        *sections.nice_to_have,
    )


def top_keywords(skills: list[str], mentions: list[SkillMention], text: str) -> tuple[str, ...]:
    """Up to 15 keywords: the skills, most mentioned first, then frequent salient terms."""
    counts = Counter(m.name for m in mentions)
    ranked = sorted(skills, key=lambda name: (-counts[name], skills.index(name)))
    out = ranked[:MAX_KEYWORDS]
    if len(out) < MAX_KEYWORDS:
        out.extend(_salient_terms(text, MAX_KEYWORDS - len(out), taken=out))
    return tuple(out)


def _salient_terms(text: str, limit: int, *, taken: list[str]) -> list[str]:
    """Frequent content bigrams and words that are not already a skill."""
    words = [w for w in tokenize(text) if _WORD.fullmatch(w)]
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for i, word in enumerate(words):
        terms = [word]
        if i + 1 < len(words):
            terms.append(f"{word} {words[i + 1]}")
        for term in terms:
            parts = term.split()
            if any(p in _STOPWORDS or len(p) < 3 for p in parts):
                continue
            counts[term] += 2 if len(parts) == 2 else 1
            first.setdefault(term, i)
    taken_low = {t.lower() for t in taken}
    out: list[str] = []
    for term, count in sorted(counts.items(), key=lambda kv: (-kv[1], first[kv[0]])):
        if count < 2 or len(out) >= limit:
            break
        if term in taken_low or canonical_skill(term) is not None:
            continue
        if any(term in o.split() or o in term.split() for o in out):
            continue  # "data" next to "data quality" adds nothing
        out.append(term)
    return out
