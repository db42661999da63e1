"""The web UI: server-rendered pages (Jinja2 + HTMX), live updates over SSE.

Every module here that defines a ``router`` is included by the app; the vendored scripts
and the stylesheet in ``static/`` are served at ``/static``.
"""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
