"""The pure parts of --verify: comparison messages, the kernel-side tracer on a plain
namespace, the trace analysis and the spec re-wiring."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from tests.compiler.notebooks import build
from workbench.spec.model import CellSpec, PipelineSpec, StepSpec
from workbench.verify.compare import compare_values
from workbench.verify.mutation import analyse_trace, apply_runtime_outputs
from workbench.verify.probe import Tracer, fingerprint, sharing


def _what(expected: object, actual: object) -> str:
    diff = compare_values(expected, actual)
    assert diff is not None
    return diff.render("out")


def test_compare_names_the_first_difference() -> None:
    idx = pd.date_range("2024-01-01", periods=4, freq="D")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": list("wxyz")}, index=idx)
    assert compare_values(frame, frame.copy()) is None
    lost = frame.copy()
    lost.index = pd.DatetimeIndex(list(idx), freq=None)
    with warnings.catch_warnings():
        # pandas 3 warns from assert_index_equal that it will check freq itself (the runtime
        # comparison checks freq right after); the message is what this test is about
        warnings.simplefilter("ignore")
        assert _what(frame, lost).startswith("out.index: freq")
    changed = frame.copy()
    changed.loc[idx[2], "a"] = 3.5
    assert _what(frame, changed) == "out['a'].iloc[2]: 3.5 != expected 3.0"
    assert _what(frame, frame[["b", "a"]]).startswith("out.columns")
    assert "dtype float32" in _what(frame, frame.astype({"a": "float32"}))


def test_compare_containers_arrays_and_models() -> None:
    assert "key order" in _what({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert "type list" in _what((1, 2), [1, 2])
    assert compare_values([1.0, float("nan")], [1.0, float("nan")]) is None
    close = compare_values({"x": [0.1 + 0.2]}, {"x": [0.3]})
    assert close is not None and close.close and close.render("v").startswith("v['x'][0]")
    arr = np.arange(6.0).reshape(2, 3)
    other = arr.copy()
    other[1, 2] = -1
    assert _what(arr, other).startswith("out[1, 2]")
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    fitted = LinearRegression().fit(X, y)
    assert compare_values(fitted, LinearRegression().fit(X, y)) is None
    assert "coef_" in _what(fitted, LinearRegression().fit(X, y * 2))
    assert compare_values("0" * 32, "f" * 32) is None  # MLflow run ids: by form


def test_tracer_sees_in_place_changes_and_sharing(tmp_path) -> None:
    train = pd.DataFrame({"t": ["a b", "c"]})
    test = pd.DataFrame({"t": ["d"]})
    ns: dict = {"train_df": train, "test_df": test, "combine": [train, test], "np": np}
    tracer = Tracer(str(tmp_path))
    tracer.after_cell(ns, 0)
    for df in ns["combine"]:
        df["n"] = 1
    ns["df"] = df
    tracer.after_cell(ns, 1)
    changed = {(c["name"], c["inplace"]) for c in tracer.changes if c["cell"] == 1}
    assert changed == {("train_df", True), ("test_df", True), ("combine", True), ("df", False)}
    assert "np" not in {c["name"] for c in tracer.changes}  # modules are not values
    pairs = {(a, b) for a, b, _ in sharing(ns, ["combine"])}
    assert ("combine", "train_df") in pairs and ("combine", "test_df") in pairs
    models = {"lr": LinearRegression(), "ridge": LinearRegression()}
    loop = {"models": models, "m": models["ridge"]}
    assert sharing(loop, ["models"]) == [["models", "m", "m is models['ridge']"]]
    assert fingerprint(train) == fingerprint(train.copy()) != fingerprint(test)


def _spec() -> PipelineSpec:
    def step(name: str, index: int, inputs=(), outputs=(), sources=None) -> StepSpec:
        return StepSpec(
            name, f"steps.p.{name}", (CellSpec(index, f"c{index}", ""),), tuple(inputs),
            dict(sources or {}), tuple(outputs), depends_on=tuple(sorted(set((sources or {}).values()))),
        )  # fmt: skip

    return PipelineSpec(
        "p",
        "p.ipynb",
        (),
        (
            step("make", 1, outputs=["y"]),
            step("clean", 2, inputs=["y"], sources={"y": "make"}),
            step("fit", 3, inputs=["y"], sources={"y": "make"}),
        ),
        edges=(("make", "clean"), ("make", "fit")),
    )


def test_analysis_rewires_a_missed_in_place_change() -> None:
    trace = {
        "changes": [
            {"cell": 1, "name": "y", "inplace": False, "digest": "a"},
            {"cell": 2, "name": "y", "inplace": True, "digest": "b"},
        ],
        "boundaries": {},
    }
    found = analyse_trace(_spec(), trace)
    assert [o.to_dict() for o in found.outputs] == [
        {"cell": 2, "name": "y", "reader": "fit", "step": "clean"}
    ]
    assert not found.problems
    spec = apply_runtime_outputs(_spec(), [o.to_dict() for o in found.outputs])
    assert spec.step("clean").outputs == ("y",)
    assert spec.step("fit").input_sources == {"y": "clean"}
    assert ("clean", "fit") in spec.edges and "clean" in spec.step("fit").depends_on
    # a stale entry (the notebook changed) is ignored, never a crash
    assert (
        apply_runtime_outputs(_spec(), [{"step": "gone", "name": "y", "reader": "fit"}]) == _spec()
    )


def test_analysis_refuses_a_change_through_another_name() -> None:
    spec = _spec()
    clean = spec.step("clean")
    spec = PipelineSpec(
        spec.name, spec.notebook, (),
        (spec.steps[0], StepSpec(clean.name, clean.module, clean.cells), spec.steps[2]),
    )  # fmt: skip
    trace = {
        "changes": [
            {"cell": 1, "name": "y", "inplace": False, "digest": "a"},
            {"cell": 2, "name": "y", "inplace": True, "digest": "b"},
        ],
        "boundaries": {"clean": {"shared": [["alias", "y", "alias is y"]]}},
    }
    found = analyse_trace(spec, trace)
    assert not found.outputs
    [problem] = found.problems
    assert (problem.step, problem.name, problem.cell, problem.cause) == (
        "clean", "y", 2, "shared objects",
    )  # fmt: skip
    assert "alias is y" in problem.render("p.ipynb")


def test_instrumented_notebook_traces_every_code_cell(tmp_path) -> None:
    from workbench.compiler.record import instrument

    nb = build([([], "a = 1"), ([], "b = a + 1")])
    spec = PipelineSpec(
        "p", "p.ipynb", (),
        (StepSpec("s", "steps.p.s", (CellSpec(0, "cell-0", "a = 1"), CellSpec(1, "cell-1", "")), (), {}, ("b",)),),
    )  # fmt: skip
    node = instrument(nb, spec, tmp_path / "fx", trace=tmp_path / "trace")
    sources = [c.source for c in node.cells]  # type: ignore[attr-defined]
    assert sum("after_cell(globals(), " in s for s in sources) == 2
    assert any("enter(globals(), 's', [])" in s for s in sources)
    assert any("exit(globals(), 's', ['b'])" in s for s in sources)
    assert sources[-1].strip() == "__wb_tracer.dump()"


def test_search_timings_are_ignored_but_scores_are_not() -> None:
    """Two fits of one GridSearchCV differ only in wall-clock seconds, two vectorizers in an
    id(): equal; a changed score or vocabulary still differs."""
    import numpy as np
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV

    from workbench.runtime.compare import compare

    X = np.arange(30.0).reshape(10, 3)
    y = X @ [1.0, 0.5, 0.0]
    a = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2).fit(X, y)
    b = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2).fit(X, y)
    b.refit_time_ = a.refit_time_ + 1.0
    b.cv_results_["mean_fit_time"] = a.cv_results_["mean_fit_time"] + 1.0
    assert compare(b, a) is None
    b.cv_results_["mean_test_score"] = a.cv_results_["mean_test_score"] + 1.0
    assert "mean_test_score" in str(compare(b, a))
    from sklearn.feature_extraction.text import CountVectorizer

    one, two = (CountVectorizer().fit(["a cat", "a dog"]) for _ in range(2))
    two._stop_words_id = one._stop_words_id + 16  # an id(): another process, another number
    assert compare(two, one) is None
    two.vocabulary_ = {"dog": 0, "cat": 1}
    assert compare(two, one) is not None


def test_notebook_classes_compare_by_definition() -> None:
    """A `__main__` class rebuilt from two artifacts is two class objects: equal by name,
    bases, enum members and methods' bytecode; their instances by attributes."""
    import enum

    from workbench.runtime.compare import compare

    def make(scale: float) -> tuple[type, type]:
        kind = enum.Enum("Kind", [("CIRCLE", 1), ("SQUARE", 2)], module="__main__")
        if scale == 1.0:

            def area(self):  # type: ignore[no-untyped-def]
                return self.size * 1.0
        else:

            def area(self):  # type: ignore[no-untyped-def]
                return self.size * 2.0

        shape = type("Shape", (), {"__module__": "__main__", "area": area})
        return kind, shape

    (k1, s1), (k2, s2), (_, s3) = make(1.0), make(1.0), make(2.0)
    assert k1 is not k2 and compare(k2, k1) is None and compare(s2, s1) is None
    assert "class Shape differs" in str(compare(s3, s1))
    one, two = s1(), s2()
    one.kind, one.size, two.kind, two.size = k1.CIRCLE, 1.0, k2.CIRCLE, 1.0
    assert compare(two, one) is None
    two.kind = k2.SQUARE
    assert compare(two, one) is not None
    s2.created = 3  # a class-level counter is part of the class's value
    assert "class Shape differs" in str(compare(s2, s1))


def test_cross_validate_timings_are_ignored_but_scores_are_not() -> None:
    """A user's own `cross_validate` result: fit/score seconds differ between runs and are
    compared by dtype and shape only; the scores, and a dict that is not such a result, are
    compared exactly."""
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import cross_validate

    from workbench.runtime.compare import compare

    X = np.arange(30.0).reshape(10, 3)
    y = X @ [1.0, 0.5, 0.0]
    a = cross_validate(Ridge(), X, y, cv=2, return_train_score=True)
    b = {k: v.copy() for k, v in a.items()}
    b["fit_time"] = a["fit_time"] + 1.0
    b["score_time"] = a["score_time"] * 3
    assert compare(b, a) is None
    b["test_score"] = a["test_score"] + 1.0
    assert "['test_score']" in str(compare(b, a))
    b = {**a, "fit_time": a["fit_time"][:1]}
    assert "timings" in str(compare(b, a))
    plain = {"fit_time": np.array([1.0]), "score_time": np.array([2.0])}  # no test_* key
    assert "['fit_time']" in str(compare({**plain, "fit_time": np.array([3.0])}, plain))
