"""Serving benchmark: `workbench serve` beside `mlflow models serve` and seldon-core's microservice.

Run: `PYTHONPATH=$PWD .venv/bin/python benchmarks/serving.py [--quick] [--plain-only]
[--startup-runs N] [--startup-only] [--v2-only]`

First, start-up on a scaler+LR pipeline logged with plain `mlflow.sklearn.log_model` (MLflow 3
defaults: skops): `workbench serve models:/NAME/V` and `mlflow models serve` started
`--startup-runs` times each (default 5), alternating, each timed from process start until its
health route answers and then a first single-row prediction is answered; medians of wall time
and of the server's CPU time (user+system of its process tree, less sensitive than wall time to
the other sessions' load), and their ratios. Issue 12's target: under 2 s.

Then throughput: all servers get the same model (that pipeline, then the example
logistic-regression pipeline on the breast-cancer frame), one worker each, on 127.0.0.1, and the
same bounded load generator (asyncio, raw HTTP/1.1 keep-alive, fixed request counts and a time
cap per scenario): single-row requests at concurrency 1 and 16, and 1,000-row requests, in three
interleaved rounds so the drifting load of a shared machine falls on every server alike. It
prints req/s, p50, p99, start-up time (as above, once) and memory (RSS of the server's process
tree), then the ratios to `mlflow models serve` and the issue's targets. Then the same 1,000 rows
over Open Inference V2 as JSON and as binary tensor data (`Inference-Header-Content-Length`,
binary outputs asked), alternating on one workbench server, and the ratio of p50s (issue 16's
target: binary at least 2x faster). Then a RandomForest(100) served by workbench: p50 of a
single-row request against in-process predict.

seldon-core 1.18 runs from its own virtualenv (`/work/venv-seldon`, or SELDON_VENV), because it
needs `setuptools<82` and pins of its own; when that is missing or does not start, the benchmark
says why and goes on. The machine is shared: run it twice and read the spread, not one figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "serving"))
NAME = "breast-cancer"
PLAIN = "breast-cancer-plain"  # logged with plain mlflow.sklearn.log_model
SELDON_VENV = Path(os.environ.get("SELDON_VENV", "/work/venv-seldon"))


# --- the load generator ----------------------------------------------------------------------
@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def http_request(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _connection(port: int, request: bytes, count: int, deadline: float, out: Result) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(count):
            if time.perf_counter() > deadline:
                break
            start = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            if status == 200:
                out.latencies.append(time.perf_counter() - start)
            else:
                out.errors += 1
    finally:
        writer.close()


def drive(port: int, request: bytes, total: int, concurrency: int, cap_seconds: float) -> Result:
    """`total` requests over `concurrency` keep-alive connections, stopping at `cap_seconds`."""

    async def main() -> Result:
        out = Result()
        start = time.perf_counter()
        deadline = start + cap_seconds
        per = max(1, total // concurrency)
        await asyncio.gather(
            *(_connection(port, request, per, deadline, out) for _ in range(concurrency))
        )
        out.seconds = time.perf_counter() - start
        return out

    return asyncio.run(main())


# --- servers ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_rss_mb(pid: int) -> float:
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20
    except psutil.Error:
        return float("nan")


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    startup: float  # seconds from Popen to the first prediction answered
    cpu: float = float("nan")  # CPU seconds of the server's process tree by then

    def stop(self) -> None:
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            child.terminate()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def tree_cpu_seconds(pid: int) -> float:
    """User+system CPU of a process and its children: start-up cost less sensitive than wall
    time to the other sessions' load on a shared machine."""
    try:
        proc = psutil.Process(pid)
        return sum(sum(p.cpu_times()[:2]) for p in [proc, *proc.children(recursive=True)])
    except psutil.Error:
        return float("nan")


def _first_prediction(port: int, protocol: str) -> None:
    """One single-row request in the server's protocol; raises unless it answers 200."""
    import urllib.request

    from serving_helpers import columns, rows

    path, body = bodies(protocol, rows(1), columns())
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def start(
    name: str,
    cmd: list[str],
    port: int,
    health: str,
    cwd: Path,
    env: dict[str, str],
    protocol: str = "",
) -> Server:
    """Start a server; its start-up is process start until `health` answers and then the first
    prediction (in `protocol`, when given) is answered: what a rollout waits for."""
    import urllib.request

    if protocol:  # the request body is built before the clock starts
        from serving_helpers import training_frame

        training_frame()
    started = time.perf_counter()
    log_path = cwd / ("".join(c if c.isalnum() else "_" for c in name) + ".log")
    log = open(log_path, "wb")  # noqa: SIM115 - lives with the server
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = started + 90
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=1).close()
            if protocol:
                _first_prediction(port, protocol)
            seconds = time.perf_counter() - started
            return Server(name, proc, port, seconds, tree_cpu_seconds(proc.pid))
        except OSError:
            if proc.poll() is not None or time.perf_counter() > deadline:
                proc.kill()
                tail = log_path.read_text(errors="replace")[-1500:]
                raise RuntimeError(f"{name} did not start:\n{tail}") from None
            time.sleep(0.02)


SELDON_MODEL = '''
"""seldon-core user model: the same pipeline, fitted here (its venv has its own numpy)."""
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


class BcModel:
    def __init__(self):
        x, y = load_breast_cancer(return_X_y=True)
        pre = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        self.model = Pipeline([("preprocess", pre), ("classifier", LogisticRegression(max_iter=1000))]).fit(x, y)

    def predict(self, X, features_names=None):
        return self.model.predict_proba(X)
'''


# --- the run ---------------------------------------------------------------------------------
def setup_project(root: Path) -> dict[str, Any]:
    from serving_helpers import example_model, register_model, write_store_model

    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    for var in [v for v in os.environ if v.startswith(("MLFLOW_", "WORKBENCH_"))]:
        del os.environ[var]
    os.chdir(root)
    reg = register_model(root, example_model())
    from serving_helpers import training_frame
    from sklearn.ensemble import RandomForestClassifier

    x, y = training_frame()
    # logged the way an MLflow user does it: defaults (MLflow 3: skops). Without the imputer,
    # whose numpy.dtype skops does not trust by default (MLflow refuses to save it with skops
    # unless skops_trusted_types lists it).
    import mlflow
    import mlflow.sklearn

    with mlflow.start_run():
        plain = mlflow.sklearn.log_model(
            plain_model(), name="model", input_example=x.head(5), registered_model_name=PLAIN
        )
    forest = RandomForestClassifier(n_estimators=100, random_state=0).fit(x, y)
    forest_folder = write_store_model(root / "rf-store", forest, name="forest")
    return {
        "reg": reg,
        "forest": forest,
        "forest_folder": forest_folder,
        "plain_version": str(plain.registered_model_version),
    }


def plain_model() -> Any:
    """StandardScaler + LogisticRegression on the breast-cancer frame: loggable with defaults."""
    from serving_helpers import training_frame
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = training_frame()
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)


def scenarios(quick: bool) -> list[tuple[str, int, int, int, float]]:
    """(label, rows per request, requests, concurrency, time cap in seconds)"""
    scale = 4 if quick else 1
    return [
        ("1 row, 1 conn", 1, 2000 // scale, 1, 15),
        ("1 row, 16 conns", 1, 6000 // scale, 16, 20),
        ("1,000 rows, 1 conn", 1000, 200 // scale, 1, 20),
    ]


def bodies(protocol: str, rows: list[list[float]], cols: list[str]) -> tuple[str, bytes]:
    if protocol == "seldon":
        return "/api/v1.0/predictions", orjson.dumps({"data": {"names": cols, "ndarray": rows}})
    return "/invocations", orjson.dumps({"dataframe_split": {"columns": cols, "data": rows}})


@dataclass
class Target:
    """A running server and the requests it gets (its own protocol's bodies)."""

    server: Server
    protocol: str
    results: dict[str, Result] = field(default_factory=dict)


def request_for(protocol: str, n_rows: int) -> bytes:
    from serving_helpers import columns, rows

    all_rows = rows(569)
    data = all_rows[:1] if n_rows == 1 else (all_rows * 2)[:n_rows]
    path, body = bodies(protocol, data, columns())
    return http_request(path, body)


def measure_all(targets: dict[str, Target], quick: bool, rounds: int) -> None:
    """Every scenario on every server, in `rounds` interleaved rounds, so the load the other
    engineers put on this shared machine drifts over all servers alike; results pooled."""
    for target in targets.values():
        drive(target.server.port, request_for(target.protocol, 1), 300, 4, 10)  # warm-up
    for _ in range(rounds):
        for label, n_rows, total, conc, cap in scenarios(quick):
            for target in targets.values():
                res = drive(
                    target.server.port,
                    request_for(target.protocol, n_rows),
                    total // rounds,
                    conc,
                    cap / rounds,
                )
                pooled = target.results.setdefault(label, Result())
                pooled.latencies += res.latencies
                pooled.errors += res.errors
                pooled.seconds += res.seconds


def in_process(model: Any, quick: bool) -> dict[str, float]:
    """Medians of in-process predict (1 row, 1,000 rows) and of JSON parsing a 1,000-row body."""
    from serving_helpers import columns, rows, training_frame

    x, _ = training_frame()
    one, big = x.iloc[:1], x.__class__((rows(569) * 2)[:1000], columns=columns())
    body = orjson.dumps(
        {"dataframe_split": {"columns": columns(), "data": big.to_numpy().tolist()}}
    )
    n = 200 if quick else 1000

    def med(fn: Any, times: int = n) -> float:
        fn()
        samples = []
        for _ in range(times):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return statistics.median(samples) * 1000

    return {
        "predict 1 row (DataFrame)": med(lambda: model.predict(one)),
        "predict_proba 1 row (DataFrame)": med(lambda: model.predict_proba(one)),
        "predict 1,000 rows (DataFrame)": med(lambda: model.predict(big), n // 5),
        "orjson parse 1,000-row body": med(lambda: orjson.loads(body), n // 5),
        "json decode+encode 1,000-row body": med(lambda: json.dumps(json.loads(body)), n // 5),
    }


def print_table(results: dict[str, dict[str, Any]], quick: bool) -> None:
    labels = [s[0] for s in scenarios(quick)]
    print(f"\n{'server':34} {'scenario':20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for name, res in results.items():
        for label in labels:
            r: Result = res[label]
            print(
                f"{name:34} {label:20} {r.rps:8.0f} {r.pct(50):8.2f} {r.pct(99):8.2f} {r.errors:6}"
            )
        print(f"{name:34} {'start-up s':20} {res['startup']:8.2f}   memory MB {res['rss']:8.0f}")


def print_ratios(results: dict[str, dict[str, Any]], base: str, names: list[str]) -> None:
    ref = results[base]
    print(
        f"\nratios to {base} (targets: req/s at 16 >= 3x, p99 at 16 <= 0.2x, 1,000-row p50 <= 0.25x, "
        "start-up < 2 s, memory <= 0.5x)"
    )
    for name, res in results.items():
        if name == base or name not in names:
            continue
        c16, ref16 = res["1 row, 16 conns"], ref["1 row, 16 conns"]
        big, refbig = res["1,000 rows, 1 conn"], ref["1,000 rows, 1 conn"]
        c1, ref1 = res["1 row, 1 conn"], ref["1 row, 1 conn"]
        print(
            f"{name:34} req/s@1 {c1.rps / ref1.rps:5.2f}x  req/s@16 {c16.rps / ref16.rps:5.2f}x  "
            f"p99@16 {c16.pct(99) / ref16.pct(99):5.2f}x  1,000-row p50 {big.pct(50) / refbig.pct(50):5.2f}x  "
            f"start-up {res['startup'] / ref['startup']:5.2f}x  memory {res['rss'] / ref['rss']:5.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the requests")
    parser.add_argument(
        "--plain-only",
        action="store_true",
        help="only the plain MLflow-logged model, on workbench and mlflow models serve",
    )
    parser.add_argument(
        "--startup-runs",
        type=int,
        default=5,
        help="start each server on the plain MLflow model this many times (0: skip)",
    )
    parser.add_argument("--startup-only", action="store_true", help="only the start-up comparison")
    parser.add_argument(
        "--v2-only", action="store_true", help="only the V2 binary vs JSON comparison"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="serving-bench-"))
    print(f"project: {root}; cpus: {os.cpu_count()}; load average: {os.getloadavg()}")
    made = setup_project(root)
    reg = made["reg"]
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MLFLOW_TRACKING_URI": f"sqlite:///{root}/mlflow.db",
        # mlflow models serve execs `uvicorn` by name: the venv's bin must be on PATH
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    wb = [sys.executable, "-m", "workbench", "serve"]
    results: dict[str, dict[str, Any]] = {}

    targets: dict[str, Target] = {}

    def launch(
        name: str,
        cmd: list[str],
        port: int,
        health: str,
        protocol: str,
        cmd_env: dict[str, str] | None = None,
    ) -> None:
        try:
            targets[name] = Target(
                start(name, cmd, port, health, root, cmd_env or env, protocol), protocol
            )
        except RuntimeError as exc:
            print(f"\n{name}: not measured: {exc}")

    plain_uri = f"models:/{PLAIN}/{made['plain_version']}"
    if args.v2_only:
        v2_binary_vs_json(reg, args.quick, wb, root, env)
        return
    if args.startup_runs > 0:
        startup_compare(plain_uri, args.startup_runs, wb, root, env)
    if args.startup_only:
        return
    port = free_port()
    launch(PLAIN_MLFLOW, plain_commands(plain_uri, wb, port)[PLAIN_MLFLOW], port, "/ping",
           "invocations")  # fmt: skip
    port = free_port()
    launch(PLAIN_WORKBENCH, plain_commands(plain_uri, wb, port)[PLAIN_WORKBENCH], port,
           "/health/ping", "invocations")  # fmt: skip
    if not args.plain_only:
        launch_others(launch, wb, reg)
    try:
        measure_all(targets, args.quick, rounds=1 if args.quick else 3)
        results = {
            name: {**t.results, "startup": t.server.startup, "rss": tree_rss_mb(t.server.proc.pid)}
            for name, t in targets.items()
        }
    finally:
        for t in targets.values():
            t.server.stop()
    print_table(results, args.quick)
    if PLAIN_MLFLOW in results:
        print_ratios(results, PLAIN_MLFLOW, [PLAIN_WORKBENCH])
    base = "mlflow models serve (/invocations)"
    if base in results:
        print_ratios(
            results, base, [n for n in results if n not in (PLAIN_MLFLOW, PLAIN_WORKBENCH)]
        )
    if args.plain_only:
        return
    v2_binary_vs_json(reg, args.quick, wb, root, env)
    in_process_and_forest(made, args.quick, wb, root, env)


def plain_commands(plain_uri: str, wb: list[str], port: int) -> dict[str, list[str]]:
    """`mlflow models serve` and `workbench serve` on the plain MLflow-logged model."""
    return {
        PLAIN_MLFLOW: [sys.executable, "-m", "mlflow", "models", "serve", "-m", plain_uri,
                       "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port), "-w", "1"],
        PLAIN_WORKBENCH: [*wb, plain_uri, "--port", str(port)],
    }  # fmt: skip


def startup_compare(
    plain_uri: str, runs: int, wb: list[str], root: Path, env: dict[str, str]
) -> None:
    """Start-up (process start to `/health/ping` or `/ping` and then a first prediction answered)
    of both servers on the plain MLflow model, `runs` times each, alternating, so both see the
    same machine load: medians of wall time and of the server's CPU time, and their ratios.

    workbench's own modules are byte-compiled first, as in an installed package or the serving
    image (site-packages are, for both servers): a checkout run with PYTHONDONTWRITEBYTECODE (as
    on CI) would otherwise compile them at every start."""
    import compileall

    compileall.compile_dir(str(REPO / "workbench"), quiet=1)
    load_before = os.getloadavg()[0]
    health = {PLAIN_MLFLOW: "/ping", PLAIN_WORKBENCH: "/health/ping"}
    wall: dict[str, list[float]] = {name: [] for name in health}
    cpu: dict[str, list[float]] = {name: [] for name in health}
    for _ in range(runs):
        for name in health:
            port = free_port()
            cmd = plain_commands(plain_uri, wb, port)[name]
            server = start(name, cmd, port, health[name], root, env, "invocations")
            server.stop()
            wall[name].append(server.startup)
            cpu[name].append(server.cpu)
    print(f"\nstart-up to the first prediction, plain MLflow model, {runs} runs each "
          f"(1-minute load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
          f"{os.cpu_count()} CPUs):")  # fmt: skip
    for name in health:
        w, c = wall[name], cpu[name]
        print(f"  {name:40} wall median {statistics.median(w):6.2f} s (min {min(w):5.2f}, "
              f"max {max(w):5.2f}), CPU median {statistics.median(c):5.2f} s")  # fmt: skip
    ratio_wall = statistics.median(wall[PLAIN_WORKBENCH]) / statistics.median(wall[PLAIN_MLFLOW])
    ratio_cpu = statistics.median(cpu[PLAIN_WORKBENCH]) / statistics.median(cpu[PLAIN_MLFLOW])
    print(f"  workbench / mlflow models serve: wall {ratio_wall:.2f}x, CPU {ratio_cpu:.2f}x "
          "(target: workbench under 2 s)")  # fmt: skip


def v2_requests(n_rows: int) -> tuple[bytes, bytes]:
    """The same rows as a V2 JSON request and as a binary one (tritonclient's default form:
    binary FP64 input, all outputs asked in binary)."""
    from serving_helpers import rows

    x = np.asarray((rows(569) * 2)[:n_rows], dtype="<f8")
    path = f"/v2/models/{NAME}/infer"
    spec = {"name": "input", "shape": list(x.shape), "datatype": "FP64"}
    as_json = http_request(path, orjson.dumps({"inputs": [{**spec, "data": x.reshape(-1)}]},
                                              option=orjson.OPT_SERIALIZE_NUMPY))  # fmt: skip
    head = orjson.dumps(
        {
            "inputs": [{**spec, "parameters": {"binary_data_size": x.nbytes}}],
            "parameters": {"binary_data_output": True},
        }
    )
    body = head + x.tobytes()
    as_binary = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
        f"Inference-Header-Content-Length: {len(head)}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    return as_json, as_binary


def v2_binary_vs_json(
    reg: Any, quick: bool, wb: list[str], root: Path, env: dict[str, str]
) -> None:
    """1,000 rows over V2 as JSON and as binary tensor data, on one workbench server,
    alternating in small rounds (same machine load), end to end at 1 connection."""
    print("\nOpen Inference V2, 1,000 rows, JSON vs binary tensor data (workbench, 1 conn):")
    port = free_port()
    server = start("workbench v2", [*wb, str(reg.store_folder), "--port", str(port)],
                   port, "/v2/health/ready", root, env)  # fmt: skip
    as_json, as_binary = v2_requests(1000)
    results = {"JSON": Result(), "binary": Result()}
    try:
        for request in (as_json, as_binary):
            drive(port, request, 20, 1, 10)  # warm-up
        for _ in range(3 if quick else 8):
            for label, request in (("JSON", as_json), ("binary", as_binary)):
                res = drive(port, request, 10, 1, 10)
                results[label].latencies += res.latencies
                results[label].errors += res.errors
                results[label].seconds += res.seconds
    finally:
        server.stop()
    for label, res in results.items():
        print(f"  {label:7} p50 {res.pct(50):8.3f} ms, p99 {res.pct(99):8.3f} ms, "
              f"{res.rps:6.1f} req/s, errors {res.errors}")  # fmt: skip
    ratio = results["JSON"].pct(50) / results["binary"].pct(50)
    print(f"  binary is {ratio:.2f}x faster than JSON at p50 (target: >= 2x)")


PLAIN_MLFLOW = "mlflow models serve, plain MLflow model"
PLAIN_WORKBENCH = "workbench, plain MLflow model"


def launch_others(launch: Any, wb: list[str], reg: Any) -> None:
    """The workbench-logged model on mlflow models serve, workbench (both ways), seldon-core."""
    root = reg.root
    port = free_port()
    launch("mlflow models serve (/invocations)",
        [sys.executable, "-m", "mlflow", "models", "serve", "-m", f"models:/{NAME}/{reg.version}",
         "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port), "-w", "1"],
        port, "/ping", "invocations")  # fmt: skip
    port = free_port()
    launch("workbench models:/ (/invocations)",
        [*wb, f"models:/{NAME}/{reg.version}", "--port", str(port)], port, "/v2/health/ready",
        "invocations")  # fmt: skip
    port = free_port()
    launch("workbench store path (Seldon v1)",
        [*wb, str(reg.store_folder), "--port", str(port)], port, "/v2/health/ready", "seldon")  # fmt: skip
    seldon_bin = SELDON_VENV / "bin" / "seldon-core-microservice"
    if seldon_bin.exists():
        (root / "BcModel.py").write_text(textwrap.dedent(SELDON_MODEL))
        port = free_port()
        seldon_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        seldon_env["PYTHONPATH"] = str(root)
        launch("seldon-core 1.18 (gunicorn, 16 thr)",
            [str(seldon_bin), "BcModel", "--service-type", "MODEL", "--http-port", str(port),
             "--grpc-port", str(free_port()), "--metrics-port", str(free_port()),
             "--workers", "1", "--threads", "16", "--log-level", "WARNING"],
            port, "/health/ping", "seldon", seldon_env)  # fmt: skip
    else:
        print(f"\nseldon-core: not measured: {seldon_bin} missing (python -m venv {SELDON_VENV} && "
              f"{SELDON_VENV}/bin/pip install 'setuptools<82' 'seldon-core==1.18.*' scikit-learn)")  # fmt: skip


def in_process_and_forest(
    made: dict[str, Any], quick: bool, wb: list[str], root: Path, env: dict[str, str]
) -> None:
    """In-process medians, then the RandomForest served against in-process predict."""
    from serving_helpers import example_model

    print("\nin process (median ms):")
    for label, ms in in_process(example_model(), quick).items():
        print(f"  {label:40} {ms:8.3f}")

    print("\nRandomForest(100), workbench store path, 1 row at 1 connection vs in-process:")
    port = free_port()
    forest_server = start("workbench forest", [*wb, str(made["forest_folder"]), "--port", str(port),
                          "--trust-unverified"],
                          port, "/v2/health/ready", root, env)  # fmt: skip
    # Served and in-process calls alternate in small rounds, so both see the same machine load.
    from serving_helpers import training_frame

    one = training_frame()[0].iloc[:1]
    model = made["forest"]
    request = request_for("invocations", 1)
    served = Result()
    local: list[float] = []
    try:
        drive(port, request, 50, 1, 10)  # warm-up
        for _ in range(4 if quick else 10):
            res = drive(port, request, 50, 1, 10)
            served.latencies += res.latencies
            served.seconds += res.seconds
            for _ in range(50):
                t = time.perf_counter()
                model.predict_proba(one)
                local.append(time.perf_counter() - t)
    finally:
        forest_server.stop()
    local_p50 = statistics.median(local) * 1000
    print(
        f"  served p50 {served.pct(50):.3f} ms, p99 {served.pct(99):.3f} ms, {served.rps:.0f} req/s"
    )
    print(
        f"  in-process predict_proba (1-row DataFrame) p50 {local_p50:.3f} ms -> served minus "
        f"in-process {served.pct(50) - local_p50:+.3f} ms (target: within 1 ms)"
    )
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
