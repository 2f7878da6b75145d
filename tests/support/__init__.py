"""What the tests (and ``bench/``) share: helpers, fakes and sample data, never tests.

Each module is named for what it holds; ``tests/README.md`` lists them. Test
modules import from here, never from one another or from a ``conftest.py``.
"""
