"""The one error configuration raises."""


class ConfigError(Exception):
    """A configuration value is wrong; the message is one line fit for a log."""
