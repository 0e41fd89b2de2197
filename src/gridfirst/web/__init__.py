"""The web interface: a FastAPI app (JSON API, background jobs, an offline browser UI).

It parses requests, calls the same library functions as the CLI and formats their results; it
holds no model. ``gridfirst serve`` runs it (``pip install 'gridfirst[web]'``).
"""

from __future__ import annotations

from gridfirst.web.config import WebConfig

__all__ = ["WebConfig", "create_app"]


def create_app(config: WebConfig | None = None):  # type: ignore[no-untyped-def]
    """The FastAPI application for ``config`` (see :func:`gridfirst.web.app.create_app`)."""
    from gridfirst.web.app import create_app as _create

    return _create(config)
