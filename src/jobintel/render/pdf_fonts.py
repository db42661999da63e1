"""The embedded TrueType font family for PDFs, and text made safe for it.

reportlab ships Bitstream Vera, which covers Latin-1, Latin Extended-A, curly quotes,
en/em dashes, the bullet and the euro sign, so CVs need no system font.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FAMILY = "JobintelVera"
_FILES = {
    FAMILY: "Vera.ttf",
    f"{FAMILY}-Bold": "VeraBd.ttf",
    f"{FAMILY}-Italic": "VeraIt.ttf",
    f"{FAMILY}-BoldItalic": "VeraBI.ttf",
}
# Plain spellings for symbols Vera lacks; anything else uncovered goes through NFKD.
_FALLBACK = {
    "→": "->",
    "←": "<-",
    "↔": "<->",
    "⇒": "=>",
    "≥": ">=",
    "≤": "<=",
    "≠": "!=",
    "≈": "~",
    "★": "*",
    "☆": "*",
    "▪": "•",
    "●": "•",
    "◦": "•",
    "‐": "-",
    "‑": "-",
    "‒": "–",
    "―": "—",
    "\u2009": " ",
    "\u202f": " ",
    "\u00ad": "",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
}


@dataclass(frozen=True)
class FontFamily:
    regular: str
    bold: str
    italic: str
    bold_italic: str


@functools.cache
def font_family() -> FontFamily:
    """Register the Vera family with reportlab (once per process) and return its names."""
    font_dir = Path(reportlab.__file__).resolve().parent / "fonts"
    for name, filename in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(font_dir / filename)))
    family = FontFamily(FAMILY, f"{FAMILY}-Bold", f"{FAMILY}-Italic", f"{FAMILY}-BoldItalic")
    # Lets <b> and <i> in paragraph markup pick the right face.
    addMapping(FAMILY, 0, 0, family.regular)
    addMapping(FAMILY, 1, 0, family.bold)
    addMapping(FAMILY, 0, 1, family.italic)
    addMapping(FAMILY, 1, 1, family.bold_italic)
    return family


@functools.cache
def _covered() -> frozenset[int]:
    family = font_family()
    faces = [pdfmetrics.getFont(n).face for n in (family.regular, family.bold, family.italic)]
    # Glyph 0 is .notdef (an empty box), so a character mapped to it is not covered.
    common = {c for c, glyph in faces[0].charToGlyph.items() if glyph}
    for face in faces[1:]:
        common &= {c for c, glyph in face.charToGlyph.items() if glyph}
    return frozenset(common)


def printable(text: str) -> str:
    """``text`` with every character the font lacks replaced by one it has.

    Vera has no glyph for e.g. CJK, emoji or arrows, and reportlab would write such a
    character as a NUL into the text layer, garbling it for ATS parsers. So: a symbol with
    a known plain spelling is spelled out (``→`` → ``->``); a letter with a covered NFKD
    form takes it (``ﬁ`` → ``fi``); other symbols, marks and control characters are
    dropped (emoji decorate, they do not inform), separators become spaces, and anything
    else becomes ``?``.
    """
    covered = _covered()
    if all(ord(c) in covered for c in text):
        return text
    out: list[str] = []
    for ch in text:
        if ord(ch) in covered:
            out.append(ch)
        elif ch in _FALLBACK:
            out.append(_FALLBACK[ch])
        elif ch in "\t\n\r" or unicodedata.category(ch)[0] == "Z":
            out.append(" ")
        else:
            decomposed = unicodedata.normalize("NFKD", ch)
            if decomposed != ch and all(ord(c) in covered for c in decomposed):
                out.append(decomposed)
            elif unicodedata.category(ch)[0] not in "SMC":
                out.append("?")
    return "".join(out)
