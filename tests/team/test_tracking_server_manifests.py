"""The tracking server's manifests: committed = generated, secrets by reference, hardened."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from workbench.emit.tracking_server import emit_tracking_server

REPO = Path(__file__).resolve().parents[2]
FOLDER = REPO / "manifests" / "mlflow-server"


def test_committed_manifests_equal_the_generated_ones() -> None:
    assert emit_tracking_server() == emit_tracking_server()  # deterministic
    done = subprocess.run(
        [sys.executable, "-m", "workbench.emit.tracking_server", str(FOLDER), "--check"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_deployment_runs_workbench_server_with_secret_references_and_probes() -> None:
    docs = {rel: yaml.safe_load(text) for rel, text in emit_tracking_server().items()}
    pod = docs["deployment.yaml"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["command"] == ["workbench", "server"]
    args = container["args"]
    assert args[args.index("--backend-store-uri") + 1] == "$(MLFLOW_BACKEND_STORE_URI)"
    assert args[args.index("--host") + 1] == "0.0.0.0"
    env = {e["name"]: e for e in container["env"]}
    for name in ("MLFLOW_BACKEND_STORE_URI", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert "value" not in env[name] and "secretKeyRef" in env[name]["valueFrom"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and security["runAsNonRoot"]
    assert security["capabilities"]["drop"] == ["ALL"] and not pod["automountServiceAccountToken"]
    service = docs["service.yaml"]
    # the address the pipelines' ConfigMaps point at: http://mlflow.mlflow.svc:5000
    assert (service["metadata"]["name"], service["metadata"]["namespace"]) == ("mlflow", "mlflow")
    assert service["spec"]["ports"][0]["port"] == 5000
    text = "".join(emit_tracking_server().values())
    assert "password" not in text.lower() and "postgresql://" not in text
