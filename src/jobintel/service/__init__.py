"""The runner service: a FastAPI app with the JSON API, the web UI and authentication."""

from jobintel.service.app import create_app

__all__ = ["create_app"]
