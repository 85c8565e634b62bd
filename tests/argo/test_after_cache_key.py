"""An `after:` edge is part of the dependent step's Argo memoization key, exactly as locally:
the material line `input:after:STEP=<that step's cache key>` (issue 10)."""

from __future__ import annotations

from argo_local_exec import evaluate_expression

from workbench.core.hashing import cache_key
from workbench.emit.argo.cachekey import cache_key_expression
from workbench.spec.model import PipelineSpec, StepSpec


def _spec(code: str) -> PipelineSpec:
    export = StepSpec(
        name="export", module="m.export", cells=(), params=("title",), code_digest=code,
        outputs=("rows",),
    )  # fmt: skip
    publish = StepSpec(
        name="publish", module="m.publish", cells=(), after=("export",), code_digest="p",
        inputs=("rows",), input_sources={"rows": "export"}, depends_on=("export",),
    )  # fmt: skip
    return PipelineSpec(
        name="report", notebook="n", parameters=(), steps=(export, publish), lock_digest="l"
    )


def test_after_edge_is_in_the_argo_key_as_locally() -> None:
    keys = []
    for title, code in (("draft", "e1"), ("final", "e1"), ("draft", "e2")):
        spec = _spec(code)
        scope = {
            "workflow": {"parameters": {"title": title}},
            "tasks": {"export": {"rows-sha256": "9" * 64 + "\n"}},
        }
        export_key = cache_key(
            code_digest=code, lock_digest="l", input_digests={}, params={"title": title}
        )
        expected = cache_key(
            code_digest="p",
            lock_digest="l",
            input_digests={"after:export": export_key, "rows": "9" * 64},
            params={},
        )
        expr = cache_key_expression(spec, spec.step("publish"))
        assert evaluate_expression(expr[3:-2], scope) == expected
        keys.append(expected)
    assert len(set(keys)) == 3  # the upstream's parameters and code both reach the key
