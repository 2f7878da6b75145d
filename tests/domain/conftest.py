"""The domain tests' catalog: small, shaped like the real one."""

from __future__ import annotations

import pytest

from domain import Catalog
from tests.support.domain_samples import build_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return build_catalog()
