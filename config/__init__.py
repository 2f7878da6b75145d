"""Configuration of the service: :class:`Settings` from environment variables."""

from config.errors import ConfigError
from config.settings import (
    AIWorkerMode,
    Environment,
    Settings,
    load_settings,
    secret_key_of,
    with_secret_key,
)

__all__ = [
    "AIWorkerMode",
    "ConfigError",
    "Environment",
    "Settings",
    "load_settings",
    "secret_key_of",
    "with_secret_key",
]
