"""The server skips scipy's import-time docstring rewriting (serving.scipy_docs): the same scipy
functions, the same array-API capability records and results, only the docstrings left as
written; a scipy release that was not read is imported as usual. Each case is a fresh
interpreter: the rewriting happens once, when scipy's modules first import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent(
    """
    import json, sys
    {prelude}
    import sklearn.pipeline, sklearn.linear_model, sklearn.preprocessing
    import scipy.special, scipy.stats
    from scipy._lib import _array_api as xp
    def public(module):
        return sorted(n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n)))
    print(json.dumps({{
        "applied": applied,
        "doc_class": xp.FunctionDoc.__name__,
        "stats": public(scipy.stats),
        "special": public(scipy.special),
        "capabilities": sorted(
            f"{{getattr(f, '__module__', None)}}.{{getattr(f, '__name__', repr(f))}}"
            for f in xp.xp_capabilities_table
        ),
        "values": [float(scipy.stats.gmean([1.0, 2.0, 4.0])), float(scipy.special.expit(0.3)),
                   float(scipy.stats.zscore([1.0, 2.0, 4.0])[0])],
        "note_in_doc": "Array API Standard Support" in (scipy.stats.gmean.__doc__ or ""),
    }}))
    """
)


def _probe(prelude: str) -> dict[str, Any]:
    script = PROBE.format(prelude=textwrap.dedent(prelude))
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_only_the_docstrings_differ() -> None:
    plain = _probe("applied = None")
    lean = _probe(
        "from workbench.serving.scipy_docs import skip_doc_rewrites\napplied = skip_doc_rewrites()"
    )
    assert lean["applied"] is True and lean["doc_class"] == "KeptDoc"
    assert plain["doc_class"] == "FunctionDoc"
    assert plain["note_in_doc"] and not lean["note_in_doc"]  # the rewrite did not happen
    for key in ("stats", "special", "capabilities", "values"):
        assert lean[key] == plain[key], key
    assert len(lean["capabilities"]) > 100


def test_an_unread_scipy_release_imports_as_usual() -> None:
    other = _probe(
        "from workbench.serving import scipy_docs\n"
        "scipy_docs.RECORDED = ()\n"
        "applied = scipy_docs.skip_doc_rewrites()"
    )
    assert other["applied"] is False and other["doc_class"] == "FunctionDoc"
    assert other["note_in_doc"]
