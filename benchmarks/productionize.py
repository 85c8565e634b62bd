"""Compile time of `workbench productionize` (no --record): the example notebook and a generated
200-cell, 20-step notebook; Kale's compile of the example beside it when Kale can be installed.
Then the cost of `--verify` on both, next to what it replaces: one papermill execution of the
notebook plus one uncached pipeline run (verification should cost about their sum).

    python benchmarks/productionize.py [--repeat N] [--kale-venv PATH] [--no-verify]

Prints seconds and ratios (target: example under 1 s). Nothing is written to the project: the
generated files are built in memory (and, for the CLI timing, checked with --check).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic_notebook(path: Path, steps: int = 20, cells_per_step: int = 10) -> int:
    """A notebook with `steps` steps of `cells_per_step` cells; each step reads the previous
    step's values, calls helpers and uses parameters. Returns the number of cells."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cells = [
        (["parameters"], "scale = 2\noffset = 1.5\nlabel = 'bench'"),
        (["imports"], "import math\nimport statistics\nfrom collections import Counter"),
        (
            ["functions"],
            "def grow(v, k):\n    return [x * k for x in v]\n\n\ndef total(v):\n    return sum(v)\n",
        ),
    ]
    for s in range(steps):
        prev = f"v{s - 1}" if s else "[1.0, 2.0, 3.0]"
        for c in range(cells_per_step):
            tags = [f"step:s{s:02d}"] if c == 0 else []
            if c == 0:
                code = f"v{s} = grow({prev}, scale)\n"
            elif c == cells_per_step - 1:
                code = f"t{s} = total(v{s}) + offset\nv{s}.append(math.floor(t{s}))\n"
            else:
                code = (
                    f"# cell {c} of step {s}\nw{s}_{c} = [x + {c} for x in v{s}]\n"
                    f"m{s}_{c} = statistics.mean(w{s}_{c})\nc{s}_{c} = Counter(str(m{s}_{c}))\n"
                )
            cells.append((tags, code))
    for number, (tags, code) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(code)
        cell["id"] = f"c{number}"
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return len(cells)


def compile_once(notebook: Path, root: Path) -> float:
    from workbench.compiler import compile_notebook
    from workbench.compiler.environment import notebook_runtime_packages
    from workbench.emit import EmitContext, build_files

    start = time.perf_counter()
    spec, _ = compile_notebook(notebook, root=root)
    build_files(
        spec, EmitContext(spec.notebook, spec.name, tuple(notebook_runtime_packages().items()))
    )
    return time.perf_counter() - start


def timed(notebook: Path, root: Path, repeat: int) -> tuple[float, float]:
    first = compile_once(notebook, root)  # includes lazy imports (nbformat, IPython, metadata)
    rest = [compile_once(notebook, root) for _ in range(repeat)]
    return first, statistics.median(rest)


def cli_seconds(cwd: Path, args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "workbench", "productionize", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start


def kale_notebook(notebook: Path, dest: Path) -> Path:
    """The example in Kale 2's dialect: `pipeline-parameters`, `prev:`, and the pipeline
    metadata Kale requires (its `step:`, `imports`, `functions`, `skip` are workbench's too)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        cell.metadata["tags"] = [
            "pipeline-parameters" if t == "parameters" else t.replace("after:", "prev:", 1)
            for t in tags
        ]
    nb.metadata["kubeflow_notebook"] = {
        "experiment_name": "bench",
        "pipeline_name": "train-bench",
        "pipeline_description": "benchmark",
    }
    nbformat.write(nb, dest)
    return dest


def kale_seconds(venv: Path, notebook: Path) -> tuple[float | None, str]:
    kale = venv / "bin" / "kale"
    if not kale.exists():
        return None, (
            f"Kale is not installed at {venv} "
            f"(python -m venv {venv} && {venv}/bin/pip install kubeflow-kale)"
        )
    with tempfile.TemporaryDirectory() as temp:
        copy = kale_notebook(notebook, Path(temp) / notebook.name)
        start = time.perf_counter()
        done = subprocess.run(
            [str(kale), "--nb", str(copy)], cwd=temp, capture_output=True, text=True
        )
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return seconds, f"Kale exited {done.returncode}: {last[0]}"
    return seconds, "ok"


def _wb(cwd: Path, args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "workbench", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"workbench {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return seconds


def verify_costs(notebook: Path, data: list[tuple[Path, str]]) -> tuple[float, float, float]:
    """(--verify, one papermill execution, one uncached pipeline run) in a throw-away project
    holding a copy of `notebook` and its data files; every store in that project."""
    import os
    import shutil

    with tempfile.TemporaryDirectory(prefix="wb-bench-verify-") as temp:
        project = Path(temp)
        (project / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
        target = project / "notebooks" / notebook.name
        target.parent.mkdir()
        shutil.copyfile(notebook, target)
        for source, rel in data:
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, project / rel)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "WORKBENCH_"))}
        env["PYTHONPATH"] = str(ROOT)
        rel_nb = f"notebooks/{notebook.name}"
        verify = _wb(project, ["productionize", rel_nb, "--verify"], env)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "papermill", rel_nb, str(project / "out.ipynb"), "--cwd",
             "notebooks", "--no-progress-bar", "-k", "python3"],
            cwd=project, env=env, capture_output=True, check=True,
        )  # fmt: skip
        execution = time.perf_counter() - start
        name = notebook.stem
        pipeline = _wb(project, ["pipeline", "run", name, "--no-cache", "--lineage", "off"], env)
    return verify, execution, pipeline


def print_verify(label: str, costs: tuple[float, float, float]) -> None:
    verify, execution, pipeline = costs
    print(
        f"--verify {label}: {verify:.1f} s; one notebook execution {execution:.1f} s + one "
        f"pipeline run {pipeline:.1f} s = {execution + pipeline:.1f} s; "
        f"ratio {verify / (execution + pipeline):.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--kale-venv", type=Path, default=Path("/tmp/kale-venv"))
    parser.add_argument("--no-verify", action="store_true", help="skip the --verify timings")
    args = parser.parse_args()
    example = ROOT / "notebooks" / "train.ipynb"
    first, warm = timed(example, ROOT, args.repeat)
    print(
        f"example (notebooks/train.ipynb, 5 steps): first {first:.3f} s, warm median {warm:.3f} s"
    )
    with tempfile.TemporaryDirectory() as temp:
        big = Path(temp) / "big.ipynb"
        count = synthetic_notebook(big)
        big_first, big_warm = timed(big, Path(temp), args.repeat)
        print(
            f"synthetic ({count} cells, 20 steps): first {big_first:.3f} s, warm median {big_warm:.3f} s"
        )
    cli = cli_seconds(ROOT, ["notebooks/train.ipynb", "--check"])
    print(f"CLI `workbench productionize notebooks/train.ipynb --check` (new process): {cli:.3f} s")
    print(f"ratio synthetic/example (warm): {big_warm / warm:.1f}x")
    print(f"target example < 1 s: warm {'met' if warm < 1 else 'MISSED'} ({warm:.3f} s)")
    if not args.no_verify:
        data = ROOT / "data" / "raw" / "breast_cancer.csv"
        if not data.is_file():
            subprocess.run([sys.executable, "-m", "workbench", "demo-data"], cwd=ROOT, check=True)
        print_verify("example", verify_costs(example, [(data, "data/raw/breast_cancer.csv")]))
        with tempfile.TemporaryDirectory() as temp:
            big = Path(temp) / "big.ipynb"
            synthetic_notebook(big)
            print_verify("synthetic 20 steps", verify_costs(big, []))
    seconds, status = kale_seconds(args.kale_venv, example)
    if seconds is None:
        print(f"kale: not measured: {status}")
    else:
        print(
            f"kale --nb train.ipynb (Kale tags, new process): {seconds:.3f} s ({status}); "
            f"ratio kale/workbench CLI: {seconds / cli:.1f}x"
        )


if __name__ == "__main__":
    main()
