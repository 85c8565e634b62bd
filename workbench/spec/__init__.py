"""The pipeline spec: the contract between the compiler, the emitters and the runners.

Frozen dataclasses with a deterministic JSON round trip (`steps/NAME/pipeline.json`).
No heavy imports here: the runner loads a spec without nbformat, hera or mlflow.
"""

from workbench.spec.model import (
    SPEC_VERSION,
    CellSpec,
    ParamSpec,
    PipelineSpec,
    StepSpec,
    load_spec,
)

__all__ = ["SPEC_VERSION", "CellSpec", "ParamSpec", "PipelineSpec", "StepSpec", "load_spec"]
