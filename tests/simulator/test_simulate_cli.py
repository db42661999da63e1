"""`jobintel simulate`: a loopback-only test instrument."""

from __future__ import annotations

from typer.testing import CliRunner

from jobintel.cli import app
from jobintel.cli.simulate_cmd import endpoint_lines
from jobintel.providers.netguard import is_loopback_host as is_loopback


def test_simulate_refuses_a_non_loopback_host() -> None:
    """Binding 0.0.0.0 is refused with exit 2 and a message naming the fix."""
    result = CliRunner().invoke(app, ["simulate", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "not a loopback address" in result.output and "127.0.0.1" in result.output


def test_simulate_help_lists_the_knobs() -> None:
    """`jobintel simulate --help` works and documents limits and faults."""
    result = CliRunner().invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--rpm", "--tpm", "--error-rate", "--latency-ms", "--seed"):
        assert option in result.output


def test_endpoint_lines_point_jobintel_at_the_simulator() -> None:
    """The printed environment routes the OpenAI client and FireCrawl to the simulator."""
    lines = endpoint_lines("http://127.0.0.1:8765")
    assert "JOBINTEL_OPENAI_BASE_URL=http://127.0.0.1:8765/v1" in lines
    assert "JOBINTEL_FIRECRAWL_BASE_URL=http://127.0.0.1:8765/firecrawl" in lines
    assert "JOBINTEL_MODEL=openai:gpt-4o-mini" in lines


def test_loopback_check_accepts_only_this_machine() -> None:
    """localhost, 127.x and ::1 are loopback; LAN and wildcard addresses are not."""
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.5", "::", "example.com"))
