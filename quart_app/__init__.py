"""Voice & Realtime service: ``create_app()`` builds the Quart app from the environment."""

from quart_app.app import create_app

__all__ = ["create_app"]
