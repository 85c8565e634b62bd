"""Benchmark: the example pipeline run five ways, side by side in one run (issue 4).

    python benchmarks/pipeline.py [--keep]

In a fresh temporary project (demo data, its own MLflow SQLite store):
  (a) the notebook's code cells (minus `skip` cells) as one plain Python script
  (b) the notebook executed by papermill
  (c) `workbench pipeline run train`, cold (empty step cache)
  (d) the same command again: fully cached
  (e) the same command after changing a parameter only the train step uses
Prints wall-clock seconds, each ratio to (a), which steps (e) ran, and the issue's targets:
(c) <= 2x (a), (d) <= 1 s, (e) skips loading and preprocessing.

It needs the compiled example, `steps/train/` (from `workbench productionize
notebooks/train.ipynb`): copied from this checkout when present, compiled into the temporary
project otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/train.ipynb"
PIPELINE = "train"
LOADING_STEPS = ("load", "preprocess")


def env_for(project: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "WORKBENCH_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["WORKBENCH_PROJECT"] = str(project)
    return env


def timed(cmd: list[str], project: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=project, env=env_for(project), capture_output=True, text=True, timeout=1800
    )
    return time.perf_counter() - start, proc


def wait_for_recorders(project: Path, limit: float = 120) -> None:
    """Let the previous run's background lineage recorder finish, so runs do not overlap."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = False
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                cmdline = (proc / "cmdline").read_bytes()
                busy = (
                    b"workbench.tracking.lineage" in cmdline and (proc / "cwd").resolve() == project
                )
            except OSError:
                continue
            if busy:
                break
        if not busy:
            return
        time.sleep(0.1)


def notebook_script(notebook: Path) -> str:
    """The code cells a person would paste into a script: no `skip` cells, no magics."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    parts = []
    for cell in cells:
        if cell["cell_type"] != "code" or "skip" in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell["source"])
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def prepare(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "bench"\nversion = "0"\n\n[tool.workbench]\n', encoding="utf-8"
    )
    (project / "notebooks").mkdir()
    shutil.copy(REPO / NOTEBOOK, project / NOTEBOOK)
    sys.path.insert(0, str(REPO))
    from workbench.demo import write_demo_data

    write_demo_data(project / "data")
    (project / "script.py").write_text(notebook_script(project / NOTEBOOK), encoding="utf-8")
    compiled = REPO / "steps" / PIPELINE
    if (compiled / "pipeline.json").is_file():
        shutil.copytree(REPO / "steps", project / "steps")
        return
    _, proc = timed([sys.executable, "-m", "workbench", "productionize", NOTEBOOK], project)
    if proc.returncode != 0 or not (project / "steps" / PIPELINE / "pipeline.json").is_file():
        raise SystemExit(
            "steps/train/ is missing and `workbench productionize notebooks/train.ipynb` failed:\n"
            + proc.stderr[-2000:]
        )


def train_only_override(project: Path) -> str:
    """A NAME=VALUE changing a parameter that only the train step uses."""
    sys.path.insert(0, str(REPO))
    from workbench.spec.model import load_spec
    from workbench.spec.params import param_text

    spec = load_spec(project / "steps" / PIPELINE / "pipeline.json")
    for param in spec.parameters:
        users = {s.name for s in spec.steps if param.name in s.params}
        if users == {"train"} and param.type in ("float", "int"):
            value = param.default * 0.5 if param.type == "float" else param.default + 1
            return f"{param.name}={param_text(param.type, value)}"
    raise SystemExit("no numeric parameter is used by the train step alone")


def step_seconds(stderr: str) -> str:
    """`load 1.2 s, preprocess 3.4 s, ...` from the runner's per-step lines."""
    found = re.findall(r"^(\w+): done in ([\d.]+) s", stderr, re.MULTILINE)
    return ", ".join(f"{name} {seconds} s" for name, seconds in found) or "-"


def step_states(stderr: str) -> dict[str, str]:
    """`NAME: cached` / `NAME: done in ...` lines the runner prints when not on a terminal."""
    states = {}
    for match in re.finditer(r"^(\w+): (cached|done|FAILED|not run)", stderr, re.MULTILINE):
        states[match.group(1)] = match.group(2)
    return states


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary project")
    args = parser.parse_args(argv)
    project = Path(tempfile.mkdtemp(prefix="wb-bench-"))
    try:
        prepare(project)
        override = train_only_override(project)
        run = [sys.executable, "-m", "workbench", "pipeline", "run", PIPELINE]
        cases = [
            ("(a) plain script", [sys.executable, "script.py"]),
            (
                "(b) papermill",
                [sys.executable, "-m", "papermill", NOTEBOOK, "out.ipynb", "-k", "python3"],
            ),
            ("(c) workbench cold", run),
            ("(d) workbench cached", run),
            (f"(e) workbench -p {override}", [*run, "-p", override]),
        ]
        results: list[tuple[str, float, subprocess.CompletedProcess[str]]] = []
        for label, cmd in cases:
            seconds, proc = timed(cmd, project)
            results.append((label, seconds, proc))
            print(f"{label:<34} {seconds:7.2f} s  exit {proc.returncode}", flush=True)
            wait_for_recorders(project)
        base = results[0][1]
        print(f"\n{'case':<34} {'seconds':>8} {'x (a)':>7}")
        for label, seconds, proc in results:
            flag = "" if proc.returncode == 0 else "  FAILED"
            print(f"{label:<34} {seconds:8.2f} {seconds / base:7.2f}{flag}")
        failed = [(label, proc) for label, _, proc in results if proc.returncode != 0]
        for label, proc in failed:
            print(
                f"\n{label} failed (exit {proc.returncode}):\n{(proc.stderr or proc.stdout)[-3000:]}"
            )
        cold, cached = results[2][1], results[3][1]
        print(f"\nsteps in (c): {step_seconds(results[2][2].stderr)}")
        print(f"steps in (e): {step_seconds(results[4][2].stderr)}")
        states = step_states(results[4][2].stderr)
        skipped = all(states.get(s) == "cached" for s in LOADING_STEPS)
        print("\ntargets:")
        print(f"  (c) <= 2x (a):  {cold / base:.2f}x  {'met' if cold <= 2 * base else 'NOT met'}")
        print(f"  (d) <= 1 s:     {cached:.2f} s  {'met' if cached <= 1.0 else 'NOT met'}")
        ran = sorted(s for s, state in states.items() if state != "cached")
        print(
            f"  (e) skips {', '.join(LOADING_STEPS)}: {'met' if skipped else 'NOT met'} (ran: {', '.join(ran) or 'none'})"
        )
        return 1 if failed else 0
    finally:
        if args.keep:
            print(f"\nproject kept in {project}")
        else:
            shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
