"""Package-wide contracts: light import, one-way imports between stages, public API."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import selfsim

SRC = Path(selfsim.__file__).resolve().parent

# Each stage may import only the stages listed for it (and itself, and _core).
ALLOWED = {
    "_core": set(),
    "network": set(),
    "activations": {"network"},
    "metrics": {"network", "covering"},
    "covering": {"network", "metrics"},
    "generators": {"network"},
    "models": {"activations"},
    "data": set(),
    "analysis": {"activations", "network", "metrics", "covering", "models", "data", "report"},
    "report": {"metrics", "network"},
    "train": {"activations", "network", "metrics", "models", "data", "report"},
    "integrations": {"train", "activations", "network", "metrics", "models", "data", "report"},
    "cli": None,  # the entry point may import anything
}


def _stage_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    rel = path.relative_to(SRC).parts
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = list(rel[:-1])[: len(rel) - node.level]
                parts = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.startswith("selfsim."):
                parts = node.module.split(".")[1:]
            else:
                continue
            if parts:
                found.add(parts[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("selfsim."):
                    found.add(alias.name.split(".")[1])
    return found


@pytest.mark.parametrize("stage", sorted(k for k, v in ALLOWED.items() if v is not None))
def test_stages_import_only_earlier_stages(stage):
    folder = SRC / stage
    if not folder.is_dir():
        pytest.skip(f"{stage} not present")
    bad = {}
    for path in folder.rglob("*.py"):
        extra = _stage_imports(path) - ALLOWED[stage] - {stage, "_core"}
        if extra:
            bad[str(path.relative_to(SRC))] = sorted(extra)
    assert not bad, f"imports against the data flow: {bad}"


def test_nothing_imports_the_cli():
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if p.parts[len(SRC.parts)] not in ("cli", "__main__.py") and "cli" in _stage_imports(p)
    ]
    assert not offenders


def test_import_is_light():
    code = (
        "import sys, selfsim; "
        "heavy = [m for m in ('timm', 'matplotlib', 'pandas', 'umap', 'sklearn', 'numba', 'networkx', "
        "'powerlaw', 'torchvision', 'lightning', 'accelerate') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_resolve():
    for name in selfsim.__all__:
        assert getattr(selfsim, name) is not None, name
