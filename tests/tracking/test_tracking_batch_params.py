"""Whole parameter sets (pipeline parents, `workbench run`) are logged within MLflow's limits."""

from __future__ import annotations

from typing import Any

from workbench.tracking.batch import MAX_PARAM_LENGTH, MAX_PARAMS, log_params_batched


class RecordingClient:
    def __init__(self) -> None:
        self.calls: list[list[Any]] = []

    def log_batch(self, run_id: str, params: list[Any]) -> None:
        assert run_id == "r1"
        self.calls.append(params)


def test_more_params_than_one_batch_holds_are_split_and_none_lost() -> None:
    params = {f"p{i:03d}": str(i) for i in range(250)}
    params["long"] = "x" * (MAX_PARAM_LENGTH + 10)
    client = RecordingClient()
    log_params_batched(client, "r1", params)
    assert all(len(call) <= MAX_PARAMS for call in client.calls)
    logged = {p.key: p.value for call in client.calls for p in call}
    assert set(logged) == set(params)
    assert len(logged["long"]) == MAX_PARAM_LENGTH
    assert logged["p123"] == "123"
