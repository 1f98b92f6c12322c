"""Shared fixtures.  Helpers (Page, Site, tidings, write_config...) live in tests/helpers.py."""

from __future__ import annotations

import pytest

from tests.helpers import Site


@pytest.fixture
def site():
    s = Site()
    yield s
    s.close()
