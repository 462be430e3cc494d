"""Generators of networks with known box dimension, and non-fractal controls.

===================================  =====================================
generator                            known d_B
===================================  =====================================
``uv_flower(u, v, g)``               ln(u + v) / ln(u)  (u > 1)
``shm_model(m, g)``                  ln(2m + 1) / ln(3) (pure fractal, e=0)
``sierpinski_gasket(k)``             ln 3 / ln 2
``lattice(shape)``                   len(shape) (1, 2, 3)
``barabasi_albert(n, m, seed=)``     none (small world, exponential N_B)
``erdos_renyi(n, k, seed=)``         none (small world, exponential N_B)
===================================  =====================================

Every generator returns a symmetric ``scipy.sparse.csr_matrix``;
:func:`to_networkx` converts. :func:`from_spec` builds one from a short
text spec such as ``"flower:2,2,5"`` (used by ``selfsim boxcover --network``).
"""

from __future__ import annotations

from ..network.graph import to_networkx
from .classic import barabasi_albert, erdos_renyi, largest_component, lattice
from .fractal import flower_dimension, shm_dimension, shm_model, sierpinski_gasket, uv_flower
from .spec import SPECS, from_spec

__all__ = [
    "uv_flower",
    "shm_model",
    "sierpinski_gasket",
    "lattice",
    "barabasi_albert",
    "erdos_renyi",
    "largest_component",
    "flower_dimension",
    "shm_dimension",
    "to_networkx",
    "from_spec",
    "SPECS",
]
