"""Output folders stay inside the output root and are stable per posting."""

from __future__ import annotations

import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobintel.render.artifacts import write_artifact
from jobintel.render.paths import KEY_MARKER, job_output_dir, slugify

KEY_A = "a1b2c3d4" + "0" * 56
KEY_B = "ffee9988" + "1" * 56
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def test_slugify_folds_accents_to_ascii() -> None:
    """Accented letters become their ASCII base and spaces become dashes."""
    assert slugify("Señor Müller & Söhne — Café") == "senor-muller-and-sohne-cafe"


@pytest.mark.parametrize("text", ["", "   ", "!!!", "漢字", "🚀", "..", "."])
def test_slugify_is_never_empty(text: str) -> None:
    """Text with nothing sluggable yields "untitled", never "", "." or ".."."""
    assert slugify(text) == "untitled"


@pytest.mark.parametrize("name", ["CON", "nul", "Aux", "com1", "LPT9"])
def test_slugify_suffixes_windows_reserved_names(name: str) -> None:
    """Windows device names get a suffix so the folder can exist on Windows."""
    slug = slugify(name)
    assert slug != name.lower()
    assert slug.startswith(name.lower())


def test_slugify_cuts_long_names_at_a_word_boundary() -> None:
    """A long title is cut to max_len at a dash, without a trailing dash."""
    slug = slugify("Senior Staff Principal Machine Learning Platform Engineer " * 3, max_len=40)
    assert len(slug) <= 40
    assert slug == "senior-staff-principal-machine-learning"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_slugify_output_is_always_a_safe_slug(text: str) -> None:
    """Whatever the input, the slug is 1–60 chars of [a-z0-9] joined by single dashes."""
    slug = slugify(text)
    assert 1 <= len(slug) <= 60
    assert SLUG.fullmatch(slug)


@pytest.mark.parametrize(
    ("company", "title"),
    [
        ("../../etc", "passwd"),
        ("..", ".."),
        ("/abs/path", "/etc/shadow"),
        ("", ""),
        ("C:\\Windows\\System32", "role\x00name"),
        ("Ünïcödé Gmbh 株式会社", "Ingeniero/a de Datos — Señor"),
        ("A" * 5000, "B " * 5000),
    ],
)
def test_job_output_dir_stays_inside_out_root(tmp_path: Path, company: str, title: str) -> None:
    """Hostile, empty, unicode and huge names still give a two-level folder inside out_root."""
    root = tmp_path / "out"
    folder = job_output_dir(root, company, title, KEY_A)
    assert folder.resolve().is_relative_to(root.resolve())
    assert folder.parent.parent == root.resolve()
    assert folder.is_dir()
    assert len(folder.name) <= 60
    assert len(folder.parent.name) <= 60


def test_same_posting_gets_the_same_folder_on_a_rerun(tmp_path: Path) -> None:
    """Re-running one posting (same dedupe key) reuses its folder, files and all."""
    first = job_output_dir(tmp_path, "Acme", "Lead AI Engineer", KEY_A)
    (first / "dossier.md").write_text("old run", encoding="utf-8")
    second = job_output_dir(tmp_path, "Acme", "Lead AI Engineer", KEY_A)
    assert second == first == tmp_path.resolve() / "acme" / "lead-ai-engineer"
    assert (first / KEY_MARKER).read_text(encoding="utf-8").strip() == KEY_A


def test_different_posting_with_same_company_and_title_gets_its_own_folder(tmp_path: Path) -> None:
    """A second posting with the same company and title gets a key-suffixed folder, stably."""
    a = job_output_dir(tmp_path, "Acme", "Lead AI Engineer", KEY_A)
    b = job_output_dir(tmp_path, "Acme", "Lead AI Engineer", KEY_B)
    assert a != b
    assert b.name == "lead-ai-engineer-ffee9988"
    assert job_output_dir(tmp_path, "Acme", "Lead AI Engineer", KEY_B) == b
    assert job_output_dir(tmp_path, "Acme", "Lead AI Engineer", KEY_A) == a


def test_taken_set_separates_postings_within_one_batch(tmp_path: Path) -> None:
    """Without writing markers, the caller's taken set still keeps two postings apart."""
    taken: set[Path] = set()
    a = job_output_dir(tmp_path, "Acme", "Data Engineer", KEY_A, taken, claim=False)
    taken.add(a)
    b = job_output_dir(tmp_path, "Acme", "Data Engineer", KEY_B, taken, claim=False)
    assert a != b
    assert not a.exists()
    assert not b.exists()


def test_folder_with_foreign_files_is_not_taken_over(tmp_path: Path) -> None:
    """A folder that has files but no marker belongs to someone else and is left alone."""
    foreign = tmp_path / "acme" / "data-engineer"
    foreign.mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    folder = job_output_dir(tmp_path, "Acme", "Data Engineer", KEY_A)
    assert folder != foreign.resolve()
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (foreign / KEY_MARKER).exists()


def test_symlink_escaping_out_root_is_refused(tmp_path: Path) -> None:
    """A company folder symlinked outside out_root is refused, not written through."""
    root = tmp_path / "out"
    root.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "acme").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValueError, match="outside"):
        job_output_dir(root, "Acme", "Data Engineer", KEY_A)
    assert list(outside.iterdir()) == []


def test_write_artifact_reports_hash_and_size(tmp_path: Path) -> None:
    """write_artifact writes UTF-8 text and returns its sha256, size, kind and path."""
    text = "# Dossier — café €\n"
    ref = write_artifact(tmp_path / "job", "dossier.md", text, "dossier_md")
    data = (tmp_path / "job" / "dossier.md").read_bytes()
    assert data == text.encode("utf-8")
    assert ref.bytes == len(data)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.kind == "dossier_md"
    assert Path(ref.path) == tmp_path / "job" / "dossier.md"


def test_write_artifact_replaces_without_leaving_temp_files(tmp_path: Path) -> None:
    """Overwriting an artifact leaves only the new content and no temporary files behind."""
    write_artifact(tmp_path, "cv.pdf", b"old", "cv_pdf")
    write_artifact(tmp_path, "cv.pdf", b"new bytes", "cv_pdf")
    assert [p.name for p in tmp_path.iterdir()] == ["cv.pdf"]
    assert (tmp_path / "cv.pdf").read_bytes() == b"new bytes"


def test_write_artifact_respects_the_umask(tmp_path: Path) -> None:
    """Artifacts get the permissions of any new file (0o666 minus the umask), not owner-only."""
    old = os.umask(0o022)
    try:
        write_artifact(tmp_path, "outreach.md", "hi", "outreach_md")
    finally:
        os.umask(old)
    assert (tmp_path / "outreach.md").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("name", ["", ".", "..", "../x.md", "a/b.md", "a\\b.md"])
def test_write_artifact_refuses_names_that_are_paths(tmp_path: Path, name: str) -> None:
    """An artifact name with a separator or a dot-name is refused before anything is written."""
    with pytest.raises(ValueError, match="plain file name"):
        write_artifact(tmp_path / "job", name, "x", "dossier_md")
    assert not (tmp_path / "job").exists()


def test_concurrent_claims_never_share_a_folder(tmp_path: Path) -> None:
    """Postings claiming the same company/title at once each end up in their own folder."""
    keys = [f"{i:02x}" * 32 for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        folders = list(pool.map(lambda k: job_output_dir(tmp_path, "Acme", "SRE", k), keys))
    assert len(set(folders)) == len(keys)
    for key, folder in zip(keys, folders, strict=True):
        assert (folder / KEY_MARKER).read_text(encoding="utf-8").strip() == key
