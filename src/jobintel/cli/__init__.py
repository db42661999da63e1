"""The ``jobintel`` command line."""

from jobintel.cli.app import app, main

__all__ = ["app", "main"]
