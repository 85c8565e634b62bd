"""The environment variables that size native thread pools (BLAS, OpenMP, numexpr, Arrow).

Each pool reads its variable once, when its library loads, so a process that wants one thread
per pool sets them before the first `import numpy`. Two users: the local runner's fork server
(no thread may exist at fork time) and `workbench serve` (concurrency comes from requests and
workers; a BLAS pool per process only spins against the imports and the other requests).
"""

from __future__ import annotations

from collections.abc import MutableMapping

# the variables each thread pool reads when a fresh process loads it, in priority order
POOL_VARIABLES = {
    "openblas": ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"),
    "mkl": ("MKL_NUM_THREADS", "OMP_NUM_THREADS"),
    "blis": ("BLIS_NUM_THREADS", "OMP_NUM_THREADS"),
    "openmp": ("OMP_NUM_THREADS",),
}
ONE_THREAD = {
    **{var: "1" for names in POOL_VARIABLES.values() for var in names},
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "JE_ARROW_MALLOC_CONF": "background_thread:false",  # pyarrow's jemalloc thread
}


def default_one_thread(env: MutableMapping[str, str]) -> None:
    """One thread per pool, except where `env` already sizes a pool: a pool any of whose
    variables is set (its own or the shared OMP_NUM_THREADS) keeps the user's choice."""
    for names in POOL_VARIABLES.values():
        if not any(env.get(name) for name in names):
            env[names[0]] = "1"
    for name in ("VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env.setdefault(name, "1")
