"""Package-wide contracts: light import, one-way imports between stages, public API."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import selfsim

SRC = Path(selfsim.__file__).resolve().parent
ROOT = "selfsim"  # the package's own __init__ (the public facade, ``__version__``)

# The layering, exactly: each stage -> the other stages it imports (besides itself and _core),
# at module level or inside functions, by ``import``/``from`` or by a module path string given
# to importlib. A stage imports only earlier stages (the graph is acyclic); the test fails on an
# undeclared edge and on a declared edge that no longer exists, so this table stays the graph.
DECLARED: dict[str, set[str]] = {
    "_core": set(),
    "network": set(),
    "data": set(),
    "report": set(),
    "activations": set(),
    "models": set(),
    "generators": {"network"},
    "covering": {"network"},
    "metrics": {"network", "covering"},
    "analysis": {"activations", "network", "metrics", "covering", "models", "data"},
    "train": {"activations", "metrics", "models", "data", "report", ROOT},
    "integrations": {"train", "activations", "models"},
}
# the entry points may import any stage; nothing imports them
ENTRY_POINTS = {"cli", "__main__"}
_MODULE_PATH = re.compile(r"selfsim(\.\w+)+")


def _stages() -> set[str]:
    return {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}


def _stage_of(path: Path) -> str:
    rel = path.relative_to(SRC).parts
    if len(rel) > 1:
        return rel[0]
    return ROOT if rel[0] == "__init__.py" else rel[0].removesuffix(".py")


def _imported_stages(path: Path) -> set[str]:
    """The stages a module imports: ``import``, ``from`` (relative too) and module strings."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ["selfsim", *path.relative_to(SRC).parts[:-1]]
    stages = _stages()
    targets: list[list[str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = base + (node.module.split(".") if node.module else [])
            else:
                mod = (node.module or "").split(".")
            if mod[0] != "selfsim":
                continue
            # ``from .. import x`` / ``from selfsim import x``: x may be a stage
            targets += [mod + [a.name] for a in node.names] if len(mod) == 1 else [mod]
        elif isinstance(node, ast.Import):
            targets += [a.name.split(".") for a in node.names if a.name.split(".")[0] == "selfsim"]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _MODULE_PATH.fullmatch(node.value):  # importlib.import_module("selfsim.x.y")
                targets.append(node.value.split("."))
    found = set()
    for t in targets:
        found.add(t[1] if len(t) > 1 and t[1] in stages | ENTRY_POINTS else ROOT)
    return found


def _real_graph() -> dict[str, dict[str, list[str]]]:
    """stage -> imported stage -> the files that import it (without self and _core edges)."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        stage = _stage_of(path)
        graph.setdefault(stage, {})
        for target in _imported_stages(path) - {stage, "_core"}:
            graph[stage].setdefault(target, []).append(str(path.relative_to(SRC)))
    return graph


def test_every_stage_is_declared():
    assert _stages() - ENTRY_POINTS == set(DECLARED)


@pytest.mark.parametrize("stage", sorted(DECLARED))
def test_stage_imports_exactly_the_declared_stages(stage):
    real = _real_graph().get(stage, {})
    undeclared = {t: files for t, files in real.items() if t not in DECLARED[stage]}
    unused = DECLARED[stage] - set(real)
    assert not undeclared, f"{stage} imports undeclared stages (against the flow): {undeclared}"
    assert not unused, f"{stage} no longer imports {sorted(unused)}: remove them from DECLARED"


def test_declared_layering_is_acyclic():
    order: list[str] = []
    todo = {s: set(deps) - {ROOT} for s, deps in DECLARED.items()}
    while todo:
        ready = sorted(s for s, deps in todo.items() if deps <= set(order))
        assert ready, f"import cycle among {sorted(todo)}"
        order += ready
        for s in ready:
            del todo[s]


def test_the_graph_reader_sees_every_kind_of_import(tmp_path, monkeypatch):
    """The reader itself, on a made-up stage: absolute, relative, ``from .. import`` and strings."""
    pkg = tmp_path / "selfsim"
    (pkg / "metrics").mkdir(parents=True)
    (pkg / "train").mkdir()
    for d in (pkg, pkg / "metrics", pkg / "train"):
        (d / "__init__.py").write_text("")
    (pkg / "train" / "x.py").write_text(
        "import selfsim.metrics.fractal\n"
        "from ..metrics import ss_rate\n"
        "from .. import __version__\n"
        "def f():\n"
        "    from .. import train\n"
        "    import importlib\n"
        "    return importlib.import_module('selfsim.metrics.null'), 'not selfsim.metrics'\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SRC", pkg)
    assert _imported_stages(pkg / "train" / "x.py") == {"metrics", ROOT, "train"}


def test_nothing_imports_the_entry_points():
    offenders = {
        stage: targets
        for stage, targets in _real_graph().items()
        if stage not in ENTRY_POINTS and set(targets) & ENTRY_POINTS
    }
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


SUBPACKAGES = [
    "activations",
    "network",
    "generators",
    "covering",
    "metrics",
    "models",
    "data",
    "analysis",
    "report",
    "train",
    "integrations",
]


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_subpackages_export_their_public_names(name):
    """Each subpackage lists its public names in ``__all__`` and they resolve to the objects,
    never to a module (a function named like its module must win in the package)."""
    import importlib
    import types

    pkg = importlib.import_module(f"selfsim.{name}")
    assert pkg.__all__, f"selfsim.{name} exports nothing"
    for public in pkg.__all__:
        value = getattr(pkg, public)
        assert not isinstance(value, types.ModuleType), f"selfsim.{name}.{public} is a module"


def test_each_public_function_of_a_module_is_exported_by_its_subpackage():
    """Names in a module's ``__all__`` that are functions or classes appear in the package's."""
    import importlib

    missing = {}
    for name in ["activations", "network", "metrics", "analysis"]:
        pkg = importlib.import_module(f"selfsim.{name}")
        for path in sorted((SRC / name).glob("[!_]*.py")):
            mod = importlib.import_module(f"selfsim.{name}.{path.stem}")
            want = {n for n in getattr(mod, "__all__", []) if callable(getattr(mod, n))}
            extra = want - set(pkg.__all__) - _INTERNAL.get(name, set())
            if extra:
                missing[f"selfsim.{name}.{path.stem}"] = sorted(extra)
    assert not missing, f"public names not exported by their subpackage: {missing}"


# public in their module for the package's own use, not part of the subpackage API
_INTERNAL = {
    "metrics": {"ss_rate_dense", "box_grid"},
    "analysis": {
        "collect",
        "iter_batches",
        "Collected",
        "measure_layer",
        "mds_node_indices",
        "load_images",
        "model_transform",
        "box_grid",
    },
}


def test_ss_rate_from_the_package_is_the_function_even_after_its_module_is_imported():
    """A fresh interpreter that imports the modules first (the order that used to leave
    ``selfsim.metrics.ss_rate`` and ``selfsim.covering.renormalize`` bound to modules)."""
    code = (
        "import selfsim.covering.renormalize, selfsim.covering as c\n"
        "assert callable(c.renormalize) and c.renormalize.__name__ == 'renormalize'\n"
        "import numpy as np, selfsim.metrics.ss_rate, selfsim.metrics as m\n"
        "from selfsim.metrics import ss_rate\n"
        "F = np.random.default_rng(0).normal(size=(8, 3))\n"
        "assert callable(ss_rate) and m.ss_rate is ss_rate\n"
        "import selfsim\n"
        "print(round(float(ss_rate(F)), 12) == round(float(selfsim.ss_rate(F)), 12))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
