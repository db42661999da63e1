"""Posting attributes read from title, location, criteria and text: seniority, remote
policy, years of experience, education, role category and industry."""

from __future__ import annotations

import re
from collections.abc import Iterable

from jobintel.models.stages import RemotePolicy, RoleCategory, Seniority

__all__ = [
    "education_requirement",
    "industry",
    "remote_policy",
    "role_category",
    "seniority",
    "years_experience",
]

_I = re.IGNORECASE

_TITLE_SENIORITY: tuple[tuple[Seniority, re.Pattern[str]], ...] = (
    (
        "c_level",
        re.compile(r"\b(?:cto|ceo|cio|cdo|cpo|chief \w+(?: \w+)? officer|co-?founder)\b", _I),
    ),
    ("vp", re.compile(r"\b(?:s?vp|evp|vice[- ]president)\b", _I)),
    ("director", re.compile(r"\b(?:director|head of|deputy head)\b", _I)),
    ("manager", re.compile(r"\bmanager\b", _I)),
    ("principal", re.compile(r"\b(?:principal|distinguished|fellow)\b", _I)),
    ("staff", re.compile(r"\bstaff\b", _I)),
    ("senior", re.compile(r"\b(?:senior|sr\.?|lead|tech lead|expert|ii|iii)\b", _I)),
    (
        "junior",
        re.compile(r"\b(?:junior|jr\.?|graduate|entry[- ]level|intern(?:ship)?|trainee)\b", _I),
    ),
    ("mid", re.compile(r"\b(?:mid[- ]level|intermediate|medior)\b", _I)),
)
_CRITERIA_SENIORITY: tuple[tuple[str, Seniority], ...] = (
    ("executive", "director"),
    ("director", "director"),
    ("mid-senior", "senior"),
    ("entry", "junior"),
    ("internship", "junior"),
    ("associate", "mid"),
)
_SENIORITY_LEVEL = re.compile(
    r"SENIORITY LEVEL\s*(.+?)(?=EMPLOYMENT TYPE|JOB FUNCTION|INDUSTRIES|$)"
)

_HYBRID = re.compile(
    r"\bhybrid(?:\b|(?-i:(?=[A-Z])))(?!\s*(?:cloud|search|environments?|infrastructure|architectures?|deployments?"
    r"|and multi|/multi|,\s*(?:multi|private|public)))|\bsemi[- ]remote\b|\b\d days? (?:a|per) week"
    r" (?:in|at) (?:the|our) office\b",
    _I,
)
_REMOTE = re.compile(
    r"\b(?:fully|100\s*%|completely|entirely|full)[- ]?remote\b|\bremote[- ](?:first|only|position"
    r"|role|job|opportunity|friendly)\b|\bwork(?:ing)? (?:from|remotely from) anywhere\b"
    r"|\b(?:is|as) a remote\b|\(remote\)|\bremote\s*(?:\||–|-)\s|\bremote$|^remote\b",
    _I,
)
_ONSITE = re.compile(
    r"\bon[- ]?site\b|\bin[- ]office\b|\boffice[- ]based\b|\bin[- ]person\b|\bwork(?:ing)? from"
    r" (?:our|the) office\b",
    _I,
)

_YEARS = re.compile(
    r"(?:(?P<qual>at least|minimum(?: of)?|min\.?|over|more than|ideally,?)\s+)?"
    r"(?P<n>\d{1,2})\s*(?:\+|plus)?\s*(?:(?:-|–|to)\s*\d{1,2}\s*\+?\s*)?(?:years?|yrs?)\b['’]?"
    r"(?P<tail>(?:\s+\S+){0,8})",
    _I,
)
_YEARS_TAIL = re.compile(
    r"\b(?:experience|experienced|of|in|as|with|working|building|leading|designing|deploying|"
    r"developing|managing|hands-on|professional|background|delivering)\b",
    _I,
)
_COMPANY_AGE = re.compile(
    r"\b(?:market|founded|since \d{4}|in business|our history|we share|anniversary|years ago"
    r"|years old|for over \d+ years,? we|(?:has|have) been \w+ing)\b",
    _I,
)
_MAX_YEARS = 30

_EDUCATION = re.compile(
    r"\b(?:bachelor'?s?|master'?s?|ph\.?\s?d|doctorate|mba|b\.?\s?sc|m\.?\s?sc|b\.?\s?tech"
    r"|m\.?\s?tech|undergraduate|postgraduate|university degree|(?:advanced|academic|college"
    r"|technical|relevant|graduate) degree|degree (?:in|or)|bs/ms|ms/phd|bs degree|ms degree)\b",
    _I,
)

_ROLE_RULES: tuple[tuple[RoleCategory, re.Pattern[str]], ...] = (
    (
        "head_of_engineering",
        re.compile(
            r"\b(?:head of (?:\w+ )?(?:engineering|technology|software|tech|development|platform)"
            r"|vp,? (?:of )?engineering|cto|chief technology|(?:director|head) of (?:software )?"
            r"engineering|engineering director|co-?founder)\b",
            _I,
        ),
    ),
    (
        "engineering_manager",
        re.compile(
            r"\b(?:engineering|development|software)\b.*\bmanager\b|\bmanager\b.*\bengineering\b|\bengineering lead\b",
            _I,
        ),
    ),
    ("product_manager", re.compile(r"\bproduct (?:manager|owner|lead)\b", _I)),
    (
        "project_manager",
        re.compile(r"\b(?:project|program|programme|delivery) manager\b|\bscrum master\b", _I),
    ),
    ("architect", re.compile(r"\barchitect\b", _I)),
    (
        "tech_lead",
        re.compile(
            r"\b(?:tech(?:nical)? lead|team lead|lead (?:\w+ )?(?:engineer|developer))\b", _I
        ),
    ),
    ("staff_principal_engineer", re.compile(r"\b(?:staff|principal|distinguished)\b", _I)),
    (
        "devops_platform",
        re.compile(
            r"\b(?:devops|sre|site reliability|platform engineer|infrastructure engineer|cloud engineer|devsecops)\b",
            _I,
        ),
    ),
    (
        "data_ml_engineer",
        re.compile(
            r"\b(?:data engineer|data scientist|ml|machine learning|ai engineer|mlops|llm|ai/ml|data)\b.*\b(?:engineer|scientist|developer)\b|\bdata scientist\b",
            _I,
        ),
    ),
    (
        "senior_engineer",
        re.compile(r"\b(?:senior|sr\.?)\b.*\b(?:engineer|developer|programmer)\b", _I),
    ),
    ("ic_engineer", re.compile(r"\b(?:engineer|developer|programmer)\b", _I)),
)

_INDUSTRIES = re.compile(r"INDUSTRIES\s*(.+)$", re.DOTALL)
_INDUSTRY_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "Financial Services",
        re.compile(
            r"\b(?:fintech|banking|bank|financial services|lending|payments|insurance|insurtech)\b",
            _I,
        ),
    ),
    (
        "Healthcare",
        re.compile(
            r"\b(?:healthcare|health ?tech|medical|clinical|hospital|pharma\w*|biotech)\b", _I
        ),
    ),
    ("E-commerce", re.compile(r"\b(?:e-?commerce|online retail|marketplace)\b", _I)),
    ("Advertising", re.compile(r"\b(?:adtech|advertising|advertisers|publishers)\b", _I)),
    ("Telecommunications", re.compile(r"\b(?:telecom\w*|mobile network operators?)\b", _I)),
    (
        "Logistics",
        re.compile(r"\b(?:logistics|supply chain|delivery partner|parcel|freight)\b", _I),
    ),
    (
        "Cybersecurity",
        re.compile(r"\b(?:cybersecurity|cyber security|threat intelligence|breaches)\b", _I),
    ),
    (
        "Education",
        re.compile(r"\b(?:edtech|education|educators|students|k-12|school districts?)\b", _I),
    ),
    ("Energy", re.compile(r"\b(?:energy|oil (?:&|and) gas|utilities|renewables?)\b", _I)),
    ("Automotive", re.compile(r"\b(?:automotive|vehicles?|mobility)\b", _I)),
    ("Gaming", re.compile(r"\b(?:gaming|video games?|game studio)\b", _I)),
    ("Government", re.compile(r"\b(?:government|public sector|defen[cs]e)\b", _I)),
    (
        "IT Services and Consulting",
        re.compile(r"\b(?:consulting|consultancy|it services|system integrators?)\b", _I),
    ),
)


def seniority(title: str, text: str = "", criteria: str = "") -> Seniority:
    """Seniority from the title first, then the posting's criteria, then the text."""
    for level, pattern in _TITLE_SENIORITY:
        if pattern.search(title):
            return level
    level_text = _SENIORITY_LEVEL.search(criteria)
    if level_text:
        low = level_text.group(1).lower()
        for cue, level in _CRITERIA_SENIORITY:
            if cue in low:
                return level
    for level, pattern in _TITLE_SENIORITY[3:]:  # text mentions of "senior", "junior", ...
        if level in ("manager", "senior") and pattern.search(text[:600]):
            return level
    years = years_experience([text])
    if years is not None:
        return "senior" if years >= 5 else "mid" if years >= 2 else "junior"
    return "not_specified"


def remote_policy(title: str, location: str = "", text: str = "") -> RemotePolicy:
    """Remote policy from title and location first, then from the text."""
    for field in (title, location):
        if _HYBRID.search(field):
            return "hybrid"
        if re.search(r"\bremote\b", field, _I):
            return "fully_remote"
        if _ONSITE.search(field):
            return "onsite"
    if _HYBRID.search(text):
        return "hybrid"
    if _REMOTE.search(text):
        return "fully_remote"
    if _ONSITE.search(text):
        return "onsite"
    return "not_specified"


def years_experience(sentences: Iterable[str]) -> int | None:
    """The main years-of-experience requirement: the largest lower bound stated as one."""
    best: int | None = None
    for sentence in sentences:
        if _COMPANY_AGE.search(sentence):
            continue
        for m in _YEARS.finditer(sentence):
            n = int(m.group("n"))
            if not 0 < n <= _MAX_YEARS:
                continue
            if not (m.group("qual") or _YEARS_TAIL.search(m.group("tail"))):
                continue
            best = n if best is None else max(best, n)
    return best


def education_requirement(sentences: Iterable[str]) -> str | None:
    """The first sentence that states an education requirement, verbatim, or None."""
    for sentence in sentences:
        if _EDUCATION.search(sentence):
            return sentence
    return None


def role_category(title: str, text: str = "") -> RoleCategory:
    """The kind of role, from the title (the text is used only when the title says nothing)."""
    for source in (title, text[:300]):
        for category, pattern in _ROLE_RULES:
            if pattern.search(source):
                return category
    return "other"


def industry(criteria: str, text: str = "") -> str | None:
    """The industry from the posting's criteria ("INDUSTRIES ..."), else from text cues."""
    m = _INDUSTRIES.search(criteria)
    if m and m.group(1).strip():
        return " ".join(m.group(1).split())
    counts = [(len(p.findall(text)), -i, name) for i, (name, p) in enumerate(_INDUSTRY_CUES)]
    hits, _, name = max(counts)
    return name if hits >= 2 else None
