"""``jobintel serve``: no public address without a credential."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobintel.cli.app import app
from jobintel.providers.netguard import is_loopback_host as is_loopback


def test_loopback_addresses_are_recognised() -> None:
    """Only addresses that other machines cannot reach count as loopback."""
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.5.0.1", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.4", "example.com"))


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.4"])
def test_serving_publicly_without_a_credential_is_refused(tmp_path: Path, host: str) -> None:
    """With no API token and no user, `jobintel serve --host <public>` exits 2 and says
    how to create a credential, without starting a server."""
    result = CliRunner().invoke(
        app,
        ["serve", "--host", host, "--port", "8765"],
        env={"JOBINTEL_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.exit_code == 2, result.output
    assert f"refusing to serve on {host}" in result.output
    assert "jobintel tokens create" in result.output
