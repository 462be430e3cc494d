"""Fixtures of the integration tests: the example scripts imported as modules."""

from __future__ import annotations

import importlib
import sys

import pytest
from _helpers import EXAMPLES


@pytest.fixture
def example():
    """Import an example script as a module (its folder on sys.path) and return it."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield lambda name: importlib.import_module(name)
    finally:
        sys.path.remove(str(EXAMPLES))
