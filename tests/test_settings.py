"""Settings come from env, .env and an optional TOML file, and bad values are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobintel.errors import ConfigError
from jobintel.settings import load_settings, mask_url


def test_toml_file_is_read_and_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values come from the TOML file unless an environment variable overrides them."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "jobintel.toml"
    config.write_text('concurrency = 7\nout_dir = "from-toml"\n')
    monkeypatch.setenv("JOBINTEL_CONFIG", str(config))
    monkeypatch.setenv("JOBINTEL_OUT_DIR", "from-env")
    settings = load_settings()
    assert settings.concurrency == 7
    assert settings.out_dir == Path("from-env")


def test_missing_toml_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A JOBINTEL_CONFIG pointing nowhere is a ConfigError naming the variable."""
    monkeypatch.setenv("JOBINTEL_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="JOBINTEL_CONFIG"):
        load_settings()


def test_unknown_setting_in_toml_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelt key is reported rather than silently ignored."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "jobintel.toml"
    config.write_text("concurency = 3\n")
    monkeypatch.setenv("JOBINTEL_CONFIG", str(config))
    with pytest.raises(ConfigError, match="JOBINTEL_CONCURENCY: is not a jobintel setting"):
        load_settings()


def test_dotenv_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A .env file in the working directory sets JOBINTEL_* values."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("JOBINTEL_CONCURRENCY=9\n")
    assert load_settings().concurrency == 9


def test_mask_url_hides_password() -> None:
    """Only the password of a database URL is masked."""
    masked = mask_url("postgresql://bob:hunter2@db.example:5432/jobs")
    assert "hunter2" not in masked and "bob" in masked and "db.example" in masked
