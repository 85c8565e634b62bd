"""A client process for the load and restart checks: log N small runs through MLflow's client.

python -m tests.team.load_worker URL EXPERIMENT_ID PREFIX N [PAUSE_SECONDS]
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    url, experiment_id, prefix, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    client = MlflowClient(url)
    for i in range(count):
        run = client.create_run(experiment_id, run_name=f"{prefix}-{i:04d}")
        now = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("loss", 1.0 / (i + 1), now, 0)],
            params=[Param("i", str(i))],
        )
        client.set_terminated(run.info.run_id)
        if pause:
            time.sleep(pause)
    print(f"{prefix}: {count} runs", flush=True)


if __name__ == "__main__":
    main()
