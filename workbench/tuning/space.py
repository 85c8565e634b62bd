"""A search space written as a dict, turned into Optuna `suggest_*` calls.

    space = {
        "C": ("float", 1e-3, 10.0, {"log": True}),
        "max_iter": ("int", 100, 1000, {"step": 100}),
        "penalty": ("categorical", ["l1", "l2"]),
        "solver": ["liblinear", "saga"],          # a bare list is categorical too
    }

Validated up front, so a typo fails before the first trial with the parameter named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workbench.core.errors import WorkbenchError

KINDS = ("float", "int", "categorical")
OPTIONS = {"float": {"log", "step"}, "int": {"log", "step"}, "categorical": set()}


def _bad(name: str, message: str) -> WorkbenchError:
    return WorkbenchError(f"space[{name!r}]: {message}")


def validate_space(
    space: Mapping[str, Any],
) -> dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """Normalise to name -> (kind, positional arguments, options); raise on the first mistake."""
    if not isinstance(space, Mapping) or not space:
        raise WorkbenchError("space: expected a non-empty dict of parameter name -> spec")
    out: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {}
    for name, spec in space.items():
        if isinstance(spec, list):
            spec = ("categorical", spec)
        if not isinstance(spec, tuple) or not spec or spec[0] not in KINDS:
            raise _bad(
                name, f"expected a tuple starting with one of {KINDS}, or a list; got {spec!r}"
            )
        kind, rest = spec[0], list(spec[1:])
        options: dict[str, Any] = {}
        if rest and isinstance(rest[-1], dict):
            options = rest.pop()
        unknown = set(options) - OPTIONS[kind]
        if unknown:
            raise _bad(name, f"unknown option(s) {sorted(unknown)} for {kind}")
        if kind == "categorical":
            if len(rest) != 1 or not isinstance(rest[0], Sequence) or isinstance(rest[0], str):
                raise _bad(name, "categorical needs one list of choices")
            if not rest[0]:
                raise _bad(name, "categorical needs at least one choice")
            out[name] = (kind, (list(rest[0]),), options)
            continue
        if len(rest) != 2 or not all(isinstance(v, int | float) for v in rest):
            raise _bad(name, f"{kind} needs numeric low and high; got {rest!r}")
        low, high = rest
        if kind == "int" and not (isinstance(low, int) and isinstance(high, int)):
            raise _bad(name, "int bounds must be integers")
        if low > high:
            raise _bad(name, f"low {low} is above high {high}")
        if options.get("log") and low <= 0:
            raise _bad(name, "a log scale needs low > 0")
        out[name] = (kind, (low, high), options)
    return out


def suggest(
    trial: Any, space: Mapping[str, tuple[str, tuple[Any, ...], dict[str, Any]]]
) -> dict[str, Any]:
    """Ask the trial for one value per parameter, in the space's order."""
    params: dict[str, Any] = {}
    for name, (kind, args, options) in space.items():
        if kind == "float":
            params[name] = trial.suggest_float(name, *args, **options)
        elif kind == "int":
            params[name] = trial.suggest_int(name, *args, **options)
        else:
            params[name] = trial.suggest_categorical(name, args[0])
    return params
