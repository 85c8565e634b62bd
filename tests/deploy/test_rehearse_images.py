"""The rehearsal's images, read from the generated Dockerfiles: the deploy task's image is the
`deploy` target of serving.Dockerfile (git from its apt line, ruamel.yaml from its pip line),
and a Debian package an image does not install is absent from its pods, as in the image."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.core.errors import WorkbenchError
from workbench.deploy.rehearse import image, podspec, sandbox
from workbench.deploy.rehearse.engine import untagged

REPO = Path(__file__).resolve().parents[2]
STEPS = REPO / "steps/train/Dockerfile"
SERVING = REPO / "steps/train/serving.Dockerfile"


def test_the_deploy_target_has_git_and_the_serving_target_does_not() -> None:
    deploy = image.read_dockerfile(SERVING, target="deploy")
    serving = image.read_dockerfile(SERVING, target="serving")
    assert "git" in deploy.apt and serving.apt == []
    assert deploy.installs[-1] == image.Install(specs=("ruamel.yaml==0.19.1",))
    assert deploy.installs[:-1] == serving.installs  # FROM serving AS deploy: its layers first
    assert deploy.user == "10001:10001" and deploy.self_install == "/app/src"
    assert deploy.env["PATH"] == image.BASE_PATH and deploy.env["HOME"] == "/tmp"
    with pytest.raises(WorkbenchError, match="no stage 'nope'"):
        image.read_dockerfile(SERVING, target="nope")


def test_an_unmodelled_command_in_a_run_chain_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11-slim\nRUN pip install x==1 && curl -o /x https://e.x\n")
    with pytest.raises(WorkbenchError, match=r"RUN 'curl -o /x https://e.x' is not modelled"):
        image.read_dockerfile(bad)


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="Debian host")
def test_git_is_hidden_only_from_images_that_do_not_install_it() -> None:
    if not image._installed("git"):
        pytest.skip("git is not installed here")
    assert "/usr/bin/git" in image.system_packages(image.read_dockerfile(STEPS), STEPS)
    deploy = image.read_dockerfile(SERVING, target="deploy")
    assert image.system_packages(deploy, SERVING) == ()
    deploy.apt.append("no-such-package-here")
    with pytest.raises(WorkbenchError, match="apt-get install no-such-package-here"):
        image.system_packages(deploy, SERVING)


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root, as in CI")
def test_a_hidden_program_is_absent_from_the_pod(tmp_path: Path) -> None:
    if not Path("/usr/bin/git").is_file():
        pytest.skip("git is not installed here")

    def which_git(hidden: tuple[str, ...], name: str) -> str:
        scratch = tmp_path / name / "tmp"
        scratch.mkdir(parents=True)
        os.chown(scratch, 10001, 10001)
        pod = sandbox.Pod(
            root=tmp_path / name / "root",
            readonly={},
            writable={"/tmp": scratch},
            uid=10001,
            gid=10001,
            workdir="/tmp",
            env={"PATH": image.BASE_PATH},
            argv=["/bin/sh", "-c", "command -v git || echo absent; ls /usr/bin | wc -l"],
            hidden=hidden,
        )
        log = tmp_path / f"{name}.log"
        assert sandbox.start(pod, log).wait(timeout=60) == 0, log.read_text()
        return log.read_text()

    shown, hidden = which_git((), "shown").split(), which_git(("/usr/bin/git",), "hidden").split()
    assert shown[0] == "/usr/bin/git" and hidden[0] == "absent"
    assert int(hidden[1]) == int(shown[1]) - 1  # only git is gone from /usr/bin


def test_kubelet_variable_expansion_in_arguments() -> None:
    env = {"GITOPS_REPO": "git://127.0.0.1:9/g.git", "HOME": "/tmp"}
    declared = {"GITOPS_REPO"}
    assert (
        podspec.expand("--repo=$(GITOPS_REPO)", env, declared) == "--repo=git://127.0.0.1:9/g.git"
    )
    assert podspec.expand("$(HOME)", env, declared) == "$(HOME)"  # image ENV: not expanded
    assert podspec.expand("$(UNSET)", env, declared | {"UNSET"}) == "$(UNSET)"
    assert podspec.expand("$$(GITOPS_REPO) $$", env, declared) == "$(GITOPS_REPO) $"


def test_untagged_image_names() -> None:
    assert untagged("workbench/train-deploy:staging") == "workbench/train-deploy"
    assert untagged("workbench/train-deploy@sha256:ab12") == "workbench/train-deploy"
    assert (
        untagged("registry:5000/workbench/train-deploy") == "registry:5000/workbench/train-deploy"
    )
    assert untagged("registry:5000/w/x:1.0") == "registry:5000/w/x"


def _staged_source(staging: Path, text: str) -> image.Image:
    """An image that installs only a copied source folder (as `pip install --no-deps /app/src`)."""
    (staging / "app/src/pkg").mkdir(parents=True)
    (staging / "app/src/pkg/__init__.py").write_text(text)
    return image.Image(self_install="/app/src")


def test_image_venvs_are_addressed_by_the_source_they_install(tmp_path: Path) -> None:
    one = _staged_source(tmp_path / "one", "X = 1\n")
    same = _staged_source(tmp_path / "same", "X = 1\n")
    edited = _staged_source(tmp_path / "edited", "X = 2\n")
    digest = image.venv_digest(one, tmp_path / "one", 0)
    assert image.venv_digest(same, tmp_path / "same", 0) == digest  # another project's copy
    # an edited workbench gets a venv of its own, never a reinstall into one pods may be using
    assert image.venv_digest(edited, tmp_path / "edited", 0) != digest
    (tmp_path / "one/app/src/pkg/new.py").write_text("")
    assert image.venv_digest(one, tmp_path / "one", 0) != digest


def test_a_venv_another_process_is_building_is_waited_for_then_reused(tmp_path: Path) -> None:
    import fcntl
    import threading

    empty = image.Image()
    cache = tmp_path / "venvs"
    venv = cache / image.venv_digest(empty, tmp_path, 0)
    cache.mkdir()
    found: list[Path] = []
    with open(venv.with_name(venv.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # "another worker" is building it
        waiter = threading.Thread(
            target=lambda: found.append(image.build_venv(empty, tmp_path, cache, 0))
        )
        waiter.start()
        waiter.join(1.0)
        assert waiter.is_alive() and not found  # a half-built venv is never handed out
        venv.mkdir()
        (venv / "built-by-the-other").write_text("")
        (venv / image.COMPLETE).write_text("ok\n")
    waiter.join(30)
    assert found == [venv] and (venv / "built-by-the-other").is_file()  # reused, not rebuilt


def test_a_venv_left_half_built_is_built_again(tmp_path: Path) -> None:
    empty = image.Image()
    cache = tmp_path / "venvs"
    venv = cache / image.venv_digest(empty, tmp_path, 0)
    (venv / "bin").mkdir(parents=True)
    (venv / "bin/python").write_text("a build killed half-way")  # no COMPLETE marker
    assert image.build_venv(empty, tmp_path, cache, 0) == venv
    assert (venv / image.COMPLETE).is_file()
    assert (venv / "bin/python").resolve().name.startswith("python3")  # a real interpreter now


def test_installing_the_copied_source_leaves_the_staged_tree_as_it_was(tmp_path: Path) -> None:
    """The build backend writes build/ and *.egg-info beside the sources it builds: the install
    runs from a copy, so the next venv of the same image finds the same digest (and reuses)."""
    staging = tmp_path / "staging"
    img = _staged_source(staging, "X = 41 + 1\n")
    (staging / "app/src/pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "pkg"\nversion = "1.0"\n'
    )
    before = image.venv_digest(img, staging, 0)
    venv = image.build_venv(img, staging, tmp_path / "venvs", 0)
    assert sorted(p.name for p in (staging / "app/src").iterdir()) == ["pkg", "pyproject.toml"]
    assert image.venv_digest(img, staging, 0) == before == venv.name
    out = subprocess.run([str(venv / "bin/python"), "-c", "import pkg; print(pkg.X)"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout.strip() == "42"


def test_image_venvs_live_in_the_project_unless_a_shared_folder_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKBENCH_REHEARSAL_VENVS")  # set for the rehearsal tests (conftest)
    assert image.venv_cache(tmp_path / "state") == tmp_path / "state/venvs"
    monkeypatch.setenv("WORKBENCH_REHEARSAL_VENVS", str(tmp_path / "shared"))
    assert image.venv_cache(tmp_path / "state") == tmp_path / "shared"
