"""Text specs for built-in networks: ``NAME:ARG,ARG,...``.

=============================  ==========================================
spec                           network
=============================  ==========================================
``flower:U,V,G``               (u,v)-flower of generation G
``shm:M,G[,E]``                Song-Havlin-Makse model (seed from ``seed``)
``sierpinski:K``               Sierpinski gasket graph of level K
``lattice:L[,L[,L]]``          chain / grid / cube
``ba:N,M``                     Barabasi-Albert
``er:N,K``                     Erdos-Renyi with mean degree K
=============================  ==========================================
"""

from __future__ import annotations

import scipy.sparse as sp

from .._core.errors import InvalidInputError, NotFoundError
from .._core.seeding import SeedLike
from .classic import barabasi_albert, erdos_renyi, lattice
from .fractal import shm_model, sierpinski_gasket, uv_flower

__all__ = ["SPECS", "from_spec"]

# name -> (builder(args, seed), usage)
SPECS = {
    "flower": (lambda a, s: uv_flower(int(a[0]), int(a[1]), int(a[2])), "flower:U,V,G"),
    "shm": (
        lambda a, s: shm_model(int(a[0]), int(a[1]), e=float(a[2]) if len(a) > 2 else 0.0, seed=s),
        "shm:M,G[,E]",
    ),
    "sierpinski": (lambda a, s: sierpinski_gasket(int(a[0])), "sierpinski:K"),
    "lattice": (lambda a, s: lattice(tuple(int(x) for x in a)), "lattice:L[,L[,L]]"),
    "ba": (lambda a, s: barabasi_albert(int(a[0]), int(a[1]), seed=s), "ba:N,M"),
    "er": (lambda a, s: erdos_renyi(int(a[0]), float(a[1]), seed=s), "er:N,K"),
}
_NARGS = {
    "flower": (3, 3),
    "shm": (2, 3),
    "sierpinski": (1, 1),
    "lattice": (1, 3),
    "ba": (2, 2),
    "er": (2, 2),
}


def from_spec(spec: str, *, seed: SeedLike = None) -> sp.csr_matrix:
    """Build a built-in network from a spec such as ``"flower:2,2,5"``.

    Examples
    --------
    >>> from_spec("flower:2,2,3").shape
    (44, 44)
    """
    name, _, rest = str(spec).partition(":")
    name = name.strip().lower()
    if name not in SPECS:
        raise NotFoundError(
            f"unknown network {name!r} in spec {spec!r}; known: "
            + ", ".join(usage for _, usage in SPECS.values())
        )
    build, usage = SPECS[name]
    args = [a.strip() for a in rest.split(",") if a.strip()]
    lo, hi = _NARGS[name]
    if not lo <= len(args) <= hi:
        raise InvalidInputError(
            f"network spec {spec!r} has {len(args)} arguments; expected {usage}."
        )
    try:
        return build(args, seed)
    except ValueError as exc:
        if isinstance(exc, InvalidInputError):
            raise
        raise InvalidInputError(
            f"bad numbers in network spec {spec!r} ({exc}); expected {usage}."
        ) from exc
