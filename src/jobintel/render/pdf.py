"""The tailored CV as an ATS-friendly PDF: one column of real text, no tables or images."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from markdown_it import MarkdownIt
from markdown_it.token import Token
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, HRFlowable, Paragraph, SimpleDocTemplate, Spacer

from jobintel.render.pdf_fonts import FontFamily, font_family, printable
from jobintel.render.view import safe_url

BULLET = "•"
_INK = colors.HexColor("#1d2329")
_MUTED = colors.HexColor("#4a545e")
_LINK_HEX = "#1a4f8b"


@dataclass(frozen=True)
class _Styles:
    name: ParagraphStyle
    contact: ParagraphStyle
    section: ParagraphStyle
    subheading: ParagraphStyle
    body: ParagraphStyle
    quote: ParagraphStyle
    item: ParagraphStyle


@functools.cache
def _styles() -> _Styles:
    f: FontFamily = font_family()
    body = ParagraphStyle(
        "cv-body",
        fontName=f.regular,
        fontSize=10,
        leading=13.5,
        textColor=_INK,
        spaceAfter=4,
        # Words are never split or hyphenated, whatever a local reportlab config says, so
        # every word of the CV survives text extraction intact (ATS parsers, our tests).
        splitLongWords=0,
        hyphenationLang="",
        embeddedHyphenation=0,
        uriWasteReduce=0,
    )
    return _Styles(
        name=ParagraphStyle(
            "cv-name", body, fontName=f.bold, fontSize=20, leading=24, spaceAfter=4
        ),
        contact=ParagraphStyle("cv-contact", body, fontSize=9.5, textColor=_MUTED, spaceAfter=6),
        section=ParagraphStyle(
            "cv-section",
            body,
            fontName=f.bold,
            fontSize=12.5,
            leading=16,
            spaceBefore=10,
            spaceAfter=2,
            keepWithNext=1,
        ),
        subheading=ParagraphStyle(
            "cv-subheading",
            body,
            fontName=f.bold,
            fontSize=10.5,
            leading=14,
            spaceBefore=6,
            spaceAfter=2,
            keepWithNext=1,
        ),
        body=body,
        quote=ParagraphStyle("cv-quote", body, fontName=f.italic, leftIndent=12, textColor=_MUTED),
        item=ParagraphStyle(
            "cv-item", body, leftIndent=12, bulletIndent=2, bulletFontName=f.regular, spaceAfter=2.5
        ),
    )


@functools.cache
def _parser() -> MarkdownIt:
    # No raw HTML (it is shown as text) and no typographer: the CV's characters stay as written.
    return MarkdownIt("commonmark", {"html": False, "typographer": False})


def render_cv_pdf(cv_markdown: str, *, title: str | None = None) -> bytes:
    """A PDF of ``cv_markdown``: the first ``#`` heading is the name, ``##`` are sections.

    Bullets become paragraphs with a bullet character; bold, italics and http(s) links are
    kept, anything else inline is plain text. The font is embedded (Vera, from reportlab),
    and the output is byte-for-byte the same for the same input.
    """
    tokens = _parser().parse(cv_markdown)
    flowables = _Builder(_styles()).build(tokens)
    name = _first_heading(tokens) or "Curriculum vitae"
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title or f"{name} — CV",
        author=name,
        subject="Curriculum vitae",
        creator="jobintel",
        invariant=1,  # fixed dates and document id: same CV, same bytes
        pageCompression=1,
        initialFontName=font_family().regular,  # no stray, unembedded Helvetica reference
    )
    doc.build(flowables or [Spacer(1, 1)])
    return buffer.getvalue()


def _first_heading(tokens: Sequence[Token]) -> str:
    for i, tok in enumerate(tokens[:-1]):
        if tok.type == "heading_open" and tok.tag == "h1":
            return _plain(tokens[i + 1])
    return ""


def _plain(inline: Token) -> str:
    return "".join(c.content for c in inline.children or () if c.type in ("text", "code_inline"))


@dataclass
class _Builder:
    """Walks markdown-it tokens and emits platypus flowables."""

    styles: _Styles
    out: list[Flowable] = field(default_factory=list)
    lists: list[list[int]] = field(default_factory=list)  # per open list: [ordinal or -1]
    item_started: bool = False
    quote_depth: int = 0
    seen_name: bool = False
    after_name: bool = False

    def build(self, tokens: Sequence[Token]) -> list[Flowable]:
        heading = ""
        for tok in tokens:
            if tok.type == "heading_open":
                heading = tok.tag
            elif tok.type == "inline" and heading:
                self._heading(heading, tok.children or [])
                heading = ""
            elif tok.type == "inline":
                self._paragraph(_markup(tok.children or []))
            elif tok.type == "bullet_list_open":
                self.lists.append([-1])
            elif tok.type == "ordered_list_open":
                self.lists.append([int(tok.attrGet("start") or 1)])
            elif tok.type in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
            elif tok.type == "list_item_open":
                self.item_started = True
            elif tok.type == "blockquote_open":
                self.quote_depth += 1
            elif tok.type == "blockquote_close":
                self.quote_depth -= 1
            elif tok.type in ("fence", "code_block"):
                for line in tok.content.rstrip("\n").split("\n"):
                    self._paragraph(escape(printable(line)) or "&nbsp;")
            elif tok.type == "hr":
                self.out.append(_rule(self.styles))
        return self.out

    def _heading(self, tag: str, children: list[Token]) -> None:
        text = _markup(children)
        if tag == "h1" and not self.seen_name:
            self.seen_name = self.after_name = True
            self.out.append(Paragraph(text, self.styles.name))
            return
        self.after_name = False
        if tag in ("h1", "h2"):
            self.out.append(Paragraph(text, self.styles.section))
            rule = _rule(self.styles)
            rule.keepWithNext = 1  # a section heading never ends a page on its own
            self.out.append(rule)
        else:
            self.out.append(Paragraph(text, self.styles.subheading))

    def _paragraph(self, text: str) -> None:
        if not text.strip():
            return
        if self.lists:
            self._item(text)
        elif self.quote_depth:
            self.out.append(Paragraph(text, self.styles.quote))
        elif self.after_name:
            self.out.append(Paragraph(text, self.styles.contact))
        else:
            self.out.append(Paragraph(text, self.styles.body))
        self.after_name = False

    def _item(self, text: str) -> None:
        depth = len(self.lists) - 1
        indent = 12 + 14 * depth
        style = ParagraphStyle(
            f"cv-item-{depth}", self.styles.item, leftIndent=indent, bulletIndent=indent - 10
        )
        if not self.item_started:  # a later paragraph of the same item: no second bullet
            self.out.append(Paragraph(text, style))
            return
        self.item_started = False
        current = self.lists[-1]
        if current[0] < 0:
            bullet = BULLET
        else:
            bullet = f"{current[0]}."
            current[0] += 1
        self.out.append(Paragraph(text, style, bulletText=bullet))


def _rule(styles: _Styles) -> HRFlowable:
    return HRFlowable(width="100%", thickness=0.6, color=_MUTED, spaceBefore=0, spaceAfter=4)


def _markup(children: Sequence[Token]) -> str:
    """reportlab paragraph markup for markdown-it inline tokens (text escaped)."""
    parts: list[str] = []
    open_links: list[bool] = []
    for tok in children:
        kind = tok.type
        if kind in ("text", "code_inline"):
            parts.append(escape(printable(tok.content)))
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("<br/>")
        elif kind == "strong_open":
            parts.append("<b>")
        elif kind == "strong_close":
            parts.append("</b>")
        elif kind == "em_open":
            parts.append("<i>")
        elif kind == "em_close":
            parts.append("</i>")
        elif kind == "link_open":
            href = safe_url(str(tok.attrGet("href") or "")) or _mailto(tok.attrGet("href"))
            open_links.append(href is not None)
            if href is not None:
                parts.append(f'<a href={quoteattr(href)} color="{_LINK_HEX}">')
        elif kind == "link_close":
            if open_links and open_links.pop():
                parts.append("</a>")
        elif kind == "image":
            parts.append(escape(printable(tok.content)))
    return "".join(parts).strip()


def _mailto(href: str | int | float | None) -> str | None:
    value = str(href or "")
    return value if value.lower().startswith("mailto:") and " " not in value else None
