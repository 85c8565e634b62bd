"""The CI scripts that call cluster or registry tools, run here: `build.sh` with a fake
`buildctl-daemonless.sh` on PATH that records its argv and writes BuildKit's metadata file,
`test.sh` with fake `make` and `workbench`, and `wait-argocd.sh` with real curl against a local
fake of Argo CD's `GET /api/v1/applications/NAME`. Each fake checks the call as the real tool
would take it (buildctl's flags, Argo CD's bearer token)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.project_helpers import http_server

SCRIPTS = Path(__file__).resolve().parents[2] / "ci" / "scripts"
TOKEN = "argocd-token-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
DIGEST = "sha256:" + "5e" * 32
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"

# A recording shim: its argv (NUL-separated) goes to $SHIM_LOG/<name>, then `body` runs.
SHIM = """#!/bin/sh
printf '%s\\0' "$0" "$@" >> "$SHIM_LOG/$(basename "$0")"
{body}
"""


def shim(bin_dir: Path, name: str, body: str = "exit 0") -> None:
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(SHIM.format(body=body))
    path.chmod(0o755)


def calls(log: Path, name: str) -> list[list[str]]:
    """Each recorded call's argv without the program (one call per recorded $0)."""
    if not (log / name).exists():
        return []
    out: list[list[str]] = []
    for item in (log / name).read_text().split("\0")[:-1]:
        if item.endswith("/" + name):
            out.append([])
        else:
            out[-1].append(item)
    return out


def run(script: str, tmp: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (tmp / "log").mkdir(exist_ok=True)
    base = {
        "PATH": f"{tmp / 'bin'}:{os.environ['PATH']}",
        "HOME": str(tmp),
        "TMPDIR": str(tmp),
        "SHIM_LOG": str(tmp / "log"),
    }
    return subprocess.run(
        ["sh", str(SCRIPTS / script)], env={**base, **env}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def flag_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


# buildctl writes its --metadata-file as JSON with the pushed manifest's digest
BUILDCTL = """
meta=""; prev=""
for a in "$@"; do [ "$prev" = "--metadata-file" ] && meta=$a; prev=$a; done
[ "$1" = build ] || { echo "buildctl: unknown command $1" >&2; exit 1; }
printf '{"containerimage.digest": "%s", "image.name": "x"}' "$DIGEST" > "$meta"
"""


@pytest.mark.parametrize("target", ["", "serving"])
def test_build_calls_buildctl_as_it_expects_and_returns_the_digest(
    tmp_path: Path, target: str
) -> None:
    shim(tmp_path / "bin", "buildctl-daemonless.sh", BUILDCTL)
    env = {
        "SRC": str(tmp_path / "src"),
        "DOCKERFILE": "steps/train/serving.Dockerfile",
        "TARGET": target,
        "IMAGE": "registry.example.com/ml/train-serving",
        "TAG": SHA,
        "DIGEST_FILE": str(tmp_path / "digest"),
        "DIGEST": DIGEST,
    }
    out = run("build.sh", tmp_path, env)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "digest").read_text() == DIGEST
    (argv,) = calls(tmp_path / "log", "buildctl-daemonless.sh")
    assert argv[0] == "build"
    assert flag_values(argv, "--frontend") == ["dockerfile.v0"]
    assert sorted(flag_values(argv, "--local")) == [
        f"context={tmp_path}/src",
        f"dockerfile={tmp_path}/src/steps/train",
    ]
    opts = flag_values(argv, "--opt")
    assert "filename=serving.Dockerfile" in opts
    assert ("target=serving" in opts) == bool(target)
    (output,) = flag_values(argv, "--output")
    assert output == f"type=image,name=registry.example.com/ml/train-serving:{SHA},push=true"
    cache = "type=registry,ref=registry.example.com/ml/train-serving:buildcache"
    assert flag_values(argv, "--import-cache") == [cache]
    assert flag_values(argv, "--export-cache") == [cache + ",mode=max"]


def test_a_pull_requests_build_pushes_nothing_and_touches_no_registry_cache(
    tmp_path: Path,
) -> None:
    """PUSH=false, as the `-pr` build templates set it: the image is built (its digest still
    reported), not pushed, and the registry cache main's builds import is neither read nor
    written; anything but true/false is refused before BuildKit starts."""
    shim(tmp_path / "bin", "buildctl-daemonless.sh", BUILDCTL)
    env = {"SRC": str(tmp_path), "DOCKERFILE": "ci/Dockerfile", "IMAGE": "r/ci", "TAG": SHA,
           "DIGEST_FILE": str(tmp_path / "digest"), "DIGEST": DIGEST, "PUSH": "false"}  # fmt: skip
    out = run("build.sh", tmp_path, env)
    assert out.returncode == 0, out.stderr
    assert f"built r/ci@{DIGEST} (not pushed)" in out.stdout
    (argv,) = calls(tmp_path / "log", "buildctl-daemonless.sh")
    assert flag_values(argv, "--output") == [f"type=image,name=r/ci:{SHA},push=false"]
    assert flag_values(argv, "--import-cache") == [] and flag_values(argv, "--export-cache") == []
    assert (tmp_path / "digest").read_text() == DIGEST
    out = run("build.sh", tmp_path, {**env, "PUSH": "yes"})
    assert out.returncode == 2 and "PUSH must be true or false" in out.stderr
    assert len(calls(tmp_path / "log", "buildctl-daemonless.sh")) == 1


def test_build_fails_without_a_digest(tmp_path: Path) -> None:
    shim(tmp_path / "bin", "buildctl-daemonless.sh", BUILDCTL)
    env = {"SRC": str(tmp_path), "DOCKERFILE": "Dockerfile", "IMAGE": "r/x", "TAG": "t",
           "DIGEST_FILE": str(tmp_path / "digest"), "DIGEST": "not-a-digest"}  # fmt: skip
    out = run("build.sh", tmp_path, env)
    assert out.returncode == 1 and "no containerimage.digest" in out.stderr
    assert not (tmp_path / "digest").exists()


def test_test_runs_make_test_then_checks_every_pipeline(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in ("train", "churn"):
        (src / "steps" / name).mkdir(parents=True)
        (src / "steps" / name / "pipeline.json").write_text(
            json.dumps({"notebook": f"notebooks/{name}.ipynb"})
        )
    shim(tmp_path / "bin", "make", 'echo "make in $(pwd)" > "$SHIM_LOG/make.cwd"')
    shim(tmp_path / "bin", "workbench")
    out = run("test.sh", tmp_path, {"SRC": str(src)})
    assert out.returncode == 0, out.stderr
    assert calls(tmp_path / "log", "make") == [["test"]]
    assert (tmp_path / "log" / "make.cwd").read_text().strip() == f"make in {src}"
    assert sorted(calls(tmp_path / "log", "workbench")) == [
        ["productionize", f"notebooks/{n}.ipynb", "--check"] for n in ("churn", "train")
    ]
    shim(tmp_path / "bin", "make", "exit 2")  # a failing test suite stops the step
    (tmp_path / "log" / "workbench").unlink()
    out = run("test.sh", tmp_path, {"SRC": str(src)})
    assert out.returncode != 0 and calls(tmp_path / "log", "workbench") == []


class FakeArgoCD(BaseHTTPRequestHandler):
    """`GET /api/v1/applications/NAME` as Argo CD's API answers it (status.sync, status.health),
    the next state of `states` per call; 401 without the bearer token."""

    states: ClassVar[list[tuple[str, str, str]]] = []
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.paths.append(self.path)
        if self.headers.get("authorization") != f"Bearer {TOKEN}":
            self.send_error(401)
            return
        sync, revision, health = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        body = json.dumps({
            "metadata": {"name": self.path.rsplit("/", 1)[-1]},
            "status": {"sync": {"status": sync, "revision": revision},
                       "health": {"status": health}},
        }).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def argocd() -> Iterator[str]:
    FakeArgoCD.states, FakeArgoCD.paths = [], []
    with http_server(FakeArgoCD) as port:
        yield f"http://127.0.0.1:{port}"


def test_wait_argocd_ends_when_synced_to_the_revision_and_healthy(
    tmp_path: Path, argocd: str
) -> None:
    FakeArgoCD.states = [("Synced", SHA, "Healthy")]
    env = {"ARGOCD_SERVER": argocd, "APP": "train-serving-staging", "REVISION": SHA,
           "ARGOCD_AUTH_TOKEN": TOKEN}  # fmt: skip
    out = run("wait-argocd.sh", tmp_path, env)
    assert out.returncode == 0, out.stderr
    assert FakeArgoCD.paths == ["/api/v1/applications/train-serving-staging"]
    assert TOKEN not in out.stdout + out.stderr
    assert not list(tmp_path.glob("argocd-headers.*"))  # the token's file is removed


@pytest.mark.parametrize(
    "state",
    [("Synced", "0" * 40, "Healthy"), ("OutOfSync", SHA, "Healthy"), ("Synced", SHA, "Degraded")],
)
def test_wait_argocd_times_out_on_another_revision_or_state(
    tmp_path: Path, argocd: str, state: tuple[str, str, str]
) -> None:
    FakeArgoCD.states = [state]
    env = {"ARGOCD_SERVER": argocd, "APP": "a", "REVISION": SHA, "ARGOCD_AUTH_TOKEN": TOKEN,
           "TIMEOUT_SECONDS": "0"}  # fmt: skip
    out = run("wait-argocd.sh", tmp_path, env)
    assert out.returncode == 1 and "not synced to" in out.stderr
    assert f"a: {' '.join(state)}" in out.stdout


def test_wait_argocd_with_a_wrong_token_never_passes(tmp_path: Path, argocd: str) -> None:
    FakeArgoCD.states = [("Synced", SHA, "Healthy")]
    env = {"ARGOCD_SERVER": argocd, "APP": "a", "REVISION": SHA,
           "ARGOCD_AUTH_TOKEN": "wrong", "TIMEOUT_SECONDS": "0"}  # fmt: skip
    out = run("wait-argocd.sh", tmp_path, env)
    assert out.returncode == 1 and "a: unreachable" in out.stdout


def test_the_ci_image_is_built_from_the_projects_recipe_as_the_yaml_says(tmp_path: Path) -> None:
    """build-ci, from the generated WorkflowTemplate: the same build.sh with BuildKit on the
    project's ci/Dockerfile, whose sources exist and whose user is not root."""
    import yaml

    from tests.ci.test_ci_template import spec
    from workbench.emit import build_platform
    from workbench.emit.gitops.ci import BUILDKIT

    repo = SCRIPTS.parents[1]
    text = build_platform(spec())["manifests/platform/ci/workflowtemplate.yaml"]
    (doc,) = [d for d in yaml.safe_load_all(text) if d]
    template = next(t for t in doc["spec"]["templates"] if t["name"] == "build-ci")
    container = template["container"]
    assert container["image"] == BUILDKIT and container["command"][1].endswith("build.sh")
    env = {e["name"]: e["value"] for e in container["env"]}
    assert (
        env["DOCKERFILE"] == "ci/Dockerfile"
        and env["IMAGE"] == "registry.example.com/ml/workbench-ci"
    )
    recipe = (repo / env["DOCKERFILE"]).read_text()
    for line in recipe.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (repo / source).exists(), source
    users = [line.split()[1] for line in recipe.splitlines() if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert "system-deps:" in (repo / "Makefile").read_text()  # what the recipe runs
    shim(tmp_path / "bin", "buildctl-daemonless.sh", BUILDCTL)
    env.update(SRC=str(repo), TAG=SHA, DIGEST_FILE=str(tmp_path / "digest"), DIGEST=DIGEST)
    out = run("build.sh", tmp_path, env)
    assert out.returncode == 0, out.stderr
    (argv,) = calls(tmp_path / "log", "buildctl-daemonless.sh")
    assert f"dockerfile={repo}/ci" in flag_values(argv, "--local")
    assert "filename=Dockerfile" in flag_values(argv, "--opt")
