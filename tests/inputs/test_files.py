"""Safe reading of user files: size cap, binaries, encodings."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from jobintel.errors import InputError
from jobintel.inputs import read_text_and_bytes, read_text_file

LIMIT = 1_000_000


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _error(path: Path, max_bytes: int = LIMIT) -> InputError:
    with pytest.raises(InputError) as info:
        read_text_file(path, max_bytes=max_bytes, expected="the posting text")
    return info.value


def test_reads_utf8_and_normalises_newlines(tmp_path: Path) -> None:
    """UTF-8 text comes back with CRLF and CR turned into LF."""
    path = _write(tmp_path, "a.md", "Ingénieur\r\nline two\rthree".encode())
    assert read_text_file(path, max_bytes=LIMIT) == "Ingénieur\nline two\nthree"


def test_strips_utf8_bom(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark is not part of the text."""
    path = _write(tmp_path, "a.txt", codecs.BOM_UTF8 + b"# Title\nbody")
    assert read_text_file(path, max_bytes=LIMIT) == "# Title\nbody"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_decodes_utf16_and_utf32_with_bom(tmp_path: Path, encoding: str) -> None:
    """Files saved as UTF-16/UTF-32 with a BOM (Windows editors) decode, NULs and all."""
    data = "# Müller — Acme\nbody".encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path = _write(tmp_path, "a.txt", data)
    assert read_text_file(path, max_bytes=LIMIT) == "# Müller — Acme\nbody"


def test_returns_the_exact_bytes_read(tmp_path: Path) -> None:
    """read_text_and_bytes gives the undecoded bytes, for hashing."""
    raw = codecs.BOM_UTF8 + b"a\r\nb"
    path = _write(tmp_path, "a.txt", raw)
    assert read_text_and_bytes(path, max_bytes=LIMIT) == ("a\nb", raw)


def test_empty_file_names_file_and_expectation(tmp_path: Path) -> None:
    """An empty file is refused with the path, the problem and what was expected."""
    path = _write(tmp_path, "acme.md", b"")
    assert str(_error(path)) == f"{path}: file is empty: expected the posting text"


def test_whitespace_only_file_is_refused(tmp_path: Path) -> None:
    """A file of blanks and newlines is as good as empty."""
    error = _error(_write(tmp_path, "acme.md", b" \n\t\r\n  \n"))
    assert error.problem == "file holds only whitespace"
    assert error.fix == "expected the posting text"


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A path that does not exist says so."""
    path = tmp_path / "nope.md"
    error = _error(path)
    assert error.source == str(path)
    assert "not found" in error.problem


def test_directory_is_refused(tmp_path: Path) -> None:
    """A directory is not a file to read."""
    assert "directory" in _error(tmp_path).problem


def test_pdf_is_recognised(tmp_path: Path) -> None:
    """PDF magic bytes produce a 'save as text' message, not a decoding error."""
    error = _error(_write(tmp_path, "job.md", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"))
    assert "this looks like a PDF" in str(error)
    assert ".txt/.md" in error.fix


def test_docx_zip_is_recognised(tmp_path: Path) -> None:
    """A .docx (a ZIP archive) is named as such."""
    error = _error(_write(tmp_path, "cv.md", b"PK\x03\x04\x14\x00\x06\x00rest"))
    assert "ZIP archive" in error.problem
    assert ".docx" in error.problem


def test_nul_bytes_mean_binary(tmp_path: Path) -> None:
    """NUL bytes without a UTF-16/32 BOM mark a binary file, with the offset."""
    error = _error(_write(tmp_path, "a.txt", b"abc\x00\x01\x02def"))
    assert "binary" in error.problem
    assert "offset 3" in error.problem


def test_many_control_characters_mean_binary(tmp_path: Path) -> None:
    """Text that is mostly control characters is refused as binary."""
    error = _error(_write(tmp_path, "a.txt", b"ab\x01\x02\x03\x04\x05\x06\x07cd" * 10))
    assert "binary" in error.problem


def test_tabs_and_form_feeds_are_text(tmp_path: Path) -> None:
    """Whitespace controls (tab, form feed) do not count as binary."""
    path = _write(tmp_path, "a.txt", b"a\tb\x0cc\x0bd")
    assert read_text_file(path, max_bytes=LIMIT) == "a\tb\x0cc\x0bd"


def test_undecodable_bytes_name_the_offset(tmp_path: Path) -> None:
    """Latin-1 bytes in a UTF-8 file are refused with the byte offset and the fix."""
    error = _error(_write(tmp_path, "a.txt", b"Caf\xe9 au lait"))
    assert error.problem == "not valid UTF-8 text (undecodable byte at offset 3)"
    assert "UTF-8" in error.fix


def test_oversize_names_size_limit_and_setting(tmp_path: Path) -> None:
    """A file over the limit is refused with its size, the limit and the setting to raise."""
    path = _write(tmp_path, "big.md", b"x" * 2_001)
    error = _error(path, max_bytes=2_000)
    assert "2,001 bytes" in error.problem
    assert "2,000-byte limit" in error.problem
    assert "JOBINTEL_MAX_INPUT_BYTES" in error.fix


def test_file_at_the_limit_is_accepted(tmp_path: Path) -> None:
    """Exactly max_bytes is still allowed."""
    path = _write(tmp_path, "ok.md", b"y" * 2_000)
    assert len(read_text_file(path, max_bytes=2_000)) == 2_000


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    """An 8 GB (sparse) file is refused by size; reading it whole would exhaust memory."""
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(8 * 1024**3)
    error = _error(path, max_bytes=LIMIT)
    assert "8,589,934,592 bytes" in error.problem
