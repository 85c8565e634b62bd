"""Settings for the `mlflow server` processes workbench starts for one user or one rehearsal.

MLflow 3's server enables job execution by default (GenAI scorers, prompt optimisation, trace
roll-ups): with a SQL backend it starts a job runner and several huey consumer processes, each
its own MLflow import. Measured here: about twice the server's start-up CPU (34 s against 18 s
under load) and 750 MB more memory (1.26 GB against 0.51 GB), for features a project's training
runs and registry never use. `workbench ui` and the rehearsal's stand-in server turn it off
unless the environment sets it; the team's `workbench server` keeps MLflow's default.
"""

from __future__ import annotations

JOBS_ENV = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"
NO_JOBS = {JOBS_ENV: "false"}
