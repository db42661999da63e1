"""`jobintel tokens` and `jobintel users` on a real SQLite store through typer's CliRunner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.service.auth import verify_login, verify_token
from jobintel.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    monkeypatch.setenv("JOBINTEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", str(tmp_path / "out"))
    return tmp_path / "data"


@pytest.fixture
def opened(data_dir: Path) -> Iterator[Store]:
    """The store the commands write to (opened after them: WAL lets both work)."""
    store = Store.open(f"sqlite:///{data_dir / 'jobintel.db'}")
    yield store
    store.close()


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.output


def _token_in(output: str) -> str:
    (token,) = [line.strip() for line in output.splitlines() if line.strip().startswith("jit_")]
    return token


def test_token_is_printed_once_and_works(data_dir: Path, opened: Store) -> None:
    """`tokens create` prints a working token on its own line; `tokens list` never shows it
    but shows its prefix, scope and, once it is used, when."""
    code, output = _run("tokens", "create", "ci-runner", "--scope", "run")
    assert code == 0, output
    token = _token_in(output)
    code, listing = _run("tokens", "list")
    assert code == 0, listing
    assert "ci-runner" in listing and token[:12] in listing and "run" in listing
    assert "never" in listing
    principal = verify_token(opened.engine, token)
    assert principal is not None and principal.allows("run") and not principal.allows("admin")
    listing = _run("tokens", "list")[1]
    assert "never" not in listing
    assert token not in listing and token[12:] not in listing


def test_revoke_by_prefix_shows_in_the_listing(data_dir: Path, opened: Store) -> None:
    """`tokens revoke PREFIX` disables the token; the listing shows when it was revoked."""
    token = _token_in(_run("tokens", "create", "ci")[1])
    code, output = _run("tokens", "revoke", token[:12])
    assert code == 0, output
    assert "revoked" in output and token[12:] not in output
    assert verify_token(opened.engine, token) is None
    listing = _run("tokens", "list")[1]
    assert "UTC" in listing.split(token[:12])[1]  # the revoked column holds a time


def test_token_errors_exit_2_with_the_fix(data_dir: Path) -> None:
    """A bad scope, a duplicate name and an unknown token exit 2 and say what to do."""
    code, output = _run("tokens", "create", "x", "--scope", "root")
    assert code == 2 and "root" in output
    _run("tokens", "create", "ci")
    code, output = _run("tokens", "create", "ci")
    assert code == 2 and "already exists" in output
    code, output = _run("tokens", "revoke", "nobody")
    assert code == 2 and "jobintel tokens list" in output


def test_users_add_from_stdin_then_log_in(data_dir: Path, opened: Store) -> None:
    """`users add --password-stdin` creates a user who can log in; `users list` shows them."""
    code, output = _run(
        "users", "add", "Alice", "--scope", "admin", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0, output
    assert PASSWORD not in output
    principal = verify_login(opened.engine, "alice", PASSWORD, "127.0.0.1")
    assert principal.scopes == {"admin"}
    code, listing = _run("users", "list")
    assert code == 0 and "alice" in listing and "admin" in listing and "never" not in listing


def test_users_add_prompts_twice_without_echo(data_dir: Path, opened: Store) -> None:
    """Without --password-stdin the password is asked twice and never echoed."""
    code, output = _run("users", "add", "bob", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, output
    assert "Password" in output and "Repeat for confirmation" in output
    assert PASSWORD not in output
    assert verify_login(opened.engine, "bob", PASSWORD, "127.0.0.1").scopes == {"run"}


def test_users_remove_and_errors(data_dir: Path) -> None:
    """`users remove` deletes; unknown users, duplicates and short passwords exit 2 with the fix."""
    _run("users", "add", "carol", "--password-stdin", stdin=PASSWORD + "\n")
    code, output = _run("users", "add", "carol", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "already exists" in output
    code, output = _run("users", "add", "dan", "--password-stdin", stdin="short\n")
    assert code == 2 and "at least 8" in output and "short" not in output.split("\n", 1)[1:]
    assert _run("users", "remove", "carol")[0] == 0
    code, output = _run("users", "remove", "carol")
    assert code == 2 and "jobintel users list" in output
    assert "no users yet" in _run("users", "list")[1]


def test_users_passwd_changes_the_password(data_dir: Path, opened: Store) -> None:
    """`users passwd` replaces the password: the new one logs in."""
    _run("users", "add", "erin", "--password-stdin", stdin=PASSWORD + "\n")
    code, output = _run(
        "users", "passwd", "erin", "--password-stdin", stdin="a brand new passphrase\n"
    )
    assert code == 0, output
    assert verify_login(opened.engine, "erin", "a brand new passphrase", "127.0.0.1").name == "erin"
