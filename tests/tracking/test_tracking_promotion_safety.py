"""The promotion gate's probe cases, each a regression test.

An outside probe found: two promotions at once left the worse model champion while the better
one was tagged "promoted"; with no champion a NaN score became the first champion; a model name
holding a quote broke the registry query and a crafted name promoted another model's version;
`--lower-is-better` on roc_auc replaced a 0.996 champion with a 0.5 dummy without a word.
The concurrent case runs on SQLite here and on PostgreSQL in tests/team/.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import workbench.tracking as wbt
from workbench.core.errors import WorkbenchError
from workbench.tracking.filter_literal import filter_literal
from workbench.tracking.promotion import PromotionDecision
from workbench.tracking.promotion_lock import advisory_key, file_lock


@pytest.fixture(scope="module")
def models() -> dict[str, Any]:
    """Three fitted classifiers of clearly different quality on one task, and its test split."""
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=600, n_features=8, n_informative=5, random_state=3)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    train, test = slice(0, 400), slice(400, 600)
    fit = lambda m: m.fit(frame[train], y[train])  # noqa: E731
    return {
        "X": frame[test].reset_index(drop=True),
        "y": pd.Series(y[test]),
        "dummy": fit(DummyClassifier(strategy="prior")),
        "stump": fit(DecisionTreeClassifier(max_depth=2, random_state=0)),
        "strong": fit(LogisticRegression(max_iter=1000)),
    }


def register(model: Any, name: str) -> int:
    with wbt.start_run() as run:
        info = run.log_model(model, register=name)
    assert info.version is not None
    return info.version


def aliases(name: str) -> dict[str, str]:
    import mlflow

    return {k: str(v) for k, v in mlflow.MlflowClient().get_registered_model(name).aliases.items()}


def race(models: dict[str, Any], name: str, rounds: int) -> list[tuple[int, int, str]]:
    """`rounds` times: a fresh champion, then a worse and a better candidate promoted at once.

    Returns (worse version, better version, champion after the race) per round.
    """
    X, y = models["X"], models["y"]
    outcomes = []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(rounds):
            base = register(models["dummy"], name)
            wbt.promote(name, base, metric="roc_auc", X=X, y=y, force_direction=False)
            worse, better = register(models["stump"], name), register(models["strong"], name)
            start = threading.Barrier(2)

            def gate(version: int, start: threading.Barrier = start) -> PromotionDecision:
                start.wait()
                return wbt.promote(name, version, metric="roc_auc", X=X, y=y)

            decisions = list(pool.map(gate, [worse, better]))
            assert all(d.candidate_value == d.candidate_value for d in decisions)
            outcomes.append((worse, better, aliases(name)["champion"]))
            # start the next round from a dummy champion again
            import mlflow

            mlflow.MlflowClient().set_registered_model_alias(name, "champion", str(base))
    return outcomes


@pytest.mark.slow
def test_concurrent_promotions_leave_the_better_champion_sqlite(
    project: Path, models: dict[str, Any]
) -> None:
    for worse, better, champion in race(models, "race", rounds=10):
        assert champion == str(better), (worse, better, champion)


def test_nan_score_never_becomes_the_first_champion(project: Path, models: dict[str, Any]) -> None:
    v1 = register(models["strong"], "nan-model")
    single_class = models["y"] * 0 + 1  # roc_auc is undefined (NaN) on one class
    with pytest.warns(Warning, match="(?i)only one class"):
        decision = wbt.promote("nan-model", v1, metric="roc_auc", X=models["X"], y=single_class)
    assert math.isnan(decision.candidate_value) and not decision.promoted
    assert "missing score never wins" in decision.reason
    assert aliases("nan-model") == {}  # neither champion nor challenger


def test_a_nan_champion_loses_to_a_scored_candidate() -> None:
    from workbench.tracking.promotion import decide

    decision = decide(
        model_name="m",
        candidate_version=2,
        candidate_value=0.6,
        champion_version=1,
        champion_value=math.nan,
        metric="roc_auc",
        greater_is_better=True,
        min_delta=0.0,
    )
    assert decision.promoted and "score is nan" in decision.reason


def test_direction_contradicting_the_metric_is_refused_unless_forced(
    project: Path, models: dict[str, Any]
) -> None:
    X, y = models["X"], models["y"]
    champion = register(models["strong"], "dir")
    assert wbt.promote("dir", champion, metric="roc_auc", X=X, y=y).promoted
    dummy = register(models["dummy"], "dir")
    with pytest.raises(WorkbenchError, match=r"--lower-is-better contradicts roc_auc.*higher"):
        wbt.promote("dir", dummy, metric="roc_auc", X=X, y=y, greater_is_better=False)
    assert aliases("dir") == {"champion": str(champion)}
    # agreeing with the metric is fine; insisting on the reversal is possible and said
    assert not wbt.promote(
        "dir", dummy, metric="roc_auc", X=X, y=y, greater_is_better=True
    ).promoted
    forced = wbt.promote(
        "dir", dummy, metric="roc_auc", X=X, y=y, greater_is_better=False, force_direction=True
    )
    assert forced.promoted and "lower is better" in forced.reason


def test_cli_refuses_lower_is_better_on_roc_auc(
    project: Path, models: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from workbench.cli.main import main

    models["X"].assign(label=models["y"]).to_csv(project / "eval.csv", index=False)
    register(models["strong"], "cli-dir")
    args = ["promote", "cli-dir", "--metric", "roc_auc", "--data", "eval.csv", "--target", "label"]
    with pytest.raises(SystemExit) as code:
        main([*args, "--lower-is-better"])
    assert code.value.code != 0
    assert "contradicts roc_auc's known direction" in capsys.readouterr().err
    assert aliases("cli-dir") == {}


def test_names_with_quotes_and_crafted_names_act_on_their_own_model(
    project: Path, models: dict[str, Any]
) -> None:
    X, y = models["X"], models["y"]
    for _ in range(3):
        register(models["strong"], "clf")
    quoted = "o'brien's \"best\" model"
    register(models["stump"], quoted)
    decision = wbt.promote(quoted, metric="roc_auc", X=X, y=y)  # latest version, no filter
    assert decision.promoted and decision.candidate_version == 1
    assert aliases(quoted) == {"champion": "1"}
    crafted = "x' OR name = 'clf"
    register(models["dummy"], crafted)
    decision = wbt.promote(crafted, metric="roc_auc", X=X, y=y)
    assert decision.candidate_version == 1  # its own only version, not clf's version 3
    assert aliases(crafted) == {"champion": "1"} and aliases("clf") == {}


def test_filter_literals_quote_and_never_escape() -> None:
    from mlflow.utils.search_utils import SearchUtils

    for value in ("plain", "it's", 'say "hi"', "x' OR name = 'y", "back\\slash"):
        parsed = SearchUtils.parse_search_filter(f"tags.t = {filter_literal(value)}")
        assert [p["value"] for p in parsed] == [value]
    with pytest.raises(WorkbenchError, match="both kinds of quote"):
        filter_literal('it\'s "both"', "study name")


def test_locks_exclude_each_other(tmp_path: Path) -> None:
    held: list[str] = []
    inside = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with file_lock(tmp_path / "x.lock"):
            held.append("first")
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    inside.wait(10)
    waiter = threading.Thread(target=lambda: (file_lock_held(tmp_path), held.append("second")))
    waiter.start()
    waiter.join(0.5)
    assert held == ["first"]  # the second is still waiting
    release.set()
    thread.join(10)
    waiter.join(10)
    assert held == ["first", "second"]
    assert advisory_key("a") == advisory_key("a") != advisory_key("b")
    assert -(2**63) <= advisory_key("a") < 2**63


def file_lock_held(folder: Path) -> None:
    with file_lock(folder / "x.lock"):
        pass
