"""Local execution of a pipeline spec: step subprocesses, the step cache and the artifact store.

    from workbench.runner import RunOptions, run_pipeline
    result = run_pipeline("train", RunOptions(overrides=("C=0.5",)))

Imports nothing heavy: mlflow lives in a separate recorder process (workbench.tracking.lineage).
"""

from workbench.runner.execute import RunResult, StepRun, run_pipeline
from workbench.runner.plan import RunOptions
from workbench.runner.store import ArtifactStore, CacheEntry

__all__ = ["ArtifactStore", "CacheEntry", "RunOptions", "RunResult", "StepRun", "run_pipeline"]
