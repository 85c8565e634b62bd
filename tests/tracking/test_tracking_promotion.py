"""The promotion gate against a real registry: aliases move only for a better candidate."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import workbench.tracking as wbt
from workbench.core.errors import IntegrityError, WorkbenchError
from workbench.tracking.promotion import PromotionDecision, decide, is_better


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    """A binary task and three fitted models of clearly different quality."""
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=400, n_features=6, n_informative=4, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    target = pd.Series(y, name="label")
    train, test = slice(0, 300), slice(300, 400)
    fit = lambda m: m.fit(frame[train], target[train])  # noqa: E731
    return {
        "X": frame[test].reset_index(drop=True),
        "y": target[test].reset_index(drop=True),
        "weak": fit(DummyClassifier(strategy="prior")),
        "mid": fit(DecisionTreeClassifier(max_depth=1, random_state=0)),
        "strong": fit(LogisticRegression(max_iter=500)),
    }


class Inverted:
    """The opposite of a fitted binary classifier: worse than it on every metric."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.classes_ = model.classes_

    def predict(self, X: Any) -> Any:
        return 1 - self.model.predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self.model.predict_proba(X)[:, ::-1]


def register(model: Any, name: str = "clf") -> int:
    with wbt.start_run() as run:
        info = run.log_model(model, register=name)
    assert info.version is not None
    return info.version


def aliases(name: str = "clf") -> dict[str, str]:
    import mlflow

    return {k: str(v) for k, v in mlflow.MlflowClient().get_registered_model(name).aliases.items()}


def version_tags(version: int, name: str = "clf") -> dict[str, str]:
    import mlflow

    return dict(mlflow.MlflowClient().get_model_version(name, str(version)).tags)


@pytest.mark.slow
def test_first_worse_better(project: Path, data: dict[str, Any]) -> None:
    from sklearn.metrics import roc_auc_score

    X, y = data["X"], data["y"]
    v1 = register(data["mid"])
    first = wbt.promote("clf", v1, metric="roc_auc", X=X, y=y)
    assert first.promoted and first.champion_version is None and first.champion_value is None
    assert aliases() == {"champion": str(v1)}

    v2 = register(data["weak"])
    worse = wbt.promote("clf", v2, metric="roc_auc", X=X, y=y)
    assert not worse.promoted
    assert worse.champion_version == v1
    assert aliases() == {"champion": str(v1), "challenger": str(v2)}
    assert worse.candidate_value == pytest.approx(0.5)  # a prior-only model ranks nothing
    expected_mid = roc_auc_score(y, data["mid"].predict_proba(X)[:, 1])
    assert worse.champion_value == pytest.approx(expected_mid)

    v3 = register(data["strong"])
    better = wbt.promote("clf", metric="roc_auc", X=X, y=y)  # no version: the latest
    assert better.promoted and better.candidate_version == v3 and better.champion_version == v1
    assert aliases() == {"champion": str(v3), "challenger": str(v2)}

    # both decisions are visible in the registry, with the values that led to them
    rejected, promoted = version_tags(v2), version_tags(v3)
    assert rejected["workbench.promotion.decision"] == "rejected"
    assert promoted["workbench.promotion.decision"] == "promoted"
    assert promoted["workbench.promotion.metric"] == "roc_auc"
    assert float(rejected["workbench.promotion.candidate_value"]) == worse.candidate_value
    assert float(promoted["workbench.promotion.champion_value"]) == better.champion_value
    assert promoted["workbench.promotion.champion_version"] == str(v1)
    assert version_tags(v1)["workbench.promotion.champion_version"] == "none"
    assert "PROMOTED" in str(better) and "does not beat" in str(worse)

    # the challenger winning later loses its challenger alias
    again = wbt.promote(
        "clf", v2, metric="roc_auc", X=X, y=y, greater_is_better=False, force_direction=True
    )
    assert again.promoted and aliases() == {"champion": str(v2)}


def test_min_delta_and_lower_is_better(project: Path, data: dict[str, Any]) -> None:
    X, y = data["X"], data["y"]
    v1 = register(data["mid"])
    wbt.promote("clf", v1, metric="log_loss", X=X, y=y)
    v2 = register(data["strong"])
    decision = wbt.promote("clf", v2, metric="log_loss", X=X, y=y, min_delta=100.0)
    assert decision.candidate_value < decision.champion_value  # type: ignore[operator]
    assert not decision.promoted  # better, but not by the required margin
    assert "lower is better" in decision.reason
    decision = wbt.promote("clf", v2, metric="log_loss", X=X, y=y, min_delta=0.01)
    assert decision.promoted and aliases()["champion"] == str(v2)


def test_already_champion_is_a_no_op(project: Path, data: dict[str, Any]) -> None:
    v1 = register(data["mid"])
    wbt.promote("clf", v1, metric="accuracy", X=data["X"], y=data["y"])
    before = version_tags(v1)
    decision = wbt.promote("clf", v1, metric="accuracy", X=data["X"], y=data["y"])
    assert not decision.promoted and "already holds champion" in decision.reason
    assert decision.champion_version == v1 and version_tags(v1) == before


def test_unknown_model_version_and_metric(project: Path, data: dict[str, Any]) -> None:
    X, y = data["X"], data["y"]
    with pytest.raises(WorkbenchError, match="model 'nope' is not registered"):
        wbt.promote("nope", metric="roc_auc", X=X, y=y)
    register(data["mid"])
    with pytest.raises(WorkbenchError, match="model 'clf' has no version 7"):
        wbt.promote("clf", 7, metric="roc_auc", X=X, y=y)
    with pytest.raises(WorkbenchError, match=r"unknown metric 'auc'.*roc_auc"):
        wbt.promote("clf", 1, metric="auc", X=X, y=y)
    with pytest.raises(WorkbenchError, match="min_delta"):
        wbt.promote("clf", 1, metric="roc_auc", X=X, y=y, min_delta=-1)
    with pytest.raises(WorkbenchError, match="version 1: computing roc_auc failed"):
        wbt.promote("clf", 1, metric="roc_auc", X=X.drop(columns=["f0"]), y=y)
    assert aliases() == {}


def test_tampered_model_file_is_refused(project: Path, data: dict[str, Any]) -> None:
    with wbt.start_run() as run:
        info = run.log_model(data["mid"], register="clf")
    assert info.store_path is not None
    Path(info.store_path).write_bytes(b"not the registered model")
    with pytest.raises(IntegrityError, match="sha256"):
        wbt.promote("clf", info.version, metric="roc_auc", X=data["X"], y=data["y"])


@pytest.mark.parametrize(
    ("metric", "higher"),
    [
        ("accuracy", True),
        ("f1", True),
        ("precision", True),
        ("recall", True),
        ("r2", True),
        ("rmse", False),
        ("mae", False),
        ("log_loss", False),
        ("roc_auc", True),
    ],
)
def test_every_metric_scores_the_strong_model_better(
    metric: str, higher: bool, data: dict[str, Any]
) -> None:
    from workbench.tracking.scoring import evaluate, get_metric

    spec = get_metric(metric)
    assert spec.greater_is_better is higher
    strong = evaluate(spec, data["strong"], data["X"], data["y"], what="strong")
    weak = evaluate(spec, Inverted(data["strong"]), data["X"], data["y"], what="inverted")
    assert is_better(strong, weak, greater_is_better=higher, min_delta=0.0)
    assert not is_better(weak, strong, greater_is_better=higher, min_delta=0.0)


def test_decide_is_pure_and_nan_never_wins() -> None:
    kwargs: dict[str, Any] = {"model_name": "m", "metric": "rmse", "greater_is_better": False}
    d = decide(
        candidate_version=2,
        candidate_value=1.0,
        champion_version=1,
        champion_value=1.5,
        min_delta=0.4,
        **kwargs,
    )
    assert d.promoted and isinstance(d, PromotionDecision)
    d = decide(
        candidate_version=2,
        candidate_value=1.0,
        champion_version=1,
        champion_value=1.5,
        min_delta=0.5,
        **kwargs,
    )
    assert not d.promoted  # equal to the margin is not "more than"
    d = decide(
        candidate_version=2,
        candidate_value=math.nan,
        champion_version=1,
        champion_value=1.5,
        min_delta=0.0,
        **kwargs,
    )
    assert not d.promoted


def test_cli_passes_arguments_to_promote(
    project: Path, monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]
) -> None:
    from click.testing import CliRunner

    import workbench.tracking.promotion as promotion
    from workbench.cli.promote import command

    frame = data["X"].assign(label=data["y"])
    frame.to_csv(project / "eval.csv", index=False)
    seen: dict[str, Any] = {}

    def fake(name: str, version: int | None, **kw: Any) -> PromotionDecision:
        seen.update(name=name, version=version, **kw)
        return decide(
            model_name=name,
            candidate_version=3,
            candidate_value=0.9,
            champion_version=None,
            champion_value=None,
            metric=kw["metric"],
            greater_is_better=True,
            min_delta=0.0,
        )

    monkeypatch.setattr(promotion, "promote", fake)
    args = [
        "models:/clf/3",
        "--metric",
        "rmse",
        "--lower-is-better",
        "--min-delta",
        "0.5",
        "--data",
        "eval.csv",
        "--target",
        "label",
    ]
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert seen["name"] == "clf" and seen["version"] == 3
    assert seen["metric"] == "rmse" and seen["greater_is_better"] is False
    assert seen["min_delta"] == 0.5
    assert list(seen["X"].columns) == list(data["X"].columns)
    assert list(seen["y"]) == list(data["y"])
    assert "clf v3: PROMOTED" in result.output

    result = CliRunner().invoke(
        command,
        ["clf", "--metric", "f1", "--data", "eval.csv", "--target", "label"],
        catch_exceptions=False,
    )
    assert seen["version"] is None and seen["greater_is_better"] is None


@pytest.mark.slow
def test_cli_end_to_end(
    project: Path, data: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench.cli.main import main

    data["X"].assign(label=data["y"]).to_csv(project / "eval.csv", index=False)
    register(data["mid"])
    register(data["weak"])
    # one real process (the command a pipeline step runs), the rest through the same entry point
    first = subprocess.run(
        [sys.executable, "-m", "workbench", "promote", "models:/clf/1", "--metric", "roc_auc",
         "--data", "eval.csv", "--target", "label"],
        capture_output=True, text=True, cwd=project, timeout=120,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "clf v1: PROMOTED to champion" in first.stdout

    def cli(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exit_info:
            main(["promote", *args])
        out, err = capsys.readouterr()
        return int(exit_info.value.code or 0), out, err

    code, out, _ = cli("clf", "--metric", "roc_auc", "--data", "eval.csv", "--target", "label")
    assert code == 0 and "clf v2: not promoted" in out  # not promoted is not an error
    assert aliases() == {"champion": "1", "challenger": "2"}
    code, _, err = cli("clf", "--metric", "roc_auc", "--data", "eval.csv", "--target", "nope")
    assert code != 0 and "no target column 'nope'" in err and "Traceback" not in err
    code, _, err = cli("ghost", "--metric", "roc_auc", "--data", "eval.csv", "--target", "label")
    assert code != 0 and "model 'ghost' is not registered" in err
    code, _, err = cli("models:/clf/x", "--metric", "f1", "--data", "eval.csv", "--target", "label")
    assert code != 0 and "numeric version" in err
    code, _, err = cli("clf", "--metric", "f1", "--data", "missing.csv", "--target", "label")
    assert code != 0 and "missing.csv" in err
