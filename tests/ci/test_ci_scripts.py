"""The CI step scripts (ci/scripts/), shellcheck-clean and run here as CI runs them: the clone
at a revision and the GitOps promotion (set-image, commit, push) against local bare
repositories, with a credential in the environment that must never reach the output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "ci" / "scripts"
TOKEN = "ghp_9vQm2LxT7cW4nB8kZr1Yd6Hs3Fj0Pa5Ue2Ko"
DIGEST = "sha256:" + "4f" * 32
DIGEST2 = "sha256:" + "a9" * 32


def git(*args: str, cwd: Path) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def script(name: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(
        ["sh", str(SCRIPTS / name)], cwd=cwd, env={**base, **env}, capture_output=True, text=True
    )


def bare_repo(tmp: Path, files: dict[str, str], branch: str = "main") -> tuple[Path, list[str]]:
    """A bare repository with one commit per file; returns it and the commit SHAs."""
    work, bare = tmp / "work", tmp / "origin.git"
    git("init", "-q", "-b", branch, str(work), cwd=tmp)
    shas = []
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
        git("add", rel, cwd=work)
        git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", rel, cwd=work)
        shas.append(git("rev-parse", "HEAD", cwd=work))
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp)
    return bare, shas


def example_gitops(tmp: Path) -> tuple[Path, Path]:
    """The project's CI scripts written out (as the CI ConfigMap mounts them) and a bare GitOps
    remote holding this repository's tracked manifests/train: (scripts folder, remote)."""
    from workbench.emit.gitops.project import read_ci_scripts

    scripts = tmp / "scripts"
    scripts.mkdir()
    for name, text in read_ci_scripts(REPO):
        (scripts / name).write_text(text)
    tracked = git("ls-files", "manifests/train", cwd=REPO).splitlines()
    (tmp / "gitops").mkdir()
    remote, _ = bare_repo(tmp / "gitops", {r: (REPO / r).read_text() for r in tracked})
    return scripts, remote


def test_every_ci_script_is_shellcheck_clean() -> None:
    scripts = sorted(SCRIPTS.glob("*.sh"))
    assert scripts
    out = subprocess.run(
        ["shellcheck", "-x", *map(str, scripts)], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_clone_checks_out_exactly_the_revision(tmp_path: Path) -> None:
    bare, shas = bare_repo(tmp_path, {"a.txt": "one\n", "b.txt": "two\n"})
    dest = tmp_path / "src"
    env = {"REPOSITORY": f"file://{bare}", "REVISION": shas[0], "DEST": str(dest)}
    out = script("clone.sh", {**env, "GIT_PASSWORD": TOKEN}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert git("rev-parse", "HEAD", cwd=dest) == shas[0]  # not the branch's newer head
    assert (dest / "a.txt").is_file() and not (dest / "b.txt").exists()
    assert TOKEN not in out.stdout + out.stderr + (dest / ".git" / "config").read_text()
    bad = script("clone.sh", {**env, "REVISION": "main; rm -rf /", "DEST": str(tmp_path / "x")},
                 tmp_path)  # fmt: skip
    assert bad.returncode == 2 and "commit SHA" in bad.stderr


@pytest.fixture
def gitops(tmp_path: Path) -> Path:
    rels = [
        "manifests/train/overlays/staging/kustomization.yaml",
        "manifests/train/overlays/staging/serving/kustomization.yaml",
    ]
    bare, _ = bare_repo(tmp_path, {rel: (REPO / rel).read_text() for rel in rels})
    return bare


def promote(tmp_path: Path, bare: Path, images: str) -> subprocess.CompletedProcess[str]:
    workbench = shutil.which("workbench", path=str(Path(sys.executable).parent))
    assert workbench
    env = {
        "GITOPS_REPO": f"file://{bare}",
        "GITOPS_BRANCH": "main",
        "OVERLAYS": "manifests/train/overlays/staging manifests/train/overlays/staging/serving",
        "IMAGES": images,
        "MESSAGE": "ci: train images for staging",
        "WORKBENCH": workbench,
        "GIT_PASSWORD": TOKEN,
        "WORKDIR": str(tmp_path),
    }
    return script("set-image.sh", env, tmp_path)


@pytest.mark.slow
def test_set_image_commits_the_digest_once_and_pushes(tmp_path: Path, gitops: Path) -> None:
    before = git("rev-parse", "main", cwd=gitops)
    image = (
        f"workbench/train-steps=registry.example.com/ml/train-steps@{DIGEST} "
        f"workbench/train-serving=registry.example.com/ml/train-serving@{DIGEST2}"
    )
    out = promote(tmp_path, gitops, image)
    assert out.returncode == 0, out.stdout + out.stderr
    after = git("rev-parse", "main", cwd=gitops)
    assert after != before and git("rev-parse", "main~1", cwd=gitops) == before
    text = git("show", "main:manifests/train/overlays/staging/kustomization.yaml", cwd=gitops)
    assert "newName: registry.example.com/ml/train-steps" in text and DIGEST in text
    assert "# Seeded by workbench productionize" in text  # comments kept
    assert "train-serving" not in text  # each image only where the overlay lists it
    serving = git(
        "show", "main:manifests/train/overlays/staging/serving/kustomization.yaml", cwd=gitops
    )
    assert "registry.example.com/ml/train-serving" in serving and DIGEST2 in serving
    assert git("rev-list", "--count", f"{before}..main", cwd=gitops) == "1"  # one commit
    assert git("log", "-1", "--format=%s", "main", cwd=gitops) == "ci: train images for staging"
    again = promote(tmp_path, gitops, image)  # a retried step changes nothing
    assert again.returncode == 0 and "nothing to commit" in again.stdout
    assert git("rev-parse", "main", cwd=gitops) == after
    for output in (out, again):
        assert TOKEN not in output.stdout + output.stderr
    assert list(tmp_path.glob("gitops.*")) == []  # the work folder is removed


def test_set_image_refuses_a_tag_or_an_unknown_image(tmp_path: Path, gitops: Path) -> None:
    before = git("rev-parse", "main", cwd=gitops)
    out = promote(tmp_path, gitops, "workbench/train-steps=registry.example.com/x:latest")
    assert out.returncode == 2 and "sha256" in out.stderr
    out = promote(tmp_path, gitops, f"workbench/trian-steps=registry.example.com/x@{DIGEST}")
    assert out.returncode == 2 and "lists the image workbench/trian-steps" in out.stderr
    assert git("rev-parse", "main", cwd=gitops) == before
