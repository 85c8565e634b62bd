"""The rehearsal runs the pipeline's `deploy` task too, as its pod would: the deploy image
(target `deploy` of serving.Dockerfile, git from its apt line), the pod's environment only, the
GitOps repository a local bare one served on 127.0.0.1 in place of the address the serving
overlay's ConfigMap names. A promotion that moved `champion` gives exactly one commit naming the
new version, the same edit `workbench deploy` makes locally; a run that did not move it, none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.deploy_helpers import MODEL, OVERLAY, make_gitops_repo
from tests.deploy.test_deploy_gitops import changed_lines
from tests.deploy.test_rehearse import copy_example
from workbench.deploy.rehearse import rehearse
from workbench.deploy.rehearse.services import services

pytestmark = [pytest.mark.slow, pytest.mark.integration]

KUSTOMIZATION = f"{OVERLAY}/kustomization.yaml"


def test_deploy_pod_commits_only_when_promotion_moved_champion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proj = copy_example(tmp_path / "proj")
    repo = make_gitops_repo(tmp_path / "git")
    seeded, seed_head = repo.show(KUSTOMIZATION), repo.head()
    (tmp_path / "services").mkdir()
    with services(tmp_path / "services") as running:
        first = rehearse(
            proj, "train", "staging", running=running, compare=False, gitops_repo=repo.url
        )
        assert [p.task for p in first.pods][-2:] == ["deploy", "onExit"]
        assert first.registered == {MODEL: ["1"]}
        assert first.gitops is not None and first.gitops.bare == repo.bare.resolve()
        # exactly one new commit on the ConfigMap's branch, and it names the new version
        assert repo.count() == 2 and first.gitops.commits == (repo.head(),)
        assert repo.show(KUSTOMIZATION, f"{repo.head()}~1") == seeded
        after = repo.show(KUSTOMIZATION)
        assert changed_lines(seeded, after) == [
            (f"      - champion=models:/{MODEL}@champion", f"      - champion=models:/{MODEL}/1")
        ]
        log = (first.workdir / "logs").glob("*-deploy.log")
        assert "deployed: " in next(log).read_text()

        # `workbench deploy` run here on the seeded overlay makes the same edit
        import workbench.deploy as deploy_module

        local = tmp_path / "local-overlay"
        local.mkdir()
        (local / "kustomization.yaml").write_text(seeded)
        monkeypatch.setenv("MLFLOW_TRACKING_URI", running.tracking_uri)
        done = deploy_module.deploy(str(local), MODEL, candidate=1)
        assert done.changed and (local / "kustomization.yaml").read_text() == after

        # the same data again: an identical model registers no new version, champion stays
        # where it is, and the deploy pod pushes nothing
        second = rehearse(
            proj, "train", "staging", running=running, compare=False, gitops_repo=repo.url
        )
        assert [p.task for p in second.pods][-2:] == ["deploy", "onExit"]
        assert second.registered == {MODEL: ["1"]}
        assert second.gitops is not None and second.gitops.commits == ()
        assert repo.count() == 2 and repo.show(KUSTOMIZATION) == after
        log = (second.workdir / "logs").glob("*-deploy.log")
        assert "no change: " in next(log).read_text()
    assert seed_head != repo.head()
