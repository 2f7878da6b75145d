"""Configuration of the service: :class:`Settings` from environment variables."""

from config.settings import (
    AIWorkerMode,
    ConfigError,
    Environment,
    Settings,
    load_settings,
    with_secret_key,
)

__all__ = [
    "AIWorkerMode",
    "ConfigError",
    "Environment",
    "Settings",
    "load_settings",
    "with_secret_key",
]
