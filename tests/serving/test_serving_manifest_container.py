"""The serving manifests' container command, run here as the pod would run it.

The staging overlay is built with `kubectl kustomize` under one more overlay that points the
ConfigMap at this machine (a SQLite registry, a pinned version: what `workbench deploy` writes),
and the SeldonDeployment's champion container is started with exactly its command, args and
environment: ConfigMap references resolved from the built ConfigMap, optional Secret references
absent, `$(VAR)` expanded as the kubelet does, mount paths mapped to local folders. Only
`--host 0.0.0.0 --port 9000` become 127.0.0.1 and a free port (tests bind loopback only). As
root, the server runs as the manifest's runAsUser with nothing writable but its /tmp folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from serving_helpers import NAME, REPO, example_model, free_port, register_model, rows

from tests.project_helpers import reset_mlflow_globals

OVERLAY = REPO / "manifests" / "train"


def _kustomize(folder: Path) -> list[dict[str, Any]]:
    out = subprocess.run(["kubectl", "kustomize", str(folder)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def _expand(text: str, env: dict[str, str]) -> str:
    """The kubelet's $(VAR) expansion: defined variables replaced, $$ escapes a dollar."""
    return re.sub(
        r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
        lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
        text,
    )


def _container_env(container: dict[str, Any], config: dict[str, dict[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for var in container["env"]:
        if "value" in var:
            env[var["name"]] = _expand(var["value"], env)
            continue
        source = var["valueFrom"]
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[var["name"]] = config[ref["name"]][ref["key"]]
        else:  # no Secret here: only optional references are allowed to be missing
            assert source["secretKeyRef"]["optional"] is True, var
    return env


@pytest.fixture(scope="module")
def project() -> Iterator[Path]:
    """A registered example model in a folder the server's non-root user can read, not write."""
    root = Path(tempfile.mkdtemp(prefix="wb-serving-manifest-"))
    root.chmod(0o755)
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0"\n')
    saved_cwd, saved_env = os.getcwd(), dict(os.environ)
    for key in [k for k in os.environ if k.startswith(("MLFLOW_", "WORKBENCH_"))]:
        del os.environ[key]
    reset_mlflow_globals()
    os.chdir(root)
    try:
        register_model(root, example_model())
        yield root
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        reset_mlflow_globals()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.integration
def test_seldon_container_command_serves_the_pinned_model(project: Path, tmp_path: Path) -> None:
    manifests = tmp_path / "manifests" / "train"
    shutil.copytree(OVERLAY / "base" / "serving", manifests / "base" / "serving")
    shutil.copytree(
        OVERLAY / "overlays" / "staging" / "serving", manifests / "overlays/staging/serving"
    )
    here = manifests / "overlays" / "here" / "serving"
    here.mkdir(parents=True)
    here.joinpath("kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "resources": ["../../staging/serving"],
                "configMapGenerator": [
                    {
                        "name": f"{NAME}-serving",
                        "behavior": "merge",
                        "literals": [
                            f"champion=models:/{NAME}/1",
                            f"mlflow-tracking-uri=sqlite:///{project}/mlflow.db",
                        ],
                    }
                ],
            }
        )
    )
    docs = _kustomize(here)
    config = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    (sdep,) = [d for d in docs if d["kind"] == "SeldonDeployment"]
    champion = sdep["spec"]["predictors"][0]
    assert champion["name"] == "champion"
    pod = champion["componentSpecs"][0]["spec"]
    (container,) = pod["containers"]

    env = _container_env(container, config)
    assert env["WORKBENCH_MODEL_URI"] == f"models:/{NAME}/1"
    # the emptyDir on /tmp (pytest's tmp_path sits under a folder only root may enter)
    scratch = Path(tempfile.mkdtemp(prefix="wb-scratch-"))
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    local = {"/tmp": str(scratch), "/mnt/model-store": str(project / "models")}
    assert set(mounts) == set(local) and mounts["/mnt/model-store"]["readOnly"] is True
    env = {k: local.get(v, v) for k, v in env.items()}
    argv = [_expand(a, env) for a in container["command"] + container["args"]]
    port = free_port()
    assert argv[:3] == ["workbench", "serve", f"models:/{NAME}/1"]
    assert argv[3:] == ["--host", "0.0.0.0", "--port", "9000"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ping", "port": 9000}
    # the image's `workbench` console script is this interpreter's `-m workbench`
    argv = [sys.executable, "-m", "workbench", *argv[1:3], "--host", "127.0.0.1"]
    argv += ["--port", str(port)]

    security = container["securityContext"]
    user = security["runAsUser"]
    if os.getuid() == 0:  # as the pod: the manifest's uid, owning only its /tmp
        os.chown(scratch, user, security["runAsGroup"])
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    proc = subprocess.Popen(
        argv,
        cwd=scratch,
        env={**env, "PATH": os.environ["PATH"]},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)
        body = {"data": {"ndarray": rows(3)}}
        answer = httpx.post(f"{url}/api/v1.0/predictions", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        names = answer.json()["data"]["names"]
        labels = [row[names.index("label")] for row in answer.json()["data"]["ndarray"]]
        from serving_helpers import training_frame

        x, _ = training_frame()
        assert labels == example_model().predict(x.iloc[:3]).tolist()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stdout is not None:
            proc.stdout.close()  # the server's output pipe: read only when it died
        shutil.rmtree(scratch, ignore_errors=True)
