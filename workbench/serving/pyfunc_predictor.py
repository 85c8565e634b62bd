"""The model call for an MLflow pyfunc model (a custom PythonModel, any other flavor).

The codecs have already checked names and types against the signature; the frame is built with
the signature's dtypes (long -> int64, float -> float32, ...), as MLflow's schema enforcement
would cast them, so the model sees what `mlflow models serve` would hand it. The output is the
model's own (labels only: a pyfunc has no predict_proba).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.serving.codecs.common import Batch, Predictions, ProtocolError
from workbench.serving.signature import Signature

_DTYPES = {
    "double": "float64",
    "float": "float32",
    "long": "int64",
    "integer": "int32",
    "boolean": "bool",
}


class PyfuncPredictor:
    """Calls `PyFuncModel.predict` on a DataFrame; same interface as Predictor."""

    has_proba = False
    classes: tuple[Any, ...] = ()
    argmax_labels = False

    def __init__(self, model: Any, signature: Signature) -> None:
        self.model = model
        self.signature = signature

    def _frame(self, matrix: np.ndarray) -> Any:
        import pandas as pd

        frame = pd.DataFrame(matrix, columns=list(self.signature.names))
        for col in self.signature.inputs:
            dtype = _DTYPES.get(col.type)
            series = frame[col.name]
            if dtype is None or (dtype in ("int64", "int32", "bool") and series.isna().any()):
                continue  # strings stay objects; a missing integer stays a float NaN
            frame[col.name] = series.astype(dtype)
        return frame

    def predict(self, batch: Batch, *, proba: bool = True, labels: bool = True) -> Predictions:
        if proba and not labels:
            raise ProtocolError("params.predict_method: this model has no predict_proba")
        from mlflow.exceptions import MlflowException

        try:
            out = self.model.predict(self._frame(batch.matrix))
        except (MlflowException, ValueError, TypeError, KeyError) as exc:
            raise ProtocolError(f"data: the model rejected the input: {exc}") from None
        return Predictions(labels=as_array(out), proba=None, classes=())


def as_array(out: Any) -> np.ndarray:
    """A pyfunc's output (array, list, Series, one-column DataFrame) as a numpy array."""
    values = getattr(out, "to_numpy", None)
    arr = np.asarray(values() if callable(values) else out)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return arr
