"""What makes a study *the same study*: its search space and direction.

A study resumed with another search space silently mixes trials from two problems, and its
`best_params` may name parameters the new objective never asks for. So:

- the default study name is `<experiment or objective>-<digest>`, the digest covering the
  normalised space and the direction: two `tune()` calls over different spaces in one experiment
  get two studies;
- the study records its signature (`workbench.space` user attribute), and `tune()` refuses to
  resume a study whose recorded signature, or whose existing trials' distributions, differ
  (`resume="force"` resumes anyway).

A define-by-run objective (`objective(trial)`, no dict space) declares its space only while it
runs; its default name's digest covers the objective's source instead, and no resume check of
the space is possible up front.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from typing import Any

from workbench.core.errors import WorkbenchError

SPACE_ATTR = "workbench.space"
DIGEST_CHARS = 8
Parsed = Mapping[str, tuple[str, tuple[Any, ...], dict[str, Any]]]


def signature(parsed: Parsed | None, direction: str) -> str:
    """Canonical JSON of the space (None: define-by-run) and direction: order-insensitive."""
    space = (
        None
        if parsed is None
        else {
            name: [kind, list(args), dict(sorted(options.items()))]
            for name, (kind, args, options) in parsed.items()
        }
    )
    return json.dumps({"direction": direction, "space": space}, sort_keys=True, default=repr)


def _source_digest(objective: Callable[..., Any]) -> str:
    try:
        text = inspect.getsource(objective)
    except (OSError, TypeError):
        code = getattr(objective, "__code__", None)
        text = repr(code.co_code) if code is not None else repr(objective)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_study_name(
    base: str, parsed: Parsed | None, direction: str, objective: Callable[..., Any]
) -> str:
    """`<base>-<8 hex>`: base is the experiment (or the objective's name)."""
    material = signature(parsed, direction)
    if parsed is None:
        material += _source_digest(objective)
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()[:DIGEST_CHARS]
    return f"{base}-{digest}"


def distributions(parsed: Parsed) -> dict[str, Any]:
    """The Optuna distributions `suggest` asks for, to compare with an existing study's trials."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for name, (kind, args, options) in parsed.items():
        if kind == "float":
            out[name] = FloatDistribution(*args, **options)
        elif kind == "int":
            out[name] = IntDistribution(*args, **options)
        else:
            out[name] = CategoricalDistribution(args[0])
    return out


def _trial_space(study: Any) -> dict[str, Any]:
    """Union of the distributions the study's finished trials used."""
    found: dict[str, Any] = {}
    for trial in study.get_trials(deepcopy=False):
        found.update(trial.distributions)
    return found


def _describe(space: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(space.items())) or "(none)"


def check_resume(study: Any, parsed: Parsed | None, direction: str, resume: bool | str) -> None:
    """Raise unless `study` (existing, loaded) may be resumed with this space and direction."""
    name = study.study_name
    if resume is False:
        raise WorkbenchError(
            f"study {name!r} already exists and resume=False: pass another study_name, or "
            "resume=True to continue it"
        )
    if resume == "force":
        return
    stored = study.user_attrs.get(SPACE_ATTR)
    wanted = signature(parsed, direction)
    if stored is not None:
        if stored != wanted:
            raise WorkbenchError(
                f"study {name!r} was created with another search space or direction:\n"
                f"  recorded: {stored}\n  now:      {wanted}\n"
                "resuming would mix trials of two problems; leave study_name unset (the default "
                "name includes a digest of the space), pick a new study_name, or pass "
                "resume='force'"
            )
        return
    if parsed is None:
        return  # a define-by-run space is only known while trials run
    used = _trial_space(study)
    if used and used != distributions(parsed):
        raise WorkbenchError(
            f"study {name!r}: its trials searched {_describe(used)}, not this space "
            f"({_describe(distributions(parsed))}); pick a new study_name or pass resume='force'"
        )


def check_resume_flag(resume: bool | str) -> None:
    if resume not in (True, False, "force"):
        raise WorkbenchError(f"resume {resume!r}: use True, False or 'force'")
