"""One thread per native pool unless the user sized it: what `workbench serve` sets before numpy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from workbench.core.native_threads import default_one_thread


def test_unset_pools_get_one_thread_and_user_choices_stay() -> None:
    env: dict[str, str] = {}
    default_one_thread(env)
    assert env["OPENBLAS_NUM_THREADS"] == env["MKL_NUM_THREADS"] == env["OMP_NUM_THREADS"] == "1"
    chosen = {"OMP_NUM_THREADS": "4", "MKL_NUM_THREADS": "2"}
    env = dict(chosen)
    default_one_thread(env)
    # OpenBLAS and BLIS read OMP_NUM_THREADS when their own variable is unset: the user's 4
    assert "OPENBLAS_NUM_THREADS" not in env and "BLIS_NUM_THREADS" not in env
    assert {k: env[k] for k in chosen} == chosen


def test_numpy_loaded_after_the_defaults_runs_one_blas_thread() -> None:
    """What the serve command does, in a fresh process: the defaults, then numpy's pools."""
    code = (
        "import os, json\n"
        "from workbench.core.native_threads import default_one_thread\n"
        "default_one_thread(os.environ)\n"
        "import numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "print(json.dumps([p['num_threads'] for p in threadpool_info()]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    threads = json.loads(out.stdout)
    assert threads and set(threads) == {1}, threads
