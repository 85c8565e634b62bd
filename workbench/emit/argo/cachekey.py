"""The step cache key as an Argo expression: the same sha256 as workbench.core.hashing.cache_key.

Both come from one builder, `core.keyparts.key_parts`: locally it is filled with digests and
texts (`code=…`, `lock=…`, `input:NAME=<sha256>`, `param:NAME=<text>` lines); here with
references (the upstream steps' `<output>-sha256` output parameters, the workflow parameters'
texts) between the same literals, hashed with `sprig.sha256sum`. The DAG evaluates it into the step's `cache-key` input, which
keys `memoize` and names the S3 folders: the controller rejects expression tags inside
`memoize.key` itself (argoproj/argo-workflows#14626), a plain `{{inputs.parameters.…}}` is safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.core.keyparts import key_parts
from workbench.emit.argo.options import Names
from workbench.spec.model import ParamSpec, PipelineSpec, StepSpec

CACHE_KEY_PARAM = "cache-key"
_FILE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}$")


def names_a_file(text: str) -> bool:
    """Whether a str parameter's default looks like a data file path or URI.

    The local runner adds the content digest of an existing file a parameter names to the key
    (`file:<param>`); Argo cannot read the file when it evaluates the key, so a step that takes
    such a parameter is not memoized in the cluster (a changed file at the same path must re-run
    it). Its outputs' content digests then key everything downstream exactly as locally.
    """
    return "://" in text or "/" in text or bool(_FILE_SUFFIX.search(text))


def data_parameters(spec: PipelineSpec) -> list[ParamSpec]:
    """The str parameters whose default names a data file or URI, in the spec's order."""
    return [
        p
        for p in spec.parameters
        if p.type == "str" and isinstance(p.default, str) and names_a_file(p.default)
    ]


def reads_data_file(spec: PipelineSpec, step: StepSpec) -> bool:
    return any(p.name in step.params for p in data_parameters(spec))


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class TaskOutput:
    """An upstream task's output parameter (the sha256 file of one artifact)."""

    task: str
    parameter: str


@dataclass(frozen=True)
class WorkflowParameter:
    name: str


@dataclass(frozen=True)
class Nested:
    """The cache key of a step this one runs `after:` (no data): sha256 of its own terms."""

    terms: tuple[Term, ...]


Term = Literal | TaskOutput | WorkflowParameter | Nested


def cache_key_terms(spec: PipelineSpec, step: StepSpec) -> list[Term]:
    """The material string of `hashing.cache_key_material`, as literal and reference pieces."""
    inputs: dict[str, Term] = {}
    for dep in step.after:  # ordered after a step without data: its key is part of ours
        inputs[f"after:{dep}"] = Nested(tuple(cache_key_terms(spec, spec.step(dep))))
    for name in step.inputs:
        source = step.input_sources.get(name)
        if source is None:
            raise ValueError(f"step {step.name}: input {name!r} has no source step")
        inputs[name] = TaskOutput(task=Names.task(source), parameter=Names.digest_param(name))
    params: dict[str, Term] = {name: WorkflowParameter(name) for name in step.params}
    parts = key_parts(
        code_digest=step.code_digest, lock_digest=spec.lock_digest, inputs=inputs, params=params
    )
    terms = [Literal(p) if isinstance(p, str) else p for p in parts]
    return _merge(terms)


def _merge(terms: list[Term]) -> list[Term]:
    """Join neighbouring literals, so the expression reads as few pieces as possible."""
    out: list[Term] = []
    for term in terms:
        if out and isinstance(term, Literal) and isinstance(out[-1], Literal):
            out[-1] = Literal(out[-1].text + term.text)
        else:
            out.append(term)
    return out


def _quote(text: str) -> str:
    """An expr-lang single-quoted string literal."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{escaped}'"


def render_term(term: Term) -> str:
    if isinstance(term, Literal):
        return _quote(term.text)
    if isinstance(term, Nested):
        return "sprig.sha256sum(" + " + ".join(render_term(t) for t in term.terms) + ")"
    if isinstance(term, TaskOutput):
        # sprig.trim: the sha256 file ends with a newline; whether Argo strips it or not,
        # the material holds the bare digest, as locally
        return f"sprig.trim(tasks['{term.task}'].outputs.parameters['{term.parameter}'])"
    return f"workflow.parameters['{term.name}']"


def cache_key_expression(spec: PipelineSpec, step: StepSpec) -> str:
    """`{{=sprig.sha256sum(…)}}`: the step's cache key, evaluated by the DAG."""
    body = " + ".join(render_term(t) for t in cache_key_terms(spec, step))
    return "{{=sprig.sha256sum(" + body + ")}}"
