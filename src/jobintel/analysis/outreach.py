"""Synthetic role-based contacts and outreach drafts that claim nothing beyond the master CV.

The deterministic ``people`` strategy cannot look anyone up, so it names the roles worth
contacting ("Hiring manager at Acme"), never a person, and drafts a LinkedIn note, an InMail
and an email for each. Every claim about the candidate is a verbatim CV bullet; the greeting
is a placeholder the user fills in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobintel.analysis.research import company_display_name, is_intermediary
from jobintel.models import (
    CompanyResearch,
    Contact,
    ExtractedJD,
    MasterCV,
    OutreachDraft,
    PeopleResult,
    Posting,
)

__all__ = ["LINKEDIN_NOTE_LIMIT", "draft_outreach", "strongest_facts"]

LINKEDIN_NOTE_LIMIT = 300
_GREETING = "Hi [Name],"


@dataclass(frozen=True, kw_only=True)
class _Target:
    """A role worth contacting and how to write to it."""

    kind: str  # "hiring_manager" | "recruiter" | "peer"
    label: str
    likely: str
    why: str


_RECRUITER = ("Technical recruiter", "likely the talent partner for engineering roles")
_NON_ENGINEERING = {"product_manager", "project_manager", "other"}
# (label, likely holder) of the hiring manager and a peer, by role category.
_BY_CATEGORY: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "engineering_manager": (("Hiring manager", "likely VP/Head of Engineering"), ("Peer engineering manager", "an engineering manager on a sibling team")),
    "head_of_engineering": (("Hiring manager", "likely CTO or CEO/founder"), ("Product leader", "likely VP/Head of Product, the closest partner of this role")),
    "architect": (("Hiring manager", "likely CTO / Chief Architect"), ("Engineering or delivery lead", "a lead who would work with the architect day to day")),
    "staff_principal_engineer": (("Hiring manager", "likely Director/Head of Engineering"), ("Staff or principal engineer", "a senior engineer on the same platform")),
    "tech_lead": (("Hiring manager", "likely the Engineering Manager of the team"), ("Senior engineer", "an engineer on the team")),
    "data_ml_engineer": (("Hiring manager", "likely Head of Data / ML Engineering"), ("Senior ML or data engineer", "an engineer on the team")),
    "devops_platform": (("Hiring manager", "likely Head of Platform / Infrastructure"), ("Senior platform engineer", "an engineer on the platform team")),
    "product_manager": (("Hiring manager", "likely VP/Head of Product"), ("Engineering lead", "the engineering counterpart of this product area")),
    "project_manager": (("Hiring manager", "likely Head of PMO / Delivery"), ("Delivery lead", "a delivery or programme lead")),
}  # fmt: skip
_DEFAULT = (
    ("Hiring manager", "likely the manager of the team"),
    ("Team member", "someone on the team"),
)
_EXECUTIVE = {"vp", "c_level"}


def _safe(text: str, limit: int) -> str:
    """Posting text is untrusted: one line, no Markdown or brackets, clipped at a word."""
    text = re.sub(r"[\r\n\t]+", " ", text).replace("|", " – ")
    text = re.sub(r"\(?\b(?:https?://|www\.)\S*", " ", text)
    text = re.sub(r"[*_#`>\[\]<|~\\]+|\(\s*\)", " ", text)
    return _clip(" ".join(text.split()).strip(" -–—:;,"), limit)


def _clip(text: str, limit: int) -> str:
    """Shorten at a word boundary and mark the cut, so a quote stays a verbatim prefix."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:–—-")
    return f"{cut}…"


def _targets(jd: ExtractedJD, company: str, middleman: bool) -> list[_Target]:
    """2–3 synthetic contacts for this kind of role."""
    if middleman:
        return [
            _Target(kind="recruiter", label=f"Recruiter at {company}", likely="the recruiter handling this role",
                    why=f"{company} posted the role for a client it does not name; its recruiter is the only door the posting shows."),
            _Target(kind="hiring_manager", label="Hiring manager at the client company", likely="not named in the posting",
                    why="The employer is not named, so ask the recruiter who the hiring manager is before writing to them."),
        ]  # fmt: skip
    (hm_label, hm_likely), (peer_label, peer_likely) = _BY_CATEGORY.get(jd.role_category, _DEFAULT)
    if jd.seniority in _EXECUTIVE and jd.role_category not in {"head_of_engineering"}:
        hm_likely = "likely a C-level executive (CTO, CEO or COO)"
    recruiter, recruiter_likely = (
        ("Recruiter", "likely the talent partner for this team")
        if jd.role_category in _NON_ENGINEERING else _RECRUITER
    )  # fmt: skip
    return [
        _Target(kind="hiring_manager", label=f"{hm_label} at {company}", likely=hm_likely,
                why="Decides on the hire and can speak to what the role must deliver."),
        _Target(kind="recruiter", label=f"{recruiter} at {company}", likely=recruiter_likely,
                why="Runs the process and can confirm status, timeline and who else to talk to."),
        _Target(kind="peer", label=f"{peer_label} at {company}", likely=peer_likely,
                why="Can describe how the team works day to day; a conversation, not a referral request."),
    ]  # fmt: skip


def _terms(jd: ExtractedJD) -> list[str]:
    return list(
        dict.fromkeys(
            t.strip().lower() for t in (*jd.technical_skills, *jd.top_keywords) if t.strip()
        )
    )


def _mentions(text: str, term: str) -> bool:
    return re.search(rf"(?<![\w+#]){re.escape(term)}(?![\w+#])", text, re.IGNORECASE) is not None


def strongest_facts(cv: MasterCV, jd: ExtractedJD, limit: int = 2) -> list[str]:
    """The CV bullets that overlap most with the JD's skills and keywords, verbatim.

    Ties go to bullets with a number (a concrete result), then to CV order.
    """
    terms = _terms(jd)
    scored = []
    for order, bullet in enumerate(cv.all_bullets()):
        overlap = sum(1 for t in terms if _mentions(bullet.text, t))
        has_number = re.search(r"\d", bullet.text) is not None
        scored.append((-overlap, not has_number, order, bullet.text.strip()))
    return [text for *_, text in sorted(scored)[:limit] if text]


def _shared_skills(cv: MasterCV, jd: ExtractedJD, limit: int = 3) -> list[str]:
    """JD skills the CV itself names (in skills or bullets), in JD order."""
    cv_text = " ".join([*cv.skill_names(), *(b.text for b in cv.all_bullets())])
    picked = [s for s in dict.fromkeys(jd.technical_skills) if _mentions(cv_text, s)]
    return [_safe(s, 40) for s in picked[:limit]]


def _series(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _inline(fact: str, limit: int) -> str:
    """A CV bullet for running text, ending in exactly one full stop (or the cut mark)."""
    clipped = _clip(fact.rstrip(". "), limit)
    return clipped if clipped.endswith("…") else f"{clipped}."


def _note(target: _Target, me: str, title: str, where: str, facts: list[str]) -> str:
    intro = f"{_GREETING} I'm {me}, interested in the {title} role {where}."
    if target.kind == "peer":
        options = [f"{intro} I'd value your view of how the team works. Happy to connect."]
    else:
        ask = "Could we connect?" if target.kind == "recruiter" else "I'd welcome connecting."
        lead = " From my CV: "
        # Give the CV fact whatever room the note has left, so the result survives the cut.
        room = LINKEDIN_NOTE_LIMIT - len(intro) - len(lead) - len(ask) - 1
        fact = f"{lead}{_inline(facts[0], room)}" if facts and room >= 60 else ""
        options = [f"{intro}{fact} {ask}", f"{intro} {ask}"]
    for option in options:
        if len(option) <= LINKEDIN_NOTE_LIMIT:
            return option
    return _clip(options[-1], LINKEDIN_NOTE_LIMIT)


def _about_me(cv: MasterCV) -> str:
    """The CV's first (most recent, by CV convention) role, in the CV's own words."""
    if not cv.roles or not cv.roles[0].title or not cv.roles[0].employer:
        return ""
    role = cv.roles[0]
    title, employer = " ".join(role.title.split()), " ".join(role.employer.split())
    if role.end.strip().lower() in {"present", "current", "now", "today"}:
        return f" I'm currently {title} at {employer}."
    return f" Most recently I was {title} at {employer}."


def _ask(kind: str) -> str:
    if kind == "recruiter":
        return ("Could you tell me where the process for this role stands and whether my profile "
                "fits what the team is looking for? I'm happy to send my CV.")  # fmt: skip
    if kind == "peer":
        return ("I'm not asking for a referral; I'd value 15 minutes of your view on how the team "
                "works and what makes someone successful there.")  # fmt: skip
    return ("I'd welcome a short conversation about what matters most in this role in the first "
            "months, and I'm happy to share my CV.")  # fmt: skip


def _draft(
    target: _Target, cv: MasterCV, jd: ExtractedJD, title: str, where: str, facts: list[str]
) -> OutreachDraft:
    me = _safe(cv.name, 60) or "[Your name]"
    skills = _shared_skills(cv, jd)
    overlap = (f" The posting's emphasis on {_series(skills)} is close to the work described in my CV."
               if skills else "")  # fmt: skip
    opening = f"I'm {me}, and I'm writing about the {title} role {where}.{_about_me(cv)}"
    sign = f"Best regards,\n{me}"
    inmail_fact = f"\n\nOne example from my CV: “{_inline(facts[0], 320)}”" if facts else ""
    inmail = f"{_GREETING}\n\n{opening}{overlap}{inmail_fact}\n\n{_ask(target.kind)}\n\n{sign}"
    email_facts = "".join(f"\n- “{_inline(f, 320)}”" for f in facts)
    email_body = f"\n\nTwo examples from my CV:{email_facts}" if len(facts) > 1 else inmail_fact
    email = (
        f"{_GREETING}\n\n{opening}{overlap}{email_body}\n\n{_ask(target.kind)} "
        f"Thank you for your time.\n\n{sign}"
    )
    return OutreachDraft(
        contact=target.label,
        linkedin_note=_note(target, me, title, where, facts),
        inmail_subject=_clip(f"{title} role {where}", 120),
        inmail=inmail,
        email_subject=_clip(f"{title} role {where}: {me}", 150),
        email=email,
    )


def draft_outreach(
    posting: Posting, jd: ExtractedJD, company: CompanyResearch, cv: MasterCV
) -> PeopleResult:
    """Synthetic role-based contacts and a LinkedIn note, InMail and email for each."""
    name = _safe(company_display_name(posting), 60) or "the company"
    title = _safe(jd.title or posting.title, 90) or "open"
    middleman = is_intermediary(company)
    # A recruiter's posting is not the employer's: say who posted it, not "at Jobgether".
    where = f"posted by {name}" if middleman else f"at {name}"
    targets = _targets(jd, name, middleman)
    facts = strongest_facts(cv, jd)
    contacts = tuple(
        Contact(
            name=t.label,
            title=f"{t.label.split(' at ')[0]} ({t.likely})",
            why=f"Synthetic contact: a role, not a person we found. {t.why}",
            synthetic=True,
        )
        for t in targets
    )
    drafts = tuple(_draft(t, cv, jd, title, where, facts) for t in targets)
    return PeopleResult(contacts=contacts, drafts=drafts)
