"""`workbench integration-test URL`: against a real `workbench serve` of the registered champion
(every check passes), against a server of another model (fails, naming the mismatch), against
nothing (fails, naming the URL). The expected answers come from the registry, not the server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving_helpers import (
    NAME,
    REPO,
    Registered,
    ServerProcess,
    free_port,
    start_server,
    stop_server,
    training_frame,
    write_store_model,
)

pytestmark = pytest.mark.slow


def integration_test(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", "integration-test", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(root)},
        timeout=180,
    )


@pytest.fixture(scope="module")
def champion(registered_project: Registered) -> Iterator[ServerProcess]:
    server = start_server(f"models:/{NAME}@champion", registered_project.root)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def impostor(registered_project: Registered) -> Iterator[ServerProcess]:
    """Another model under another name: a majority-class baseline registered as churn-gbm."""
    from sklearn.dummy import DummyClassifier

    x, y = training_frame()
    folder = write_store_model(
        registered_project.root / "other-models",
        DummyClassifier(strategy="most_frequent").fit(x, y),
        name="churn-gbm",
    )
    # a bare model-store folder with no registry record: served only when the operator vouches
    server = start_server(str(folder), registered_project.root, "--trust-unverified")
    yield server
    stop_server(server)


def test_the_served_champion_passes_every_check(
    registered_project: Registered, champion: ServerProcess
) -> None:
    out = integration_test(registered_project.root, champion.url, "--model", NAME)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"against {NAME} version {registered_project.version}" in out.stdout
    for name in ("seldon health", "v2 health", "v2 metadata", "seldon predictions",
                 "v2 predictions", "error contract", "latency"):  # fmt: skip
        assert f"PASS  {name}" in out.stdout, out.stdout
    assert "5 predictions equal the model's own" in out.stdout  # the logged input example


def test_another_model_fails_naming_the_mismatch(
    registered_project: Registered, impostor: ServerProcess
) -> None:
    out = integration_test(registered_project.root, impostor.url, "--model", NAME)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "FAIL  v2 metadata" in out.stdout and "serves 'churn-gbm'" in out.stdout
    assert "FAIL  seldon predictions" in out.stdout
    assert f"differ from {NAME} version {registered_project.version}'s own" in out.stdout
    assert "PASS  seldon health" in out.stdout  # it is up: only the model is wrong
    assert "checks failed" in out.stdout and "Traceback" not in out.stderr


def test_an_unreachable_endpoint_and_bad_input_are_reported(
    registered_project: Registered,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    out = integration_test(registered_project.root, url, "--model", NAME)
    assert out.returncode == 1 and f"{url}: " in out.stdout and "Traceback" not in out.stderr
    out = integration_test(registered_project.root, url, "--model", "no-such-model")
    assert out.returncode == 2 and "no-such-model" in out.stderr
    out = integration_test(registered_project.root, "localhost:9000", "--model", NAME)
    assert out.returncode == 2 and "expected an http" in out.stderr
