"""The summary's metrics, model, promotion and MLflow-link lines (pure)."""

from __future__ import annotations

from workbench.runner.outcome import outcome_lines, run_link, ui_base


def test_ui_base_never_leaks_credentials_and_prefers_the_recorded_ui() -> None:
    assert ui_base("sqlite:////p/mlflow.db", {}) is None
    assert ui_base("https://bob:s3cret@mlflow.example.com:8443/", {}) == (
        "https://mlflow.example.com:8443"
    )
    assert ui_base("sqlite:///x.db", {"WORKBENCH_UI_URL": "http://127.0.0.1:5123/"}) == (
        "http://127.0.0.1:5123"
    )
    assert run_link("http://h:5000", "3", "abc") == "http://h:5000/#/experiments/3/runs/abc"
    assert run_link(None, "3", "abc").startswith("run `workbench ui`, then open http://")


def test_lines_from_step_events() -> None:
    events = [
        ("train", [{"kind": "metrics", "run_id": "r1", "experiment_id": "2",
                    "metrics": {"rmse": 0.25, "r2": 0.9}},
                   {"kind": "model", "name": "house", "version": 4, "reused": True}]),
        ("gate", [{"kind": "promotion", "text": "house v4: not promoted; v4 already holds"}]),
        ("load", []),
    ]  # fmt: skip
    lines = outcome_lines(events, base="http://ui", parent_run_id="p9", experiment_id="5")
    assert lines == [
        "metrics (train): r2=0.9  rmse=0.25",
        "  MLflow: http://ui/#/experiments/2/runs/r1",
        "model (train): house v4 (reused: identical to the champion, no new version)",
        "promotion (gate): house v4: not promoted; v4 already holds",
        "pipeline run in MLflow: http://ui/#/experiments/5/runs/p9",
    ]
