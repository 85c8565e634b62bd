"""Runs per second: 4 processes logging at once through `workbench server` (PostgreSQL + S3
proxy) against the same processes writing straight to a SQLite file and straight to PostgreSQL.

    PYTHONPATH=. .venv/bin/python benchmarks/team.py              # 4 processes x 500 runs
    PYTHONPATH=. .venv/bin/python benchmarks/team.py --runs 50    # a quick check

Each run is create_run + one log_batch (a param, a metric) + set_terminated through
MlflowClient, from tests/team/load_worker.py. PostgreSQL is Debian's (started in a temporary
folder, as the tests do), the artifact destination a moto S3 server. Store creation and server
start-up are not timed; each batch's wall clock minus one `import mlflow` (every worker pays
it once, in parallel) is what is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.pg_helpers import postgres_server
from tests.project_helpers import make_project, migrate_store
from tests.s3_helpers import moto_server
from tests.team.server_helpers import TrackingServer


def _batch(uri: str, experiment_id: str, processes: int, runs: int) -> float:
    """Seconds for `processes` workers logging `runs` runs each into `uri` at once."""
    env = {
        **os.environ,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "10",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    started = time.monotonic()
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.team.load_worker",
                uri,
                experiment_id,
                f"p{k}",
                str(runs),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for k in range(processes)
    ]
    for proc in workers:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"worker failed on {uri.split('://')[0]}:\n{out.decode()[-2000:]}")
    return time.monotonic() - started


def _import_seconds() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "import mlflow"], check=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="runs per process")
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    from mlflow import MlflowClient

    total = args.runs * args.processes
    imports = _import_seconds()  # each worker pays it once; subtracted from every way alike
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as pg, moto_server() as s3:
        sqlite = f"sqlite:///{Path(tmp) / 'mlflow.db'}"
        migrate_store(sqlite)
        direct_pg = pg.create_database("direct")
        migrate_store(direct_pg)
        import boto3

        boto3.client(
            "s3",
            endpoint_url=s3,
            aws_access_key_id="k",
            aws_secret_access_key="s",
            region_name="us-east-1",
        ).create_bucket(Bucket="bench")
        server_db = pg.create_database("server")
        server = TrackingServer(
            backend=server_db,
            artifacts="s3://bench/mlflow",
            env={
                "AWS_ACCESS_KEY_ID": "k",
                "AWS_SECRET_ACCESS_KEY": "s",
                "MLFLOW_S3_ENDPOINT_URL": s3,
            },
            cwd=make_project(Path(tmp) / "server"),
        )
        server.start()
        try:
            for label, uri in (
                ("direct SQLite", sqlite),
                ("direct PostgreSQL", direct_pg),
                ("workbench server", server.url),
            ):
                experiment_id = MlflowClient(uri).create_experiment(f"bench-{len(results)}")
                seconds = max(_batch(uri, experiment_id, args.processes, args.runs) - imports, 1e-3)
                results[label] = total / seconds
                print(
                    f"{label:>18}: {total} runs in {seconds:6.1f} s = {results[label]:7.1f} runs/s"
                )
        finally:
            server.stop()
    base = results["workbench server"]
    for label in ("direct SQLite", "direct PostgreSQL"):
        print(f"server / {label}: {base / results[label]:.2f}x the runs/s")


if __name__ == "__main__":
    main()
