"""Posting lines that address a language model instead of a candidate.

Such a line is never a need of the employer: it is dropped before anything quotes it back
(pain points, the cover letter), so an injected instruction cannot reach a document.
"""

from __future__ import annotations

import re

_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+)?"
    r"(?:previous|prior|above|earlier|preceding|your)\s+(?:instructions?|prompts?|rules?|directions?)"
    r"|\b(?:system|developer)\s+prompt\b"
    r"|\byou\s+are\s+now\s+(?:in\s+)?(?:an?\s+)?(?:admin|developer|dan|jailbreak|unrestricted)"
    r"|\b(?:as|you\s+are)\s+an?\s+(?:ai|language\s+model|llm|assistant)\b"
    r"|\b(?:chatgpt|gpt-\d|claude|gemini|llm)s?\b.{0,40}\b(?:must|should|will|output|say|write|rate)\b"
    r"|\boutput\s+(?:a\s+)?(?:score|rating)\s+of\b"
    r"|\b(?:add|insert|include)\s+['\"].{1,80}['\"]\s+(?:to|in|into)\s+(?:the|your|my)\s+(?:cv|resume|résumé)",
    re.IGNORECASE,
)


def looks_like_instruction(text: str) -> bool:
    """True when ``text`` reads as an instruction to an AI model (a prompt injection)."""
    return _INSTRUCTION.search(text) is not None
