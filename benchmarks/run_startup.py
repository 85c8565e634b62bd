"""Start-up cost of notebook execution: `workbench run` against plain papermill, side by side.

    python benchmarks/run_startup.py [--repeat 3]

1. `import papermill` in a fresh interpreter, as is and with workbench's lean start-up
   (jsonschema's optional `rfc3987_syntax` import skipped; see workbench/execute/lean.py).
2. A one-cell notebook end to end: the `papermill` CLI (no tracking) against `workbench run`
   (the same execution as one MLflow run: parameters, tags, executed notebook as an artifact).

Prints the median wall time of each in ms and the ratios. Runs in a temporary project folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

LEAN = "from workbench.execute.lean import skip_slow_optional_imports as s; s(); "


def _median_ms(argv: list[str], cwd: Path, env: dict[str, str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell("x = 1", id="params")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("y = x * 2", id="work")]
    nbformat.write(nb, str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "WORKBENCH_"))}
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
        _notebook(root / "bench.ipynb")
        # warm the store once so neither side pays MLflow's one-off database creation
        subprocess.run([py, "-m", "workbench", "run", "bench.ipynb"], cwd=root, env=env, check=True, capture_output=True)  # fmt: skip
        plain_import = _median_ms([py, "-c", "import papermill"], root, env, repeat)
        lean_import = _median_ms([py, "-c", LEAN + "import papermill"], root, env, repeat)
        papermill_cli = _median_ms(
            [py, "-m", "papermill", "bench.ipynb", "out.ipynb", "-p", "x", "3", "--no-progress-bar"],
            root, env, repeat,
        )  # fmt: skip
        workbench_run = _median_ms(
            [py, "-m", "workbench", "run", "bench.ipynb", "-p", "x", "3"], root, env, repeat
        )
    print(f"import papermill            {plain_import:8.0f} ms")
    print(
        f"import papermill (lean)     {lean_import:8.0f} ms   ratio {lean_import / plain_import:.2f}x"
    )
    print(f"papermill CLI, one cell     {papermill_cli:8.0f} ms")
    print(f"workbench run, one cell     {workbench_run:8.0f} ms   ratio {workbench_run / papermill_cli:.2f}x"
          "  (adds an MLflow run, params, tags, notebook artifact)")  # fmt: skip


if __name__ == "__main__":
    main()
