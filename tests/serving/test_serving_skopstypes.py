"""skops.io imported with the recorded estimator list: the same trusted types, without the walk.

Each case runs in a fresh interpreter: what skops trusts is computed once, at its import. Those
cases import all of scikit-learn (5-7 s each), so they are `slow`: the full suite runs them, the
edit loop's quick lane does not.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from workbench.serving import skopstypes

REPO = Path(__file__).resolve().parents[2]
LOGISTIC = "sklearn.linear_model._logistic.LogisticRegression"

TRUSTED = textwrap.dedent(
    """
    import json, sys
    {prelude}
    from skops.io import _trusted_types as t
    import sklearn.utils
    print(json.dumps({{
        "lists": {{name: getattr(t, name) for name in dir(t) if name.endswith("_TYPE_NAMES")}},
        "walked": "sklearn.calibration" in sys.modules or "sklearn.utils._testing" in sys.modules,
        "restored": sklearn.utils.all_estimators.__module__ == "sklearn.utils.discovery",
        "ufuncs_restored": t.get_public_type_names.__module__ == "skops.io._utils"
        and sys.modules["skops.io._utils"].get_public_type_names is t.get_public_type_names
        and not any(type(f).__name__ == "_AfterExec" for f in sys.meta_path),
    }}))
    """
)


def trusted_in_fresh_process(prelude: str) -> dict[str, Any]:
    script = TRUSTED.format(prelude=textwrap.dedent(prelude))
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_record_is_all_estimators_of_the_installed_scikit_learn() -> None:
    """A record, where there is one for the installed scikit-learn, is exactly its estimators.
    A release newer than the records (a clean install picks the newest) has none: skops is then
    imported as usual, slower but trusting the same types (the next test but one), and
    `python -m workbench.serving.skopstypes --write` adds its record."""
    recorded = skopstypes.recorded_estimators(skopstypes.sklearn_version())
    if recorded is not None:
        assert recorded == skopstypes.computed_estimators()
    else:
        fresh = trusted_in_fresh_process(
            "from workbench.serving.skopstypes import import_skops_io; import_skops_io()"
        )
        assert fresh["walked"], "no record for this scikit-learn, yet skops did not walk it"


@pytest.fixture(scope="module")
def plain_import() -> dict[str, Any]:
    return trusted_in_fresh_process("import skops.io")


@pytest.mark.slow
@pytest.mark.integration
def test_same_trusted_types_without_walking_scikit_learn(plain_import: dict[str, Any]) -> None:
    fast = trusted_in_fresh_process(
        "from workbench.serving.skopstypes import import_skops_io; import_skops_io()"
    )
    assert plain_import["walked"] and not fast["walked"]
    assert fast["restored"] and fast["ufuncs_restored"]
    assert fast["lists"] == plain_import["lists"]  # SCIPY_UFUNC_TYPE_NAMES too
    assert LOGISTIC in fast["lists"]["SKLEARN_ESTIMATOR_TYPE_NAMES"]


@pytest.mark.slow
@pytest.mark.integration
def test_a_version_without_a_record_imports_skops_as_usual(
    plain_import: dict[str, Any],
) -> None:
    other = trusted_in_fresh_process(
        """
        from workbench.serving import skopstypes
        skopstypes.sklearn_version = lambda: "0.0.0"
        skopstypes.import_skops_io()
        """
    )
    assert other["walked"]
    assert other["lists"] == plain_import["lists"]


@pytest.mark.slow
@pytest.mark.integration
def test_the_record_decides_what_skops_trusts() -> None:
    """The record is what skops builds its list from: an estimator left out is untrusted."""
    doctored = trusted_in_fresh_process(
        """
        from workbench.serving import skopstypes
        from workbench.serving.skops_estimators import ESTIMATORS
        version = skopstypes.sklearn_version()
        ESTIMATORS[version] = [e for e in ESTIMATORS[version] if e[0] != "LogisticRegression"]
        skopstypes.import_skops_io()
        """
    )
    assert LOGISTIC not in doctored["lists"]["SKLEARN_ESTIMATOR_TYPE_NAMES"]


@pytest.mark.slow
@pytest.mark.integration
def test_the_ufunc_record_is_skops_own_answer_for_the_installed_scipy() -> None:
    """skops's walk over sys.modules, run here, finds what the record says for these versions."""
    recorded = skopstypes.recorded_scipy_ufuncs(skopstypes.ufunc_versions())
    if recorded is None:
        pytest.skip("no ufunc record for this scipy/numpy: skops walks as usual (same result)")
    assert recorded == skopstypes.computed_scipy_ufuncs()
    assert any(name.endswith(".expit") for name in recorded)


@pytest.mark.slow
@pytest.mark.integration
def test_the_ufunc_record_decides_what_skops_trusts() -> None:
    doctored = trusted_in_fresh_process(
        """
        from workbench.serving import skopstypes
        from workbench.serving.skops_ufuncs import SCIPY_UFUNCS
        key = skopstypes.ufunc_versions()
        SCIPY_UFUNCS[key] = [n for n in SCIPY_UFUNCS[key] if not n.endswith(".expit")]
        skopstypes.import_skops_io()
        """
    )
    names = doctored["lists"]["SCIPY_UFUNC_TYPE_NAMES"]
    assert names and not any(n.endswith(".expit") for n in names)
    assert doctored["ufuncs_restored"]


@pytest.mark.parametrize("record", [None, "not a list", [3], ["name", None]])
def test_a_malformed_ufunc_record_is_no_record(
    record: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.serving import skops_ufuncs

    monkeypatch.setitem(skops_ufuncs.SCIPY_UFUNCS, "scipy 0, numpy 0", record)
    assert skopstypes.recorded_scipy_ufuncs("scipy 0, numpy 0") is None


@pytest.mark.parametrize(
    "record",
    [None, "not a list", [["Name", "module"]], [["Name", "module", 3]]],
)
def test_a_malformed_record_is_no_record(record: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.serving import skops_estimators

    monkeypatch.setitem(skops_estimators.ESTIMATORS, "9.9.9", record)
    assert skopstypes.recorded_estimators("9.9.9") is None
