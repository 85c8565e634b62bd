"""The command-line entry point of every generated step module.

    python -m steps.NAME.STEP --input NAME=URI ... --output NAME=URI ... --param NAME=VALUE ...

The same command runs in a local runner subprocess and in the Argo container. Parameter texts are
parsed by the declared type with the parameter model (`workbench.spec.params`), which also makes
the texts the runner and Argo pass.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from workbench.core.signals import exit_code, stop_signals_interrupt
from workbench.runtime.artifacts import read_value, write_value
from workbench.spec.params import parse_param


def _pairs(values: Sequence[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"{flag} {item!r}: expected NAME=VALUE")
        if name in out:
            raise ValueError(f"{flag} {name} given twice")
        out[name] = value
    return out


def run_step(
    func: Callable[..., Any],
    *,
    inputs: Sequence[str],
    outputs: Sequence[str],
    params: Mapping[str, str],
    argv: Sequence[str] | None = None,
    workdir: str | None = None,
) -> int:
    """Read inputs, call `func`, write outputs. `params` maps parameter name -> type name.
    With `workdir` (the notebook's folder) the step's code runs there, as in the notebook."""
    parser = argparse.ArgumentParser(prog=f"python -m {func.__module__}")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=URI")
    parser.add_argument("--output", action="append", default=[], metavar="NAME=URI")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    try:
        given_in = _pairs(args.input, "--input")
        given_out = _pairs(args.output, "--output")
        given_params = _pairs(args.param, "--param")
        missing = [n for n in inputs if n not in given_in]
        if missing:
            raise ValueError(f"missing --input for {', '.join(missing)}")
        unknown = sorted(set(given_in) - set(inputs)) + sorted(set(given_out) - set(outputs))
        unknown += sorted(set(given_params) - set(params))
        if unknown:
            raise ValueError(f"unknown name(s): {', '.join(unknown)}")
        kwargs = {n: parse_param(n, t, params[n]) for n, t in given_params.items()}
    except ValueError as exc:
        parser.error(str(exc))
    if workdir is not None:
        from workbench.runtime.workdir import absolute_uri

        given_in = {n: absolute_uri(u) for n, u in given_in.items()}
        given_out = {n: absolute_uri(u) for n, u in given_out.items()}
        os.chdir(workdir)
    with stop_signals_interrupt():  # SIGTERM (a pod stopped), SIGHUP: runs end KILLED
        try:
            values = [read_value(given_in[n]) for n in inputs]
            result = func(*values, **kwargs)
            for name in outputs:
                if name in given_out:
                    write_value(getattr(result, name), given_out[name])
        except KeyboardInterrupt as exc:
            _end_runs_killed()
            print(f"step {func.__name__}: {exc or 'interrupted'}", file=sys.stderr)
            return exit_code(exc)
        except Exception as exc:
            from workbench.runtime.tracebacks import format_failure

            # Python's own traceback, plus the notebook cell and line of each step-module frame
            sys.stderr.write(format_failure(exc, func))
            sys.stderr.flush()
            return 1
    return 0


def _end_runs_killed() -> None:
    """End every MLflow run the step left open KILLED (only if the step imported mlflow)."""
    mlflow = sys.modules.get("mlflow")  # the step's own import, never one of ours
    if mlflow is None:
        return
    while mlflow.active_run() is not None:
        mlflow.end_run("KILLED")


def main_guard(code: int) -> None:  # pragma: no cover - thin wrapper for generated modules
    sys.exit(code)
