"""jobintel: a self-hosted job-application pipeline with guarded external calls."""

__version__ = "0.1.0"
