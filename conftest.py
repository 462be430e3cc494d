"""Doctest collection: skip modules whose examples need an optional extra that is missing.

``pytest`` runs the docstring Examples of ``src/selfsim`` (``--doctest-modules`` in
pyproject.toml). A module listed here is collected only when every package it names is
importable, so the suite also passes on an install without the optional extras.
"""

from __future__ import annotations

import importlib.util

# module (relative to this file) -> top-level packages its import or its examples need
_DOCTEST_NEEDS: dict[str, tuple[str, ...]] = {
    "src/selfsim/models/small.py": ("timm",),
    "src/selfsim/models/layers.py": ("timm",),
    "src/selfsim/models/create.py": ("timm",),
    "src/selfsim/metrics/spectrum.py": ("powerlaw",),
    "src/selfsim/network/graph.py": ("networkx",),
    "src/selfsim/data/registry.py": ("sklearn", "PIL"),
    "src/selfsim/analysis/pipeline.py": ("pandas",),
    "src/selfsim/integrations/lightning.py": ("lightning",),
    "src/selfsim/integrations/accelerate.py": ("accelerate",),
}


def _missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return True


collect_ignore = [path for path, needs in _DOCTEST_NEEDS.items() if any(_missing(n) for n in needs)]


def pytest_ignore_collect(collection_path, config):  # noqa: ARG001 - pytest's hook signature
    """The tests' own conftest.py files are loaded by pytest as conftests; collecting them again
    as doctest modules would import several modules named ``conftest`` and fail."""
    if collection_path.name == "conftest.py" and "tests" in collection_path.parts:
        return True
    return None
