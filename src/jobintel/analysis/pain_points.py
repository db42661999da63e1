"""What the employer needs solved, read from the posting's own sentences by cue rules.

Each candidate sentence (responsibilities first, then the posting's sentences, then
qualifications) is matched against a table of cues — "legacy", "from scratch", "first
hire", "reduce", "fast-growing", "compliance", "KPI"… Every cue names a need in plain
words and the kind of item it signals. An item's text is that need plus the sentence's
core, so nothing is stated that the posting does not say; its quote is the sentence
verbatim. The rank score is transparent:

    score = cue strength + 0.3 × (extra cues, at most 2) + 0.6 × earliness
            + 0.15 × (skills named, at most 4) + source bonus (responsibility 0.4)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from jobintel.analysis.injection import looks_like_instruction
from jobintel.analysis.matching import skills_in
from jobintel.models.stages import ExtractedJD, PainPoint, PainPoints

MAX_ITEMS = 10
MIN_ITEMS = 3
_MAX_PER_NEED = 2
_CORE_WORDS = 22
_RESPONSIBILITY_BONUS = 0.4
_QUALIFICATION_BONUS = 0.1

Kind = Literal["pain_point", "strategic_need", "risk_if_unfilled", "success_metric"]


@dataclass(frozen=True, slots=True)
class Cue:
    """A phrase pattern that signals one employer need."""

    need: str
    kind: Kind
    strength: float
    pattern: re.Pattern[str]


def _cue(need: str, kind: Kind, strength: float, pattern: str) -> Cue:
    return Cue(need, kind, strength, re.compile(pattern, re.IGNORECASE))


CUES: tuple[Cue, ...] = (
    _cue(
        "Build from scratch",
        "strategic_need",
        2.0,
        r"from scratch|green-?field|from the ground up|\b0\s?(?:to|->|→)\s?1\b|zero to one|build(?:ing)? out\b|\bestablish|\bset up\b|\blaunch",
    ),
    _cue(
        "Build and grow the team",
        "strategic_need",
        1.9,
        r"first (?:\w+ )?hire|founding|build(?:ing)? (?:the|a|our|and grow)\b.{0,20}\bteam|grow(?:ing)? the team|(?<!is )(?<!are )(?<!we're )\bhiring\b(?! an? )|\brecruit",
    ),
    _cue(
        "Modernise legacy systems",
        "pain_point",
        2.0,
        r"legacy|moderni[sz]|outdated|technical debt|tech debt|re-?architect|\brebuild|re-?platform",
    ),
    _cue(
        "Migrate platforms",
        "pain_point",
        1.8,
        r"migrat|transition(?:ing)? (?:to|from)|move to the cloud|cloud adoption",
    ),
    _cue(
        "Scale systems and teams",
        "pain_point",
        1.7,
        r"\bscal(?:e|es|ed|ing|able|ability)\b|high[- ]traffic|millions of|large[- ]scale|web[- ]scale",
    ),
    _cue(
        "Reduce cost and manual work",
        "pain_point",
        1.6,
        r"\breduc|\bcut\b|\blower\b|cost[- ]effective|optimi[sz]|\btoil\b|\bmanual\b|automat|efficien",
    ),
    _cue(
        "Improve reliability and quality",
        "pain_point",
        1.4,
        r"reliab|resilien|stabilit|uptime|availability|\bquality\b|incident|on-call|observab",
    ),
    _cue(
        "Integrate fragmented systems and data",
        "pain_point",
        1.3,
        r"integrat|fragment|\bsilo|\bunif|consolidat",
    ),
    _cue(
        "Keep pace with fast growth",
        "strategic_need",
        1.6,
        r"fast[- ]growing|fast[- ]paced|hyper-?growth|rapid(?:ly)? grow|scale-?up\b|start-?up|ambiguity|ambiguous",
    ),
    _cue(
        "Set technical strategy and roadmap",
        "strategic_need",
        1.5,
        r"strateg|roadmap|\bvision\b|technical direction|architecture decisions|north star",
    ),
    _cue(
        "Own and lead delivery",
        "strategic_need",
        1.3,
        r"\bown(?:s|ing|ership)?\b|\blead\b|\bleading\b|\bdrive\b|\bdriving\b|accountab",
    ),
    _cue(
        "Put AI into production",
        "strategic_need",
        1.2,
        r"\bAI\b|\bLLMs?\b|generative|gen-?ai|machine learning|\bagents?\b|agentic",
    ),
    _cue(
        "Mentor and develop engineers",
        "strategic_need",
        1.1,
        r"mentor|coach|career (?:growth|development)|develop(?:ing)? (?:the )?(?:team|engineers|talent)",
    ),
    _cue(
        "Stay secure and compliant",
        "risk_if_unfilled",
        1.6,
        r"secur|complian|regulat|\bGDPR\b|governance|\baudit|privacy|\brisks?\b",
    ),
    _cue(
        "Deliver critical commitments on time",
        "risk_if_unfilled",
        1.5,
        r"critical|deadline|timely|on[- ]time|commitments|time[- ]to[- ]market",
    ),
    _cue(
        "Keep stakeholders aligned",
        "risk_if_unfilled",
        1.0,
        r"stakeholder|alignment|cross-functional|executive",
    ),
    _cue(
        "Hit measurable targets",
        "success_metric",
        1.7,
        r"\bKPIs?\b|\bOKRs?\b|metrics?\b|measur|\bSLAs?\b|\bSLOs?\b|\btargets\b|benchmark",
    ),
    _cue(
        "Hit measurable targets",
        "success_metric",
        1.7,
        r"\d+\s?%|[$€£]\s?\d|within \d+ (?:months|weeks|days)|first \d+ days",
    ),
    _cue(
        "Drive adoption and business impact",
        "success_metric",
        1.5,
        r"adoption|revenue|conversion|retention|customer satisfaction|\bNPS\b|business impact|\bsuccess\b",
    ),
)

# Sentences about the offer or the application, not about the work.
_NOT_A_NEED = re.compile(
    r"we offer|benefit|salary|compensation|equal opportunit|\bapply\b|holiday|vacation|"
    r"pension|insurance|diversity|inclusive|discriminat|visa|relocation|show more",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^(?:[*•·\-–]\s*)?(?:(?:as (?:a|an|our|the) [^,]{1,60},\s*)?(?:you will|you'll|you will be|"
    r"the (?:role|candidate|successful candidate) will|we (?:are looking for|need|want) "
    r"(?:someone|you|a|an) (?:to|who will)?|your (?:role|mission) (?:is|will be) to|"
    r"responsibilities(?: include)?:?|in this role,? you will|help us)\s*)+",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    position: int
    source_bonus: float


def _core(sentence: str) -> str:
    """The sentence minus lead-ins and list markers, cut to a readable length."""
    core = _LEAD_IN.sub("", sentence.strip()).strip(" .;:*•")
    if not core:
        core = sentence.strip(" .;:*•")
    words = core.split()
    if len(words) > _CORE_WORDS:
        core = " ".join(words[:_CORE_WORDS]).rstrip(",;:") + "…"
    return core


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _candidates(jd: ExtractedJD) -> list[_Candidate]:
    seen: set[str] = set()
    out: list[_Candidate] = []

    def add(texts: Iterable[str], bonus: float) -> None:
        for text in texts:
            key = _key(text)
            if not key or key in seen or any(key in s or s in key for s in seen if len(s) > 30):
                continue
            seen.add(key)
            out.append(_Candidate(text, len(out), bonus))

    add(jd.responsibilities, _RESPONSIBILITY_BONUS)
    add(jd.sentences, 0.0)
    add(jd.qualifications, _QUALIFICATION_BONUS)
    return out


def _score_candidate(c: _Candidate, total: int) -> tuple[Cue, float] | None:
    words = len(c.text.split())
    if words < 4 or _NOT_A_NEED.search(c.text) or looks_like_instruction(c.text):
        return None
    hits = [cue for cue in CUES if cue.pattern.search(c.text)]
    if not hits:
        return None
    best = max(hits, key=lambda cue: cue.strength)  # max() keeps the first on ties
    if c.source_bonus == _QUALIFICATION_BONUS and best.strength < 1.5:
        return None  # a qualification states a need only when a strong cue says so
    extra = len({cue.need for cue in hits}) - 1
    earliness = 1.0 - c.position / max(total, 1)
    skills = len(skills_in(c.text))
    score = best.strength + 0.3 * min(extra, 2) + 0.6 * earliness
    score += 0.15 * min(skills, 4) + c.source_bonus
    if words > 60:  # run-together paragraphs are weak quotes
        score -= 0.8
    return best, round(max(score, 0.0), 3)


def _fill(jd: ExtractedJD, items: list[PainPoint]) -> None:
    """Top up a posting with few cues from its first responsibilities or sentences."""
    quoted = {p.quote for p in items}
    for text in (*jd.responsibilities, *jd.sentences):
        if len(items) >= MIN_ITEMS:
            return
        if (
            text in quoted
            or len(text.split()) < 4
            or _NOT_A_NEED.search(text)
            or looks_like_instruction(text)
        ):
            continue
        quoted.add(text)
        items.append(
            PainPoint(
                text=f"Core responsibility: {_core(text)}",
                kind="strategic_need",
                quote=text,
                score=0.5,
            )
        )


def find_pain_points(jd: ExtractedJD) -> PainPoints:
    """Ranked employer needs (pain points, strategic needs, risks, success metrics)."""
    candidates = _candidates(jd)
    scored: list[PainPoint] = []
    for c in candidates:
        result = _score_candidate(c, len(candidates))
        if result is None:
            continue
        cue, score = result
        scored.append(
            PainPoint(text=f"{cue.need}: {_core(c.text)}", kind=cue.kind, quote=c.text, score=score)
        )
    scored.sort(key=lambda p: -p.score)  # stable: ties keep posting order
    chosen: list[PainPoint] = []
    per_need: dict[str, int] = {}
    texts: set[str] = set()
    for p in scored:
        need = need_of(p)
        if p.text in texts:
            continue  # the same line listed twice in the posting
        texts.add(p.text)
        if per_need.get(need, 0) >= _MAX_PER_NEED:
            continue
        per_need[need] = per_need.get(need, 0) + 1
        chosen.append(p)
        if len(chosen) == MAX_ITEMS:
            break
    _ensure_each_kind(scored, chosen)
    _fill(jd, chosen)
    chosen.sort(key=lambda p: -p.score)
    return PainPoints(items=tuple(chosen))


def _ensure_each_kind(scored: list[PainPoint], chosen: list[PainPoint]) -> None:
    """Swap in the best item of a kind the top list lacks, replacing the weakest."""
    kinds: tuple[Kind, ...] = ("pain_point", "strategic_need", "risk_if_unfilled", "success_metric")
    for kind in kinds:
        if any(p.kind == kind for p in chosen):
            continue
        best = next((p for p in scored if p.kind == kind and p not in chosen), None)
        if best is None:
            continue
        if len(chosen) >= MAX_ITEMS:
            counts = {k: sum(1 for p in chosen if p.kind == k) for k in {p.kind for p in chosen}}
            weakest = min(
                (p for p in chosen if counts[p.kind] > 1), key=lambda p: p.score, default=None
            )
            if weakest is None:
                continue
            chosen.remove(weakest)
        chosen.append(best)


def need_of(item: PainPoint) -> str:
    """The plain-words need an item names ("Modernise legacy systems")."""
    return item.text.split(": ", 1)[0]
