"""`workbench server` on PostgreSQL with artifacts proxied to S3 (moto), used through HTTP."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import workbench.tracking as wbt
from tests.s3_helpers import free_port
from tests.team.server_helpers import TrackingServer
from workbench.cli.server import server_command

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_command_line_is_mlflow_server_with_proxied_artifacts() -> None:
    argv = server_command(
        "postgresql://mlflow@db:5432/mlflow", "", "s3://b/mlflow", "0.0.0.0", 5000, 4, "mlflow.svc"
    )
    assert argv[1:4] == ["-m", "mlflow", "server"]
    pairs = dict(zip(argv[4::2], argv[5::2], strict=False))
    assert pairs["--backend-store-uri"].startswith("postgresql+psycopg://mlflow@db:5432/")
    assert pairs["--registry-store-uri"] == pairs["--backend-store-uri"]
    assert "--serve-artifacts" in argv and argv[argv.index("--artifacts-destination") + 1] == (
        "s3://b/mlflow"
    )
    assert argv[argv.index("--workers") + 1] == "4"
    assert argv[argv.index("--allowed-hosts") + 1] == "mlflow.svc"
    assert argv[argv.index("--uvicorn-opts") + 1] == "--timeout-worker-healthcheck 120"
    assert "--uvicorn-opts" not in server_command("sqlite:///x.db", "", "a", "h", 1, 1)


def test_unreachable_postgres_is_one_error_without_credentials(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql://alice:Sup3r-s3cret@127.0.0.1:{port}/mlflow"
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "server", "--backend-store-uri", url,
         "--port", str(free_port())],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert f"127.0.0.1:{port}" in output and "cannot be reached" in output
    assert "Sup3r" not in output and "alice" not in output
    assert "Traceback" not in output


def test_runs_models_and_artifacts_go_through_the_server(
    server_project: Path, team_server: TrackingServer, s3_server: Any
) -> None:
    import boto3
    from sklearn.linear_model import LogisticRegression

    from workbench.tracking.queries import open_run_source

    X = [[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]]
    model = LogisticRegression().fit(X, [0, 1, 0, 1])
    wbt.set_experiment("team")
    with wbt.start_run(run_name="laptop") as run:
        run.log_params({"C": 1.0})
        run.log_metric("acc", 0.75)
        info = run.log_model(model, register="team-model")
    assert info.version == 1
    # artifacts are in the bucket, written by the server (this process has no AWS variables)
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint_url,
        aws_access_key_id=s3_server.key,
        aws_secret_access_key=s3_server.secret,
        region_name="us-east-1",
    )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="team-artifacts").get("Contents", [])]
    assert any(k.startswith("mlflow/") and k.endswith("MLmodel") for k in keys), keys
    # and the run is in PostgreSQL, where the narrow SQL reader finds it
    source = open_run_source("team", tracking_uri=team_server.backend)
    [record] = source.search("attributes.run_name = 'laptop'").records
    assert record.run_id == info.run_id and record.metrics == {"acc": 0.75}
    # the promotion gate works through the server too
    decision = wbt.promote("team-model", 1, metric="accuracy", X=X, y=[0, 1, 0, 1])
    assert decision.promoted
