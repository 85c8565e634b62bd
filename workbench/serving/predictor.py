"""The model call: a validated matrix in, labels and class probabilities out.

Decided once at load, not per request:
- whether the model takes a plain float64 array. A Pipeline fitted on a DataFrame accepts one
  (the columns are already in the fitted order, checked by the codecs against the signature),
  but scikit-learn warns about the missing feature names on every call, and building a DataFrame
  per request costs far more than the model itself on a small batch. A probe row must give the
  same result both ways; models that need a DataFrame (string columns, column-name selectors)
  get one.
- whether labels can be derived from `predict_proba` (argmax over `classes_`): true for the
  estimators below whose `predict` is defined that way, so one model pass gives both.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from workbench.serving.codecs.common import Batch, Predictions, ProtocolError
from workbench.serving.signature import Signature

# Final estimators whose predict() is classes_[argmax(predict_proba())].
_ARGMAX_CLASSIFIERS = frozenset(
    {
        "LogisticRegression",
        "RandomForestClassifier",
        "ExtraTreesClassifier",
        "DecisionTreeClassifier",
        "ExtraTreeClassifier",
        "GradientBoostingClassifier",
        "HistGradientBoostingClassifier",
        "KNeighborsClassifier",
        "GaussianNB",
    }
)
_NAMES_WARNING = "X does not have valid feature names"


def _final_estimator(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


class Predictor:
    """Calls one fitted model with pre-decided input form; thread-safe as the model is."""

    def __init__(self, model: Any, signature: Signature) -> None:
        self.model = model
        self.signature = signature
        self.has_proba = hasattr(model, "predict_proba") and hasattr(model, "classes_")
        self.classes: tuple[Any, ...] = (
            tuple(np.asarray(model.classes_).tolist()) if self.has_proba else ()
        )
        self._classes = np.asarray(model.classes_) if self.has_proba else None
        self.argmax_labels = type(_final_estimator(model)).__name__ in _ARGMAX_CLASSIFIERS
        self.needs_frame = not self._array_works()

    def _frame(self, matrix: np.ndarray) -> Any:
        import pandas as pd

        return pd.DataFrame(matrix, columns=list(self.signature.names))

    def _array_works(self) -> bool:
        """Probe: does a plain array give the same output as a DataFrame with the names?"""
        if not self.signature.numeric:
            return False
        if getattr(self.model, "feature_names_in_", None) is None:
            return True
        probe = np.zeros((1, self.signature.width))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                same = np.array_equal(
                    self.model.predict(probe), self.model.predict(self._frame(probe))
                )
        except Exception:  # any failure on the array form means: use the DataFrame form
            return False
        return same

    def predict(self, batch: Batch, *, proba: bool = True, labels: bool = True) -> Predictions:
        """Labels and (where the model has them) probabilities for every row of `batch`.

        A model error on validated input (e.g. infinity, a value an encoder never saw) is the
        client's data: raised as a ProtocolError (400), never a 5xx.
        """
        x: Any = self._frame(batch.matrix) if self.needs_frame else batch.matrix
        # The codecs checked names and order against the signature, so scikit-learn's warning
        # about an array without feature names says nothing here (a few microseconds to mute).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_NAMES_WARNING, category=UserWarning)
            return self._predict(x, proba=proba, labels=labels)

    def _predict(self, x: Any, *, proba: bool, labels: bool) -> Predictions:
        try:
            p = (
                self.model.predict_proba(x)
                if (proba or self.argmax_labels) and self.has_proba
                else None
            )
            if labels and p is not None and self.argmax_labels and self._classes is not None:
                y = self._classes.take(p.argmax(axis=1))
            elif labels:
                y = np.asarray(self.model.predict(x))
            else:
                y = np.empty(0)
        except (ValueError, TypeError, KeyError) as exc:
            raise ProtocolError(f"data: the model rejected the input: {exc}") from None
        return Predictions(labels=y, proba=p if proba else None, classes=self.classes)
