"""The generated Sensor, evaluated on recorded GitHub deliveries (tests/gitops/payloads/): a
push to main and an opened or synchronized PR against main start CI with the right repository,
revision, branch and PR number; other branches, look-alike branch names, tags, branch
deletions, closed or labeled PRs and PRs from forks start nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gitops.sensor_eval import Unsupported, fire
from workbench.emit import build_platform
from workbench.emit.gitops import PipelineRef, PlatformSpec
from workbench.emit.gitops.events import EVENT, EVENTSOURCE

PAYLOADS = Path(__file__).parent / "payloads"


def platform() -> PlatformSpec:
    return PlatformSpec(
        project="churn",
        repo_url="https://github.com/acme-ml/churn-models.git",
        github_owner="acme-ml",
        github_repo="churn-models",
        pipelines=(PipelineRef("churn_scoring"),),
    )


@pytest.fixture(scope="module")
def sensor() -> dict[str, Any]:
    """The Sensor exactly as written to manifests/platform/events/sensor.yaml."""
    text = build_platform(platform())["manifests/platform/events/sensor.yaml"]
    (doc,) = list(yaml.safe_load_all(text))
    assert doc["kind"] == "Sensor"
    return dict(doc)


def deliver(sensor: dict[str, Any], name: str) -> list[Any]:
    data = json.loads((PAYLOADS / name).read_text())
    return fire(sensor, EVENTSOURCE, EVENT, data)


def test_a_push_to_main_starts_ci_at_the_pushed_commit(sensor: dict[str, Any]) -> None:
    (fired,) = deliver(sensor, "push_main.json")
    assert fired.trigger == "ci-push"
    assert fired.arguments() == {
        "repository": "https://github.com/acme-ml/churn-models.git",
        "revision": "5b7e3f1c9a2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f",
        "branch": "refs/heads/main",
        "pr-number": "",
    }
    assert fired.workflow["spec"]["workflowTemplateRef"] == {"name": "churn-ci"}
    assert fired.workflow["metadata"]["namespace"] == "churn-ci"


def test_an_opened_pr_starts_ci_with_its_number_and_head(sensor: dict[str, Any]) -> None:
    (fired,) = deliver(sensor, "pull_request_opened.json")
    assert fired.trigger == "ci-pull-request"
    assert fired.arguments() == {
        "repository": "https://github.com/acme-ml/churn-models.git",
        "revision": "7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d",
        "branch": "feature/tenure-buckets",
        "pr-number": "42",
    }


@pytest.mark.parametrize(
    "payload",
    [
        "push_feature.json",
        "push_main_lookalike.json",  # refs/heads/main-backup: filters are anchored
        "push_main_deleted.json",
        "push_tag.json",
        "pull_request_closed.json",
        "pull_request_labeled.json",
        "pull_request_synchronize_fork.json",  # would run a fork's code with CI credentials
    ],
)
def test_other_deliveries_start_nothing(sensor: dict[str, Any], payload: str) -> None:
    assert deliver(sensor, payload) == []


def test_a_synchronized_pr_from_the_repository_starts_ci(sensor: dict[str, Any]) -> None:
    data = json.loads((PAYLOADS / "pull_request_synchronize_fork.json").read_text())
    data["body"]["pull_request"]["head"]["repo"] = data["body"]["repository"]
    (fired,) = fire(sensor, EVENTSOURCE, EVENT, data)
    assert fired.arguments()["pr-number"] == "43"
    assert fired.arguments()["revision"] == "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


def test_events_from_another_source_or_event_name_are_ignored(sensor: dict[str, Any]) -> None:
    data = json.loads((PAYLOADS / "push_main.json").read_text())
    assert fire(sensor, "gitlab", EVENT, data) == []
    assert fire(sensor, EVENTSOURCE, "other", data) == []


def test_the_model_refuses_what_it_does_not_evaluate(sensor: dict[str, Any]) -> None:
    """So a future emitter change cannot pass these tests by slipping past the model."""
    data = json.loads((PAYLOADS / "push_main.json").read_text())
    changed = json.loads(json.dumps(sensor))
    changed["spec"]["dependencies"][0]["filters"]["data"][0]["comparator"] = "!="
    with pytest.raises(Unsupported, match="comparator"):
        fire(changed, EVENTSOURCE, EVENT, data)
    changed = json.loads(json.dumps(sensor))
    changed["spec"]["dependencies"][0]["filters"]["exprs"] = []
    with pytest.raises(Unsupported, match="exprs"):
        fire(changed, EVENTSOURCE, EVENT, data)
    changed = json.loads(json.dumps(sensor))
    changed["spec"]["triggers"][0]["template"]["conditions"] = "push && pull-request"
    with pytest.raises(Unsupported, match="conditions"):
        fire(changed, EVENTSOURCE, EVENT, data)
    changed = json.loads(json.dumps(sensor))
    changed["spec"]["dependencies"][0]["filters"]["data"][0]["path"] = "headers.X-Github-*"
    with pytest.raises(Unsupported, match="wildcards"):
        fire(changed, EVENTSOURCE, EVENT, data)


def test_an_unanchored_filter_would_let_a_look_alike_branch_through(
    sensor: dict[str, Any],
) -> None:
    """The model matches like Go's regexp.Match: proof that anchoring is what stops it."""
    changed = json.loads(json.dumps(sensor))
    changed["spec"]["dependencies"][0]["filters"]["data"][1]["value"] = ["refs/heads/main"]
    assert [f.trigger for f in deliver(changed, "push_main_lookalike.json")] == ["ci-push"]
