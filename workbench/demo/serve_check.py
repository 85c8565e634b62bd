"""`python -m workbench.demo.serve_check MODEL [--port N]`: serve MODEL, ask it twice, stop it.

The demo's last step, and a smoke test of the production end: it starts `workbench serve MODEL`
on 127.0.0.1 (a free port unless `--port`), waits (bounded) for `/v2/health/ready`, sends one
Seldon `POST /api/v1.0/predictions` and one Open Inference (V2) infer with the same two rows,
prints both answers compactly, then stops the server with SIGTERM. The rows come from the demo
data (`data/raw/breast_cancer.csv`, written by `workbench demo-data`) put through the example
notebook's own `relabel` and `add_features` (`steps.train._helpers`, generated from
notebooks/train.ipynb), so they have exactly the columns the notebook's model was fitted on.
Exit 0 when both answers are 200, else non-zero with the step that failed; the server is always
stopped.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from workbench.core import clock
from workbench.core.errors import WorkbenchError

HELPERS = "steps.train._helpers"


def demo_rows(n: int = 2) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows): the first `n` complete demo rows in the notebook's features, no target."""
    import importlib

    import pandas as pd

    from workbench.core.settings import settings
    from workbench.demo.data import DEMO_FILE

    cfg = settings()
    if str(cfg.root) not in sys.path:
        sys.path.insert(0, str(cfg.root))  # steps/ lives in the project root
    try:
        helpers = importlib.import_module(HELPERS)
    except ImportError as exc:
        raise WorkbenchError(
            f"cannot import {HELPERS} ({exc}); generate it with "
            "`workbench productionize notebooks/train.ipynb`"
        ) from exc
    path = cfg.data_dir / DEMO_FILE
    if not path.is_file():
        raise WorkbenchError(f"{path}: no demo data; write it with `workbench demo-data`")
    features = helpers.add_features(helpers.relabel(pd.read_csv(path)))
    sample = features.drop(columns=[helpers.TARGET]).dropna().head(n)
    return list(sample.columns), sample.to_numpy(dtype=float).tolist()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(method: str, url: str, body: Any = None, timeout: float = 10.0) -> tuple[int, Any]:
    """(status, parsed JSON body) of one request; a non-2xx status is returned, not raised."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until `/v2/health/ready` answers 200; WorkbenchError if the server dies or stalls."""
    started = clock.monotonic()
    while True:
        if proc.poll() is not None:
            raise WorkbenchError(f"the server exited with status {proc.returncode} before ready")
        try:
            if call("GET", f"{url}/v2/health/ready", timeout=1)[0] == 200:
                return clock.monotonic() - started
        except OSError:
            pass
        if clock.monotonic() - started > timeout:
            raise WorkbenchError(f"the server was not ready within {timeout:g} s")
        time.sleep(0.05)


def expect_ok(label: str, status: int, body: Any) -> None:
    compact = json.dumps(body, separators=(",", ":"))
    print(f"{label} -> {status} {compact}")
    if status != 200:
        raise WorkbenchError(f"{label} answered {status}")


def v2_inputs(url: str, name: str, columns: list[str], rows: list[list[Any]]) -> list[Any]:
    """One V2 input tensor per column, typed as the model's metadata says."""
    status, meta = call("GET", f"{url}/v2/models/{name}")
    if status != 200:
        raise WorkbenchError(f"GET /v2/models/{name} answered {status}: {meta}")
    types = {i["name"]: i["datatype"] for i in meta["inputs"]}
    cast = {"BOOL": bool, "BYTES": str}
    out = []
    for j, column in enumerate(columns):
        datatype = types.get(column, "FP64")
        to = cast.get(datatype, int if datatype.startswith(("INT", "UINT")) else float)
        out.append(
            {
                "name": column,
                "shape": [len(rows)],
                "datatype": datatype,
                "data": [to(row[j]) for row in rows],
            }
        )
    return out


def check(model: str, port: int, ready_timeout: float, log_path: Path) -> None:
    """Start, query and stop the server; raise WorkbenchError naming the failed step."""
    columns, rows = demo_rows(2)
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench",
                "serve",
                model,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        seconds = wait_ready(url, proc, ready_timeout)
        print(f"serving {model} on {url}: ready in {seconds:.2f} s")
        status, body = call(
            "POST", f"{url}/api/v1.0/predictions", {"data": {"names": columns, "ndarray": rows}}
        )
        expect_ok("seldon POST /api/v1.0/predictions", status, body)
        name = str(call("GET", f"{url}/api/v1.0/metadata")[1].get("name", ""))
        inputs = v2_inputs(url, name, columns, rows)
        status, body = call("POST", f"{url}/v2/models/{name}/infer", {"inputs": inputs})
        expect_ok(f"v2 POST /v2/models/{name}/infer", status, body)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn drains, then exits), SIGKILL if it has not exited within 20 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    # uvicorn re-raises the SIGTERM it drained on, so -SIGTERM is a clean stop too
    clean = proc.returncode in (0, -signal.SIGTERM)
    print("server stopped" + ("" if clean else f" (exit status {proc.returncode})"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workbench.demo.serve_check", description=__doc__.splitlines()[0]
    )
    parser.add_argument("model", help="models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ or a path")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--ready-timeout", type=float, default=60.0, help="seconds (default 60)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="serve-check-") as tmp:
        log_path = Path(tmp) / "server.log"
        try:
            check(args.model, args.port or free_port(), args.ready_timeout, log_path)
        except (WorkbenchError, OSError) as exc:
            tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
            if tail:
                sys.stderr.write(f"server log (last lines):\n{tail}\n")
            sys.stderr.write(f"error: serve_check {args.model}: {exc}\n")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
