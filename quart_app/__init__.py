"""Voice & Realtime service: ``create_app()`` builds the Quart app from the environment.

The factory is imported on first call, not with the package: importing a service,
the tokens module or the models must not load the web app (``tests/app/test_layers.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quart_app.app import create_app
else:

    def create_app(*args: Any, **kwargs: Any) -> Any:
        """Build the app: :func:`quart_app.app.create_app`."""
        from quart_app.app import create_app as factory

        return factory(*args, **kwargs)


__all__ = ["create_app"]
