"""ci/scripts/status.sh against a local fake of GitHub's REST API: the commit status request
has GitHub's shape (POST /repos/OWNER/REPO/statuses/SHA, a JSON object of state, target_url,
description and context, the token as a bearer header) and the token never reaches the output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.ci.fake_github import TOKEN, FakeGitHub

SCRIPT = Path(__file__).resolve().parents[2] / "ci" / "scripts" / "status.sh"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def report(api: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ["PATH"],
        "TMPDIR": str(tmp_path),
        "GITHUB_API": api,
        "GITHUB_REPOSITORY": "octo-org/hello.world",
        "REVISION": SHA,
        "TARGET_URL": "https://argo.example.com/workflows/demo-ci/demo-ci-x7k2p",
        "GITHUB_TOKEN": TOKEN,
    }
    return subprocess.run(
        ["sh", str(SCRIPT)], env={**base, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("status", "state"),
    [("pending", "pending"), ("Succeeded", "success"), ("Failed", "failure"), ("Error", "error")],
)
def test_the_workflow_status_becomes_a_github_commit_status(
    github: str, tmp_path: Path, status: str, state: str
) -> None:
    out = report(github, tmp_path, STATUS=status)
    assert out.returncode == 0, out.stderr
    (seen,) = FakeGitHub.seen
    assert seen["problems"] == [] and seen["path"] == f"/repos/octo-org/hello.world/statuses/{SHA}"
    assert seen["body"]["state"] == state and seen["body"]["context"] == "workbench/ci"
    assert seen["body"]["target_url"].endswith("/demo-ci-x7k2p")
    assert TOKEN not in out.stdout + out.stderr
    assert list(tmp_path.iterdir()) == []  # the header file with the token is removed


def test_awkward_text_is_quoted_and_trimmed(github: str, tmp_path: Path) -> None:
    text = 'tests "failed" \\ in step\n' + "x" * 200
    out = report(github, tmp_path, STATUS="Failed", DESCRIPTION=text, CONTEXT="ci/my ctx")
    assert out.returncode == 0, out.stderr
    (seen,) = FakeGitHub.seen
    assert seen["body"]["description"] == text[:140] and seen["body"]["context"] == "ci/my ctx"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REVISION": "main; rm -rf /"}, "not a commit SHA"),
        ({"REVISION": SHA[:12]}, "not a full commit SHA"),
        ({"GITHUB_REPOSITORY": "octo-org/x/../y"}, "not OWNER/REPO"),
        ({"GITHUB_REPOSITORY": "../admin"}, "not OWNER/REPO"),
        ({"STATUS": "Omitted"}, "is not pending"),
    ],
)
def test_bad_input_sends_nothing(
    github: str, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    out = report(github, tmp_path, **{"STATUS": "Succeeded", **env})
    assert out.returncode == 2 and message in out.stderr
    assert FakeGitHub.seen == []


def test_a_refused_status_fails_the_step(github: str, tmp_path: Path) -> None:
    FakeGitHub.answer = 404  # e.g. a token without access to the repository
    out = report(github, tmp_path, STATUS="Succeeded")
    assert out.returncode != 0 and "404" in out.stderr
    assert TOKEN not in out.stdout + out.stderr
