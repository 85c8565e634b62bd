"""The model call: plain arrays where the model allows, labels from one pass, same answers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from serving_helpers import example_model, training_frame

from workbench.serving.codecs import Batch, ProtocolError
from workbench.serving.predictor import Predictor
from workbench.serving.signature import Column, Signature, signature_from_model


def test_example_pipeline_takes_arrays_and_matches_the_dataframe_answers() -> None:
    model = example_model()
    x, _ = training_frame()
    sig = signature_from_model(model)
    assert sig is not None and sig.names == tuple(x.columns)
    predictor = Predictor(model, sig)
    assert not predictor.needs_frame and predictor.argmax_labels
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the feature-names warning must not escape
        out = predictor.predict(Batch(x.to_numpy(dtype=float)))
    np.testing.assert_array_equal(out.labels, model.predict(x))
    np.testing.assert_allclose(out.proba, model.predict_proba(x), rtol=0, atol=0)
    assert out.classes == (0, 1)


def test_forest_labels_from_probabilities_equal_predict() -> None:
    from sklearn.ensemble import RandomForestClassifier

    x, y = training_frame()
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(x, y)
    sig = signature_from_model(forest)
    assert sig is not None
    out = Predictor(forest, sig).predict(Batch(x.to_numpy(dtype=float)))
    np.testing.assert_array_equal(out.labels, forest.predict(x))


def test_a_model_that_needs_a_dataframe_gets_one() -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "color": ["r", "g", "r", "g"]})
    model = make_pipeline(
        ColumnTransformer([("n", StandardScaler(), ["size"]), ("c", OneHotEncoder(), ["color"])]),
        LogisticRegression(),
    ).fit(frame, [0, 1, 0, 1])
    sig = Signature((Column("size"), Column("color", "string")))
    predictor = Predictor(model, sig)
    assert predictor.needs_frame
    matrix = np.array([[1.0, "r"], [4.0, "g"]], dtype=object)
    out = predictor.predict(Batch(matrix))
    np.testing.assert_array_equal(out.labels, model.predict(frame.iloc[[0, 3]]))
    with pytest.raises(ProtocolError, match="the model rejected the input"):
        predictor.predict(Batch(np.array([[1.0, None]], dtype=object)))


def test_regressor_without_probabilities() -> None:
    from sklearn.linear_model import LinearRegression

    x, y = training_frame()
    model = LinearRegression().fit(x.to_numpy(), y)
    sig = signature_from_model(model)
    assert sig is not None and not sig.named
    out = Predictor(model, sig).predict(Batch(x.to_numpy(dtype=float)[:3]))
    assert out.proba is None
    np.testing.assert_allclose(out.labels, model.predict(x.to_numpy()[:3]))
