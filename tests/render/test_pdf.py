"""The CV PDF: real, extractable text in the CV's order, embedded font, same bytes every time."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, PdfObject

from jobintel.render import render_cv_pdf
from tests.render.fixtures import SAMPLES

# Long bullets that wrap, with the characters CVs really contain.
EXTRA_BULLETS = [
    "Saved €1.2M per year — about 14% of the logistics budget — by renegotiating carrier "
    "contracts with Señor Núñez’s procurement team in São Paulo and Zürich, and by moving "
    "“last-mile” routing from a vendor tool to an in-house optimiser.",
    "Mentored the Sevilla and Málaga engineers (Ana Muñoz, Björn Ångström, Zoë Brontë) "
    "through their first on-call rotations – a 3–5 day ramp-up instead of 2 weeks – and "
    "co-wrote the ‘incident review’ guide now used company-wide.",
    "Cut p95 latency from 840 ms to 95 ms (−89%) for the pricing API serving 12k req/s; "
    "wrote the post-mortem “Why our cache lied” & presented it at PyCon España.",
]


def _sample_cv() -> str:
    """The sample master CV as a cv.md, with extra long, accented, symbol-heavy bullets."""
    text = (SAMPLES / "master-cv.md").read_text(encoding="utf-8")
    extra = "\n".join(f"- {b}" for b in EXTRA_BULLETS)
    return text.replace("## Skills", f"### Consultant — Freelance · 2014\n\n{extra}\n\n## Skills")


def _long_cv() -> str:
    """A CV long enough for three pages: the sample's roles repeated under new headers."""
    text = (SAMPLES / "master-cv.md").read_text(encoding="utf-8")
    experience = text.split("## Experience", 1)[1].split("## Skills", 1)[0]
    copies = [
        re.sub(r"^### (.+)$", rf"### \1 (engagement {i})", experience, flags=re.M)
        for i in range(1, 4)
    ]
    head, tail = text.split("## Skills", 1)
    return head + "".join(copies) + "## Skills" + tail


def _bullets(markdown: str) -> list[str]:
    """Every list item of ``markdown`` as plain text (inline ** and * markers removed)."""
    items = [line[2:] for line in markdown.splitlines() if line.startswith("- ")]
    return [re.sub(r"\*{1,2}([^*]+)\*{1,2}", r"\1", item) for item in items]


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _dict(obj: object) -> DictionaryObject:
    resolved = obj.get_object() if isinstance(obj, PdfObject) else obj
    assert isinstance(resolved, DictionaryObject)
    return resolved


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _assert_in_order(needles: list[str], haystack: str) -> None:
    position = 0
    for needle in needles:
        found = haystack.find(_collapse(needle), position)
        assert found >= 0, f"not found after offset {position}: {needle!r}"
        position = found + len(_collapse(needle))


def test_every_bullet_round_trips_in_order() -> None:
    """Each bullet of the sample cv.md is recoverable, in order, from the PDF's text."""
    markdown = _sample_cv()
    pages, text = _text(render_cv_pdf(markdown))
    bullets = _bullets(markdown)
    assert len(bullets) > 25
    assert pages >= 1
    _assert_in_order(bullets, _collapse(text))


def test_wrapped_lines_do_not_split_words() -> None:
    """Long bullets wrap across lines only at spaces: every word of the CV is intact."""
    markdown = _sample_cv()
    _, text = _text(render_cv_pdf(markdown))
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) > len(_bullets(markdown))  # some bullets really did wrap
    extracted_words = set(text.split())
    for bullet in _bullets(markdown):
        for word in bullet.split():
            assert word in extracted_words, word


def test_multi_page_cv_round_trips_in_order() -> None:
    """A CV longer than two pages keeps every bullet, in order, across the page breaks."""
    markdown = _long_cv()
    pages, text = _text(render_cv_pdf(markdown))
    assert pages >= 2
    _assert_in_order(_bullets(markdown), _collapse(text))


def test_name_and_headings_are_extractable_text() -> None:
    """The name, section headings and role headers are real text, and Markdown syntax is gone."""
    _, text = _text(render_cv_pdf(_sample_cv()))
    flat = _collapse(text)
    assert flat.startswith("Jordan Reyes")
    _assert_in_order(
        [
            "Summary",
            "Experience",
            "Head of Applied AI — Lumen Freight GmbH (Berlin) · 2022-03 – present",
            "Skills",
            "Languages: Python (expert)",
            "Education",
            "Universidad Politécnica de Madrid",
            "Certifications",
            "Projects",
        ],
        flat,
    )
    assert "**" not in flat
    assert "## " not in flat


def test_inline_markup_links_and_html_become_text() -> None:
    """Links keep their text, unsafe links and raw HTML are shown as text, & < > survive."""
    markdown = (
        "# Ana Muñoz\n\n## Links\n\n"
        "- Portfolio: [ana.example](https://ana.example/work) and *italic* and **bold**\n"
        "- Escapes: a < b && c > d <script>alert(1)</script>\n"
        "- [bad](javascript:alert(1))\n"
    )
    pdf = render_cv_pdf(markdown)
    flat = _collapse(_text(pdf)[1])
    assert "Portfolio: ana.example and italic and bold" in flat
    assert "Escapes: a < b && c > d <script>alert(1)</script>" in flat
    assert b"https://ana.example/work" in pdf
    assert b"javascript:" not in pdf.replace(b"\n", b"")


def test_font_is_embedded_vera() -> None:
    """Every font the text uses is an embedded subset of the Vera TrueType family."""
    reader = PdfReader(io.BytesIO(render_cv_pdf(_sample_cv())))
    fonts: dict[str, DictionaryObject] = {}
    for page in reader.pages:
        for ref in _dict(_dict(page["/Resources"])["/Font"]).values():
            font = _dict(ref)
            fonts[str(font["/BaseFont"])] = font
    assert fonts
    for name, font in fonts.items():
        assert "BitstreamVeraSans" in name
        assert "/FontFile2" in _dict(font["/FontDescriptor"])


def test_characters_missing_from_the_font_never_become_nul() -> None:
    """Arrows, CJK and emoji, which Vera lacks, turn into plain text, not NUL characters."""
    _, text = _text(render_cv_pdf("# Li Wei\n\n- Led A → B migration 🚀 at 北京 office\n"))
    assert "\x00" not in text
    assert "Led A -> B migration at ?? office" in _collapse(text)


def test_pdf_is_byte_identical_across_renders() -> None:
    """Rendering the same cv.md twice gives the same bytes (no timestamps or random ids)."""
    markdown = _sample_cv()
    assert render_cv_pdf(markdown) == render_cv_pdf(markdown)


@pytest.mark.slow
def test_pdf_is_byte_identical_in_a_fresh_process() -> None:
    """A fresh interpreter renders the same bytes: nothing depends on process state."""
    markdown = _sample_cv()
    script = (
        "import sys; from jobintel.render import render_cv_pdf; "
        "sys.stdout.buffer.write(render_cv_pdf(sys.stdin.read()))"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", script],
        input=markdown.encode("utf-8"),
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    render_cv_pdf("# Warm-up\n\n- other text first\n")  # shift any in-process counters
    assert fresh == render_cv_pdf(markdown)


def test_empty_markdown_still_gives_a_valid_pdf() -> None:
    """An empty cv.md renders to a one-page, readable PDF instead of failing."""
    pages, text = _text(render_cv_pdf(""))
    assert pages == 1
    assert text.strip() == ""
