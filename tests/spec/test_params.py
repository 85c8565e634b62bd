"""The parameter model: one table, and every consumer agrees with it.

Round trip over every type (hypothesis): parse(text(v)) == v with the same Python types all the
way down; the texts the local runner hashes and `pipeline submit` sends are the same; papermill
injects exactly the value; the compiler and `workbench run` read a parameters cell alike.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.compiler.parse import ROLE_TAGS
from workbench.core.errors import WorkbenchError
from workbench.deploy.params import submit_parameters
from workbench.runner.plan import RunOptions, plan_run
from workbench.spec.model import ParamSpec, PipelineSpec
from workbench.spec.paramcell import PARAMETER_TAGS, read_assignments
from workbench.spec.params import (
    PARAM_TYPES,
    TYPES,
    param_text,
    parse_param,
    type_of,
)

scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.none(),
)
keys = st.one_of(st.integers(), st.text(), st.booleans(), st.none())
nested = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=12,
)

VALUES: dict[str, Any] = {
    "bool": st.booleans(),
    "int": st.integers(),
    "float": st.floats(allow_nan=False),
    "str": st.text(),
    "list": st.lists(nested, max_size=4),
    "tuple": st.lists(nested, max_size=4).map(tuple),
    "dict": st.dictionaries(keys, nested, max_size=4),
    "none": st.one_of(st.none(), nested),
}


def same(a: Any, b: Any) -> bool:
    """Equal with the same types at every level, and dicts in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(
            same(k1, k2) and same(a[k1], b[k2]) for k1, k2 in zip(a, b, strict=True)
        )
    return bool(a == b)


def test_every_type_has_a_strategy() -> None:
    assert set(VALUES) == set(PARAM_TYPES) == set(TYPES)


@pytest.mark.parametrize("kind", PARAM_TYPES)
@settings(deadline=None)
@given(data=st.data())
def test_text_parses_back_to_the_same_value(kind: str, data: st.DataObject) -> None:
    value = data.draw(VALUES[kind])
    if kind != "none":
        assert type_of(value) == kind
    text = param_text(kind, value)
    back = parse_param("p", text, kind)
    assert same(back, value), (text, back)
    assert param_text(kind, back) == text  # canonical: one text per value


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["list", "tuple", "dict", "none"])
@settings(deadline=None)  # the first example imports papermill
@given(data=st.data())
def test_papermill_injects_the_exact_value(kind: str, data: st.DataObject) -> None:
    """What our papermill translator writes into the injected cell evaluates to the value."""
    from workbench.execute import translator

    translator.register()
    from papermill.translators import papermill_translators

    value = data.draw(VALUES[kind])
    source = papermill_translators.find_translator("python3", "python").translate(value)
    assert same(ast.literal_eval(source), value), source


def _spec(*params: ParamSpec) -> PipelineSpec:
    return PipelineSpec(name="p", notebook="nb.ipynb", parameters=params, steps=())


PARAMS = (
    ParamSpec("C", "float", 1.0),
    ParamSpec("layers", "tuple", (64, 32)),
    ParamSpec("cols", "list", ["a", "b"]),
    ParamSpec("opts", "dict", {"b": 1, 2: None}),
    ParamSpec("depth", "none", None),
    ParamSpec("flag", "bool", False),
    ParamSpec("code", "str", "007"),
)


@pytest.mark.parametrize(
    "overrides",
    [
        ["C=1", "layers=[8, 4]", "cols=('x',)", 'opts={"a": true}', "depth=5", "flag=yes"],
        ["C=2.50", "depth=abc", "code=007", "opts={}", "layers=()"],
        ["flag=False", "depth=None", "C=1e-3"],
    ],
)
def test_runner_and_submit_send_the_same_texts(overrides: list[str]) -> None:
    """`-p C=1` for a float: the local runner hashes `1.0`, and submit sends `1.0` too."""
    spec = _spec(*PARAMS)
    plan = plan_run(spec, RunOptions(overrides=tuple(overrides)))
    sent = submit_parameters(spec, overrides)
    assert sent == {name: plan.param_texts[name] for name in sent}
    if "C=1" in overrides:
        assert sent["C"] == "1.0" and plan.param_values["C"] == 1.0
        assert plan.param_values["layers"] == (8, 4) and sent["layers"] == "(8, 4)"
        assert plan.param_values["opts"] == {"a": True}


def test_submit_refuses_unknown_names_and_bad_texts() -> None:
    spec = _spec(*PARAMS)
    with pytest.raises(WorkbenchError, match=r"unknown parameter\(s\) c \(known: C, code, cols"):
        submit_parameters(spec, ["c=1"])
    with pytest.raises(WorkbenchError, match="parameter C: 'one' is not a valid float"):
        submit_parameters(spec, ["C=one"])
    with pytest.raises(
        WorkbenchError,
        match=r"parameter layers: '\{\}' is not a valid tuple \(expected a tuple, got a dict",
    ):
        submit_parameters(spec, ["layers={}"])
    with pytest.raises(WorkbenchError, match="expected NAME=VALUE"):
        submit_parameters(spec, ["C"])


def test_spec_json_keeps_tuples_keys_and_order() -> None:
    spec = _spec(*PARAMS)
    back = PipelineSpec.from_json(spec.to_json())
    for before, after in zip(spec.parameters, back.parameters, strict=True):
        assert same(after.default, before.default), before.name
        assert after.text == before.text


def test_parameters_cell_syntax_and_types() -> None:
    source = (
        '"""doc"""\nC: float = 1.0\nlayers = (64, 32)\nopts = {2: "a", "b": [None]}\n'
        "path = os.path.join('a', 'b')\nfour, five = 4, 5\nkinds = {1, 2}\n"
    )
    found = {a.name: a for a in read_assignments(ast.parse(source), source)}
    assert (found["C"].type, found["C"].value) == ("float", 1.0)
    assert found["layers"].type == "tuple" and found["opts"].type == "dict"
    assert found["path"].type is None and found["path"].value == "os.path.join('a', 'b')"
    assert found[""].problem.startswith("only `name = literal`")
    assert found["kinds"].type is None and "set default" in found["kinds"].problem


def test_compiler_and_run_share_the_parameter_tags() -> None:
    assert all(ROLE_TAGS[tag] == "parameters" for tag in PARAMETER_TAGS)
    assert {t for t, role in ROLE_TAGS.items() if role == "parameters"} == set(PARAMETER_TAGS)


@pytest.mark.parametrize(
    ("kind", "text"),
    [("int", "1.5"), ("bool", "maybe"), ("list", "{1: 2}"), ("dict", "[1]"), ("tuple", "{1}")],
)
def test_a_text_that_does_not_fit_names_the_parameter(kind: str, text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"parameter x: {text!r} is not a valid {kind}")):
        parse_param("x", text, kind)
