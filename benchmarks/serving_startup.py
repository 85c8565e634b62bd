"""Start-up of `workbench serve`: process start to the first 200 from `/v2/health/ready`.

Run: `PYTHONPATH=$PWD .venv/bin/python benchmarks/serving_startup.py [--repeat 5]`

Registers the example pipeline in a temporary project (SQLite tracking store, the embedded
default) and a scaler+LR pipeline logged with plain `mlflow.sklearn.log_model` (skops), and starts the server on
each: `models:/NAME@champion`, `models:/NAME/1`, the plain model's models:/ URI and the model-store
path, interleaved, `--repeat` times each; prints the median, min and max per form, and whether
the server process imported mlflow (from its start-up log line). Issue 7's target: under 2 s.
The machine is shared: read the spread, not one figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "serving"))


def time_startup(model: str, cwd: Path, env: dict[str, str]) -> tuple[float, bool | None]:
    """Seconds from Popen to a ready answer, and `mlflow_imported` from the start line."""
    from serving_helpers import free_port

    port = free_port()
    log_path = cwd / "startup.log"
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench", "serve", model, "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = started + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1)
                seconds = time.perf_counter() - started
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() > deadline:
                    raise RuntimeError(f"{model} did not start:\n{log_path.read_text()}") from None
                time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    imported = None
    for line in log_path.read_text(errors="replace").splitlines():
        if '"event":"start"' in line:
            imported = bool(json.loads(line)["mlflow_imported"])
    return seconds, imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from serving_helpers import NAME, example_model, register_model

    root = Path(tempfile.mkdtemp(prefix="serving-startup-"))
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    for var in [v for v in os.environ if v.startswith(("MLFLOW_", "WORKBENCH_"))]:
        del os.environ[var]
    os.chdir(root)
    reg = register_model(root, example_model())
    # a scaler+LR pipeline logged with plain mlflow.sklearn.log_model (defaults: skops)
    import mlflow
    import mlflow.sklearn
    from serving import plain_model
    from serving_helpers import training_frame

    with mlflow.start_run():
        plain = mlflow.sklearn.log_model(
            plain_model(),
            name="model",
            input_example=training_frame()[0].head(5),
            registered_model_name="plain",
        )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    forms = {
        f"models:/{NAME}@champion": f"models:/{NAME}@champion",
        f"models:/{NAME}/{reg.version}": f"models:/{NAME}/{reg.version}",
        "model-store path": str(reg.store_folder),
        "plain MLflow (skops)": f"models:/plain/{plain.registered_model_version}",
    }
    times: dict[str, list[float]] = {label: [] for label in forms}
    imported: dict[str, bool | None] = {}
    time_startup(str(reg.store_folder), root, env)  # warm the page cache
    for _ in range(args.repeat):
        for label, model in forms.items():
            seconds, imported[label] = time_startup(model, root, env)
            times[label].append(seconds)
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()}, {args.repeat} runs each")
    print(f"{'MODEL':32} {'median s':>9} {'min s':>7} {'max s':>7}  mlflow imported")
    for label, samples in times.items():
        print(
            f"{label:32} {statistics.median(samples):9.2f} {min(samples):7.2f} "
            f"{max(samples):7.2f}  {imported[label]}"
        )


if __name__ == "__main__":
    main()
