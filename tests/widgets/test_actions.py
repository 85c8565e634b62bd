"""The widget's register-and-promote action against a real registry and the real promotion gate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import workbench
import workbench.tracking as wbt


@pytest.mark.slow
def test_register_and_promote_moves_the_champion(project: Path) -> None:
    from mlflow import MlflowClient
    from sklearn.datasets import make_classification
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    X_fit, y_fit, X_test, y_test = X[:200], y[:200], X[200:], y[200:]
    wbt.set_experiment("actions")
    run_ids = {}
    for name, model in (
        ("weak", DummyClassifier(strategy="prior")),
        ("strong", LogisticRegression(max_iter=500)),
    ):
        model.fit(X_fit, y_fit)
        with wbt.start_run(run_name=name) as run:
            run.log_model(model)
            run.log_metrics({"roc_auc": 0.5 if name == "weak" else 0.9})
            run_ids[name] = run.run_id

    view = workbench.compare(
        "actions", metric="roc_auc", model_name="clf", promote_data=(X_test, y_test)
    )
    assert "wb-champion" not in view.table.value
    view.table.selected = [run_ids["weak"]]
    first = view.register_and_promote()
    assert first.promoted  # no champion yet: the first candidate becomes it
    view.table.selected = [run_ids["strong"]]
    second = view.register_and_promote()
    assert second.promoted and second.candidate_version == 2
    assert "PROMOTED to champion" in view.action_output.value
    marked = re.findall(r'wb-champion" data-run-id="(\w+)"', view.table.value)
    assert marked == [run_ids["strong"]]
    version = MlflowClient().get_model_version_by_alias("clf", "champion")
    assert version.run_id == run_ids["strong"]
    assert "workbench.sha256" in version.tags  # the verified model-store copy exists
    # and a worse candidate is refused by the gate, the champion stays
    view.table.selected = [run_ids["weak"]]
    third = view.register_and_promote()
    assert not third.promoted and "not promoted" in view.action_output.value
    assert re.findall(r'wb-champion" data-run-id="(\w+)"', view.table.value) == [run_ids["strong"]]
    # the weak run's model is version 1 already: reused, not registered a third time
    assert third.candidate_version == 1 and "Reused clf v1" in view.action_output.value
    assert len(MlflowClient().search_model_versions("name = 'clf'")) == 2
    # without promote_data the button is off and a call registers nothing
    bare = workbench.compare("actions", metric="roc_auc", model_name="other")
    bare.table.selected = [run_ids["strong"]]
    assert bare.promote_button.disabled and bare.register_and_promote() is None
    assert MlflowClient().search_registered_models("name = 'other'") == []
