"""Worked examples of extending the service (``docs/extending.md``)."""
