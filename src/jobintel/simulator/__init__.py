"""A loopback server speaking the OpenAI, Anthropic and FireCrawl wire formats.

A test and demo instrument, never a default: it answers with stage responders (or a
generic instance of the requested JSON schema), enforces rate limits with real headers,
and injects faults by script or by rate. ``start_simulator`` runs it for a ``with`` block.
"""

from jobintel.simulator.app import create_app
from jobintel.simulator.config import SimulatorConfig
from jobintel.simulator.schema_instance import schema_instance
from jobintel.simulator.server import SimulatorHandle, serve, start_simulator
from jobintel.simulator.state import SimulatorStats
from jobintel.simulator.tokens import count_tokens

__all__ = [
    "SimulatorConfig",
    "SimulatorHandle",
    "SimulatorStats",
    "count_tokens",
    "create_app",
    "schema_instance",
    "serve",
    "start_simulator",
]
