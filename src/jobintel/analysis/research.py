"""Offline company and role research: what the posting itself says, quoted, never guessed.

These are the deterministic strategies of the ``company`` and ``role`` stages. They read
only the posting (and its extracted JD), quote its sentences verbatim and say plainly when
the posting is silent, so a dossier never presents a guess as research.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from jobintel.models import CompanyResearch, ExtractedJD, Posting, RoleResearch, Signal

__all__ = [
    "SIGNAL_TYPES",
    "company_display_name",
    "is_intermediary",
    "offline_company_research",
    "offline_role_research",
]

# Signals are reported grouped by type, in this order.
SIGNAL_TYPES: tuple[str, ...] = (
    "intermediary", "industry", "funding", "founded", "growth", "team_size", "locations",
    "customers", "product", "mission", "tech_stack", "culture", "hiring",
)  # fmt: skip

_I = re.IGNORECASE
_INTERMEDIARY = re.compile(
    # (?<=[a-z]) also catches a heading glued on: "About the companyOur client is …".
    r"on behalf of\b|(?:\b|(?<=[a-z]))(?:our|my) client\b(?!s)|(?:\b|(?<=[a-z]))our customer is\b"
    r"|\brecruit(?:ment|ing) agency\b|\bper conto di\b|\bim auftrag\b|\bpour le compte de?\b"
    r"|^(?:a|an) (?:leading|global|well[- ]known|growing|fast[- ]growing|established|"
    r"international|renowned|innovative)\b[^.]{0,80}?\b(?:seeks|is seeking|is looking for|is hiring)\b",
    _I,
)
# Third-person "The company is building …" in a posting that never names the poster.
_UNNAMED_EMPLOYER = re.compile(r"^the company (?:is|has|was|we)\b", _I)
# Sentences a recruiter writes about its client.
_CLIENT_DESCRIPTION = re.compile(
    r"(?:^|(?<=[a-z]))(?:our (?:client|customer)|the (?:client|company)|they)\b(?! is (?:looking|seeking|hiring))",
    _I,
)
_CUES: dict[str, re.Pattern[str]] = {
    "funding": re.compile(
        r"\bseries [a-f]\b|\braised\s+(?:an?\s+)?(?:[$€£]|\d)|\b(?:pre-seed|seed|funding) round\b"
        r"|\b(?:venture|vc|privately)[- ]backed\b|\bbacked by\b|\b(?:nyse|nasdaq|lse)\s*:"
        r"|\bpublicly (?:traded|listed)\b|\brecently public\b|\bunicorn\b|\bvaluation\b",
        _I,
    ),
    "founded": re.compile(
        r"\b(?:founded|established|started) in (?:19|20)\d\d\b|\bsince (?:19|20)\d\d\b", _I
    ),
    "growth": re.compile(
        r"\bfast(?:est)?[- ]growing\b|\brapid(?:ly)? grow|\bhyper[- ]?growth\b|\bhigh[- ]growth\b"
        r"|\bgrowth[- ]stage\b|\bscale[- ]?up\b|\bgrow(?:s|ing)? (?:year on year|rapidly|quickly|fast)\b"
        r"|\bexpanding\b|\bexpansion\b|\bacqui(?:red|sition)\b|\bdoubled\b|\bexponential growth\b"
        r"|\blightning[- ]fast growth\b|\bcontinue our\b[^.]{0,20}\bgrowth\b",
        _I,
    ),
    "team_size": re.compile(
        r"\b\d[\d,.]*\+?\s*(?:k\s*)?(?:employees|people|staff|team members|professionals|experts|"
        r"engineers|colleagues|associates|dipendenti)\b|\bteam of \d+",
        _I,
    ),
    "locations": re.compile(
        r"\boffices? (?:in|across)\b|\bheadquartered\b|\bheadquarters (?:in|are)\b|\bbased in\b"
        r"|\b\d+\+?\s*(?:countries|markets|cities|locations|offices|paesi)\b|\bpresen(?:ce|t) (?:in|across)\b",
        _I,
    ),
    "customers": re.compile(
        r"\b(?:customers|clients|users|merchants|businesses|brands|creators|subscribers)\b", _I
    ),
    "product": re.compile(
        r"\bour (?:platform|products?|solutions?|software|apps?)\b|\bplatform (?:that|which|for)\b"
        r"|\bwe (?:build|develop|design|create|operate|provide|deliver|make|manufacture)\b",
        _I,
    ),
    "mission": re.compile(
        r"\bmission\b|\bwe believe\b|\bour purpose\b|\bour vision\b|\bon a quest\b|\bcommitted to the idea\b",
        _I,
    ),
    "tech_stack": re.compile(
        r"\b(?:tech|technology|technical) stack\b|\bour stack\b|\bbuilt (?:on|with)\b|\bwe use\b",
        _I,
    ),
    "culture": re.compile(
        r"\bculture\b|\bour values\b|\bremote[- ]first\b|\bfully remote (?:team|organi[sz]ation|company)\b"
        r"|\bwe move fast\b|\bgreat place to work\b",
        _I,
    ),
    "hiring": re.compile(
        r"\bwe(?: are|'re|’re) (?:growing (?:the|our) team|building (?:a|the|our) team)\b"
        r"|\bbrand[- ]new (?:team|function)\b|\bnew (?:ai )?(?:team|function)\b|\bgrowing (?:the|our) team\b"
        r"|\bstiamo (?:rafforzando|ampliando)\b",
        _I,
    ),
}
_PER_TYPE = 3
_HEADING = re.compile(
    r"^(?:about (?:us|the company|the organi[sz]ation|the team|the role)|who we are|we are|"
    r"why join us|company (?:description|overview)|our company|job description|the role)[:\s]*",
    _I,
)
_YOU = re.compile(r"\b(?:you|your|you'll|you’ll|you're|you’re)\b", _I)
_ROLE_TALK = re.compile(
    r"\b(?:this|the) (?:role|position)\b|\blooking for\b|\bseeking\b|\bwe(?: are|'re|’re) hiring\b"
    r"|\bcandidates?\b|\bjoin (?:us|our)\b|\bideal\b|\bresponsible for\b",
    _I,
)
_BOILERPLATE = re.compile(
    r"equal\s*(?:employment\s*)?opportunit|\bscams?\b|regardless of|applicants?\b|personal data|privacy"
    r"|\bapply\b|\bapplication\b|accommodation|fraudulent|recruitment purposes|salary|benefits?\b"
    r"|recruitment process|hiring process|job code|pay range|complies with",
    _I,
)
_OPENER = re.compile(r"(?:since|founded|with|at|today|known|present in|through)\b", _I)
_LEGAL_SUFFIX = re.compile(
    r"[\s,]+(?:inc|ltd|llc|gmbh|ag|sa|s\.a|plc|corp|co|limited|bv|srl|spa)\.?$", _I
)
_INDUSTRY = re.compile(r"INDUSTRIES\s*(.+)$", re.DOTALL)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- text (temporary, until jobintel.analysis.text is shared) -------------------------------

# Scraped postings glue sentences and headings together ("needs.We", "companyOur client").
_SPLIT = re.compile(
    r"(?<=[.!?])\s*(?=[A-Z“\"])|\s+\*\s+|\s*[•·]\s*|\n+"
    r"|(?<=[a-z])(?=(?:About|Who|We|Our|This|The|At|Join|Why|As|With|In|If|What|Key|Responsibilities|"
    r"Requirements|Qualifications)\b)"
    r"|\s+(?=(?:About|Who We Are|Why Join)\s+[A-Z])"
)
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|inc|ltd|vs|dr|mr|ms|no|approx|st)\.$", _I)


def _split_sentences(text: str) -> list[str]:
    text = re.sub(r"Show more\s*Show less\s*$", "", text)
    out: list[str] = []
    for piece in _SPLIT.split(text):
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        elif piece.strip():
            out.append(piece)
    return [s for s in (_one_line(p.strip().lstrip("*•-·– ")) for p in out) if len(s) >= 15]


# --- company name -----------------------------------------------------------------------


def _name_patterns(company: str) -> list[re.Pattern[str]]:
    """Ways the name may appear: the full name, then shorter word prefixes of it."""
    words = _LEGAL_SUFFIX.sub("", _one_line(company)).split()
    pats: list[re.Pattern[str]] = []
    for n in range(len(words), 0, -1):
        prefix = " ".join(words[:n])
        if n < len(words) and len(prefix) < 4:
            break
        # Case-sensitive tail check: "MongoDBMongoDB" (glued heading) still ends a match.
        pats.append(re.compile(re.escape(prefix).replace(r"\ ", r"\s*") + r"(?-i:(?![a-z]))", _I))
    return pats


def _name_hits(company: str, text: str) -> list[str]:
    """Spellings of the company name in ``text``, from the most complete pattern that hits.

    Partial names must be capitalised, so that "Aspire" does not match "aspire".
    """
    for i, pat in enumerate(_name_patterns(company)):
        hits = [m.group(0) for m in pat.finditer(text) if i == 0 or m.group(0)[:1].isupper()]
        if hits:
            return hits
    return []


def company_display_name(posting: Posting) -> str:
    """The company name as the posting spells it (e.g. "Telgea" rather than "TELGEA")."""
    hits = _name_hits(posting.company, posting.description)
    if not hits:
        return _one_line(posting.company) or "the company"
    counts = Counter(hits)
    # Most frequent spelling; ties go to the first seen, so the result is stable.
    return _one_line(max(counts, key=lambda s: (counts[s], -hits.index(s))))


def is_intermediary(company: CompanyResearch) -> bool:
    """True when the research found the posting was written by a recruiter for a client."""
    return any(s.type == "intermediary" for s in company.signals)


@dataclass(frozen=True, kw_only=True)
class _Names:
    """Recognises sentences whose subject is the company itself."""

    patterns: tuple[re.Pattern[str], ...]

    def named(self, sentence: str) -> bool:
        return any(p.search(sentence) for p in self.patterns)

    def intro(self, sentence: str) -> bool:
        """'<Company> is a …' or 'We are a …': the sentence introduces the company."""
        if re.match(r"(?:we are|we're|we’re) (?:a|an|the|one of)\b", sentence, _I):
            return True
        return any(
            re.match(
                p.pattern + r"[^.]{0,60}?\b(?:is|are|has been)\s+(?:a|an|the|one of|europe)",
                sentence,
                _I,
            )
            for p in self.patterns[:1]
        )

    def about_company(self, sentence: str) -> bool:
        if _YOU.search(sentence) or _BOILERPLATE.search(sentence) or _ROLE_TALK.search(sentence):
            return False
        starts = re.match(
            r"(?:we\b|we['’]|our\b|at\s|the company\b|they\b|since\b|founded\b|with\b)",
            sentence,
            _I,
        )
        return self.named(sentence) or starts is not None

    def subject(self, sentence: str) -> bool:
        """The sentence opens with the company (or "we") as its subject."""
        lead = self.patterns[0].pattern if self.patterns else "(?!)"
        return re.match(rf"(?:we\b|we['’]|our\b|{lead})", sentence, _I) is not None

    def strip_heading(self, sentence: str) -> str:
        """Drop a run-in heading ("About us", "About <Company>") glued to the sentence."""
        for rx in (_HEADING, *(re.compile(r"about\s+" + p.pattern, _I) for p in self.patterns)):
            m = rx.match(sentence)
            if m and m.end() < len(sentence) and sentence[m.end()].isupper():
                return sentence[m.end() :]
        for p in self.patterns:
            # "The opportunityInception is …": the name glued to a heading's last word.
            glued = re.search(
                r"(?<=[a-z])(?-i:(?=[A-Z]))" + p.pattern + r"(?=[\s’']+(?:is|are|has|was)\b)",
                sentence[:60],
                _I,
            )
            if glued:
                return sentence[glued.start() :]
        return sentence


# --- company research -------------------------------------------------------------------


def _industry(criteria: str) -> str | None:
    m = _INDUSTRY.search(criteria)
    return (_one_line(m.group(1)) or None) if m else None


def _signals(posting: Posting, sentences: list[str], names: _Names, *, named: bool) -> list[Signal]:
    found: dict[str, list[str]] = {t: [] for t in SIGNAL_TYPES}
    industry = _industry(posting.criteria)
    if industry:
        found["industry"].append(f"Industry (from the posting's criteria): {industry}")
    # A recruiter's own sentence ("posted by X on behalf of …") outranks an "apply now" line.
    middlemen = [
        s for s in sentences
        if _INTERMEDIARY.search(s) or (not named and _UNNAMED_EMPLOYER.search(s))
    ]  # fmt: skip
    found["intermediary"] = sorted(middlemen, key=lambda s: bool(_BOILERPLATE.search(s)))
    for sentence in sentences:
        if names.about_company(sentence):
            for kind, rx in _CUES.items():
                if rx.search(sentence):
                    found[kind].append(sentence)
    date, url = posting.posted_at or None, posting.url or None
    return [
        Signal(type=kind, text=text, date=date, source_url=url)
        for kind in SIGNAL_TYPES
        for text in list(dict.fromkeys(found[kind]))[:_PER_TYPE]
    ]


def _summary_sentences(sentences: list[str], names: _Names) -> list[str]:
    """The 1–3 sentences that best say what the company is, in posting order."""
    scored: list[tuple[int, int]] = []
    for i, s in enumerate(sentences):
        opens = names.subject(s) or names.intro(s) or _OPENER.match(s) is not None
        if not opens or not names.about_company(s) or not 8 <= len(s.split()) <= 70:
            continue
        score = (4 if names.intro(s) else 0) + int(names.named(s)) + int(names.subject(s))
        score += min(3, sum(1 for rx in _CUES.values() if rx.search(s)))
        if score >= 2:
            scored.append((score, i))
    best = sorted(scored, key=lambda t: (-t[0], t[1]))[:3]
    return [sentences[i] for _, i in sorted(best, key=lambda t: t[1])]


def _client_sentences(sentences: list[str], *, exclude: list[str]) -> list[str]:
    """Up to three sentences a recruiter wrote about its (unnamed) client."""
    return [
        s for s in sentences
        if s not in exclude and _CLIENT_DESCRIPTION.search(s[:40])
        and not _YOU.search(s) and not _BOILERPLATE.search(s) and len(s.split()) >= 6
    ][:3]  # fmt: skip


def offline_company_research(posting: Posting) -> CompanyResearch:
    """What the posting itself says about the company, quoted, with typed signals."""
    name = company_display_name(posting)
    names = _Names(patterns=tuple(_name_patterns(posting.company)))
    sentences = [names.strip_heading(s) for s in _split_sentences(posting.description)]
    named = bool(_name_hits(posting.company, posting.description))
    signals = _signals(posting, sentences, names, named=named)
    middlemen = [s.text for s in signals if s.type == "intermediary"]
    if middlemen:
        about = _client_sentences(sentences, exclude=middlemen[:1])
    else:
        about = _summary_sentences(sentences, names)
    parts: list[str] = []
    if middlemen:
        parts.append(
            f"{name} appears to be an intermediary (recruiter, job platform or outsourcing "
            f"vendor) posting for a client it does not name: “{middlemen[0]}”"
        )
        if about:
            parts.append("What the posting says about the client:")
    elif not named:
        parts.append(
            f"The posting text never names {name}, so what it says may describe a client or "
            "another organisation rather than the company listed."
        )
    if about:
        parts.append(" ".join(about))
    else:
        silent = "Beyond that, the posting does not describe the client company."
        parts.append(silent if middlemen else f"The posting does not describe {name}.")
    parts.append("Research is offline (posting only).")
    return CompanyResearch(
        company=_one_line(posting.company),
        summary=" ".join(parts),
        signals=tuple(signals),
        offline=True,
        sources=(posting.url,) if posting.url else (),
    )


# --- role research ----------------------------------------------------------------------

_SENIORITY_LABEL = {
    "junior": "junior", "mid": "mid-level", "senior": "senior", "staff": "staff-level",
    "principal": "principal-level", "manager": "manager-level", "director": "director-level",
    "vp": "VP-level", "c_level": "C-level",
}  # fmt: skip
_CATEGORY_LABEL = {
    "ic_engineer": "engineering", "senior_engineer": "senior engineering",
    "staff_principal_engineer": "staff/principal engineering", "tech_lead": "technical leadership",
    "engineering_manager": "engineering management", "head_of_engineering": "engineering leadership",
    "architect": "architecture", "data_ml_engineer": "data/ML engineering",
    "devops_platform": "DevOps/platform", "product_manager": "product management",
    "project_manager": "project management",
}  # fmt: skip
_REMOTE_LABEL = {
    "fully_remote": "fully remote", "hybrid": "hybrid", "onsite": "on-site",
    "not_specified": "remote policy not stated",
}  # fmt: skip
# What an unexplained opening of this kind usually implies; worded as inference, not fact.
_SCOPE_INFERENCE = {
    "engineering_manager": "a team that needs dedicated people leadership, either because it has grown or because a manager is leaving",
    "head_of_engineering": "the company needs one accountable owner for engineering delivery and hiring",
    "architect": "systems or programmes that need an accountable technical design authority",
    "staff_principal_engineer": "technical problems that need senior ownership beyond a single team",
    "tech_lead": "a team that needs hands-on technical direction",
    "product_manager": "a product area that needs an owner for priorities and outcomes",
    "project_manager": "delivery work that needs an owner for schedule, scope and budget",
}  # fmt: skip
_IMPACT = re.compile(
    r"\bscal(?:e|es|ing|able|ability)\b|\bgrow(?:th|ing)?\b|\brevenue\b|\bcustomers?\b|\breliab"
    r"|\bcosts?\b|\befficien|\bperformance\b|\bconversion\b|\bretention\b|\badoption\b|\buptime\b"
    r"|\bavailability\b|\blatency\b|\bsecur(?:e|ity)\b|\bcompliance\b|\bquality\b|\btime[- ]to[- ]market\b"
    r"|\bprofit|\bmargin\b|\bbusiness (?:value|outcomes?|impact|goals)\b|\bproductivity\b|\bsales\b"
    r"|\buser experience\b|\bmeasurable\b",
    _I,
)
_WHY_NOW: tuple[tuple[int, re.Pattern[str]], ...] = (
    (3, re.compile(r"\bbackfill\b|\breplac(?:e|ing|ement) (?:a|our|the) (?:departing|current)\b|\bvacancy\b", _I)),
    (3, re.compile(
        r"\bbrand[- ]new\b|\bnewly (?:created|formed)\b|\bbeing (?:formed|built|created)\b|\bnew (?:ai )?(?:team|function|department|unit)\b"
        r"|\bfirst (?:hire|engineer|\w+ hire)\b|\bfounding\b|\bground floor\b|\bgreenfield\b|\bfrom scratch\b"
        r"|\bbuild out\b|\bstart(?:ing)? (?:a|the) team\b|\bnew (?:product )?initiative\b|\bwith the launch of\b"
        r"|\bwe(?: have|'ve|’ve) (?:just )?launched\b|\btherefore hiring\b|\bto support (?:our|this) growth\b",
        _I,
    )),
    (2, re.compile(r"\blaunch(?:ed|ing)?\b|\bnew products?\b|\bnext[- ]generation\b", _I)),
    (2, re.compile(r"\btransformation\b|\bmigrat(?:e|ion|ing)\b|\bmoderni[sz]|\brebuild", _I)),
    (1, re.compile(r"\bgrowing\b|\bgrows\b|\bexpan(?:d|ding|sion)\b|\bscal(?:e|ing) (?:up|the|our)\b|\bdoubl(?:e|ing)\b|\bhigh[- ]growth\b", _I)),
)  # fmt: skip
_PERSONAL_GROWTH = re.compile(
    r"\b(?:career|professional|personal) (?:growth|development)\b|\bgrow professionally\b|\byour (?:own )?growth\b",
    _I,
)


def _clip(text: str, limit: int) -> str:
    """Shorten at a word boundary, marking the cut, so quotes stay verbatim prefixes."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _quotes(sentences: list[str]) -> str:
    return " ".join(f"“{_clip(s, 280)}”" for s in sentences)


_REQUIREMENT = re.compile(
    r"^(?:experience|proven|\d+\+?\s*years|strong|solid|deep|familiarity|knowledge|bachelor|master"
    r"|degree|proficien|understanding|ability|excellent|hands-on experience)",
    _I,
)


def _role_sentences(jd: ExtractedJD, posting: Posting) -> list[str]:
    """Responsibilities and narrative sentences; requirements and boilerplate left out."""
    pool = [*jd.responsibilities, *(jd.sentences or _split_sentences(posting.description))]
    skip = {_key(x) for x in (*jd.benefits, *jd.qualifications, *jd.nice_to_haves)}
    out: dict[str, str] = {}
    for raw in pool:
        s = _one_line(raw)
        key = _key(s)
        if key in skip or key in out or _BOILERPLATE.search(s) or _REQUIREMENT.match(s):
            continue
        if len(s.split()) >= 5:
            out[key] = s
    return list(out.values())


def _key(text: str) -> str:
    """Comparison key: a responsibility and the sentence it came from compare equal."""
    return re.sub(r"[\W_]+", "", text.lower())


def _business_impact(jd: ExtractedJD, pool: list[str], employer: str) -> str:
    scored = [
        (len({m.group(0).lower() for m in _IMPACT.finditer(s)}), i) for i, s in enumerate(pool)
    ]
    best = sorted((t for t in scored if t[0] >= 2), key=lambda t: (-t[0], t[1]))[:2]
    if best:
        chosen = [pool[i] for _, i in sorted(best, key=lambda t: t[1])]
        return f"The posting ties this role to outcomes for {employer}: {_quotes(chosen)}"
    if jd.responsibilities:
        return (
            "The posting does not state the business impact directly; its main responsibility is: "
            f"{_quotes(list(jd.responsibilities[:1]))}"
        )
    return "The posting does not state the business impact of this role."


def _why_now(jd: ExtractedJD, pool: list[str]) -> str:
    scored: list[tuple[int, int]] = []
    for i, s in enumerate(pool):
        if not _PERSONAL_GROWTH.search(s):
            weight = sum(w for w, rx in _WHY_NOW if rx.search(s))
            if weight:
                scored.append((weight, i))
    best = sorted(scored, key=lambda t: (-t[0], t[1]))[:2]
    if best and best[0][0] >= 3:
        chosen = [pool[i] for w, i in sorted(best, key=lambda t: t[1]) if w >= 2]
        return f"The posting points to why the role is open now: {_quotes(chosen)}"
    scope = _SCOPE_INFERENCE.get(jd.role_category, "added capacity on existing work")
    hint = f" The nearest cue in the posting: {_quotes([pool[best[0][1]]])}" if best else ""
    return (
        "The posting gives no explicit reason why the role is open now. Its scope suggests "
        f"(the posting does not say) {scope}.{hint}"
    )


def offline_role_research(
    posting: Posting, jd: ExtractedJD, company: CompanyResearch
) -> RoleResearch:
    """Role summary, business impact and why-now, composed from the JD and quoted from the posting."""
    name = company_display_name(posting)
    title = _one_line(jd.title or posting.title)
    level, field = _SENIORITY_LABEL.get(jd.seniority, ""), _CATEGORY_LABEL.get(jd.role_category, "")
    kind = field if level and field.startswith(level) else " ".join(x for x in (level, field) if x)
    where = _one_line(jd.location or posting.location)
    if where.lower() in {"not specified", "n/a", "unknown"}:
        where = ""
    middleman = is_intermediary(company)
    employer = f"a client of {name} (not named)" if middleman else name
    role = f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind} role" if kind else "a role"
    parts = [
        f"{title} at {employer}{f' ({where})' if where else ''}: {role}, "
        f"{_REMOTE_LABEL[jd.remote_policy]}."
    ]
    if jd.years_experience is not None:
        parts.append(f"Asks for {jd.years_experience}+ years of experience.")
    if jd.responsibilities:
        parts.append(
            "Main responsibilities: "
            + "; ".join(_clip(r, 120) for r in jd.responsibilities[:3])
            + "."
        )
    else:
        parts.append("The posting lists no distinct responsibilities.")
    if middleman:
        parts.append(f"{name} is recruiting for a client it does not name.")
    pool = _role_sentences(jd, posting)
    return RoleResearch(
        summary=" ".join(parts),
        business_impact=_business_impact(jd, pool, "the client" if middleman else name),
        why_now=_why_now(jd, pool),
        offline=True,
    )
