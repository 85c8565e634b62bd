"""Step packages for the fork-server tests, in the shape `workbench productionize` emits.

`probe`: independent stdlib steps that report what their process sees (argv, environment,
working directory, sys.path, signal dispositions, open descriptors, stdio) or end in a given way
(exit 3, SIGKILL, SIGTERM, an uncaught KeyboardInterrupt, a traceback).
`rentals`: a pandas / scikit-learn / pyarrow pipeline (a bike-rental regression as a Kaggle
notebook writes it) whose outputs are DataFrames (parquet), arrays (npy), a fitted model
(pickle) and dicts (json).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from workbench.spec.model import ParamSpec, PipelineSpec, StepSpec

STEP = '''\
"""Generated from notebooks/{pipeline}.ipynb by workbench productionize; do not edit."""

from typing import NamedTuple
{imports}

class Outputs(NamedTuple):
{fields}


def {name}({signature}) -> Outputs:
{body}
    return Outputs({returns})


if __name__ == "__main__":
{main}
    from workbench.runtime.step import main_guard, run_step

    main_guard(run_step({name}, inputs={inputs!r}, outputs={outputs!r}, params={params!r}))
'''

PROBE_BODY = """
import json, os, signal, sys, threading
fds = {}
for fd in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
def disposition(sig):
    handler = signal.getsignal(sig)
    return handler if isinstance(handler, int) else getattr(handler, "__qualname__", repr(handler))
main = sys.modules["__main__"]
seen = {
    "argv": sys.argv,
    "orig_argv": sys.orig_argv,
    "env": dict(os.environ),
    "cwd": os.getcwd(),
    "path": sys.path,
    "main": [main.__name__, main.__file__, main.__spec__.name, sorted(vars(main))],
    "signals": {s.name: disposition(s) for s in signal.Signals if s not in (signal.SIGKILL, signal.SIGSTOP)},
    "blocked": sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    "threads": [threading.active_count(), len(os.listdir("/proc/self/task"))],
    "fds": fds,
    "stdio": [[s.encoding, s.errors, s.line_buffering, s.write_through] for s in (sys.stdout, sys.stderr)],
    "flags": str(sys.flags),
    "executable": sys.executable,
}
seen["ppid"] = os.getppid()
"""

# the probe steps: name -> (body, the code before run_step in the __main__ block)
PROBES = {
    "probe_ok": (PROBE_BODY, ""),
    "exit3": ("import sys\nsys.exit(3)", ""),
    "sigkill": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", ""),
    "sigterm": ("import os, signal, time\nos.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(5)", ""),
    "interrupt": ("", "    raise KeyboardInterrupt"),
    "traceback": (
        'import sys\nprint("to stdout")\nprint("to stderr", file=sys.stderr)\n'
        'raise ValueError("no rentals on a closed day")',
        "",
    ),
    "hold": ("import os, time\nopen('hold.pid', 'w').write(str(os.getpid()))\ntime.sleep(60)", ""),
}


def _module(pipeline: str, name: str, body: str, **kw: object) -> str:
    inputs = tuple(kw.get("inputs", ()))  # type: ignore[call-overload]
    params = dict(kw.get("params", {}))  # type: ignore[call-overload]
    outputs = tuple(kw.get("outputs", ("seen",)))  # type: ignore[call-overload]
    signature = ", ".join([*inputs, *(f"{p}: {t}" for p, t in params.items())])
    returns = ", ".join(f"{o}={o}" if o in body else f"{o}=None" for o in outputs)
    return STEP.format(
        pipeline=pipeline,
        imports=str(kw.get("imports", "")),
        fields="\n".join(f"    {o}: object" for o in outputs),
        name=name,
        signature=signature,
        body=textwrap.indent(textwrap.dedent(body).strip() or "pass", "    "),
        returns=returns,
        main=kw.get("main") or "    pass",
        inputs=inputs,
        outputs=outputs,
        params=params,
    )


def _package(root: Path, name: str, steps: list[StepSpec], sources: dict[str, str]) -> None:
    folder = root / "steps" / name
    folder.mkdir(parents=True, exist_ok=True)
    (root / "steps" / "__init__.py").write_text("")
    (folder / "__init__.py").write_text("")
    (folder / "requirements.txt").write_text("workbench\n")
    for step in steps:
        (folder / f"{step.name}.py").write_text(sources[step.name])


def write_probe(root: Path, names: tuple[str, ...] = tuple(PROBES)) -> PipelineSpec:
    steps = [
        StepSpec(name=n, module=f"steps.probe.{n}", cells=(), outputs=("seen",)) for n in names
    ]
    sources = {n: _module("probe", n, PROBES[n][0], main=PROBES[n][1]) for n in names}
    _package(root, "probe", steps, sources)
    spec = PipelineSpec(
        name="probe", notebook="notebooks/probe.ipynb", parameters=(), steps=tuple(steps)
    )
    (root / "steps" / "probe" / "pipeline.json").write_text(spec.to_json())
    return spec


RENTALS_CSV = "\n".join(
    ["day,season,temp,humidity,windy,holiday,rentals"]
    + [
        f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},{['winter', 'spring', 'summer', 'fall'][i % 4]},"
        f"{(i * 7) % 31 - 3},{40 + (i * 13) % 55},{'yes' if i % 5 == 0 else 'no'},"
        f"{int(i % 17 == 0)},{150 + (i * 37) % 400}"
        for i in range(240)
    ]
)

RENTALS = {
    # name: (imports, inputs, params, outputs, body)
    "load": (
        "import pandas as pd",
        (),
        {"data_path": "str"},
        ("raw",),
        "raw = pd.read_csv(data_path, parse_dates=['day'])",
    ),
    "features": (
        "import numpy as np\nimport pandas as pd",
        ("raw",),
        {},
        ("X", "y"),
        """
        df = raw.assign(month=raw.day.dt.month, windy=(raw.windy == "yes").astype(int))
        X = pd.get_dummies(df.drop(columns=["day", "rentals"]), columns=["season"], dtype=float)
        y = np.log1p(df.rentals.to_numpy())
        """,
    ),
    "fit": (
        "from sklearn.ensemble import HistGradientBoostingRegressor\n"
        "from sklearn.model_selection import train_test_split",
        ("X", "y"),
        {"seed": "int"},
        ("model", "X_test", "y_test"),
        """
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
        model = HistGradientBoostingRegressor(max_iter=40, random_state=seed).fit(X_train, y_train)
        """,
    ),
    "score": (
        "import numpy as np\nfrom sklearn.metrics import mean_absolute_error\n"
        "from threadpoolctl import threadpool_info",
        ("model", "X_test", "y_test"),
        {},
        ("predictions", "metrics", "pools"),
        """
        predictions = np.expm1(model.predict(X_test))
        metrics = {"mae": float(mean_absolute_error(np.expm1(y_test), predictions))}
        pools = sorted([p["internal_api"], p["num_threads"]] for p in threadpool_info())
        """,
    ),
}


def write_rentals(root: Path) -> PipelineSpec:
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "rentals.csv").write_text(RENTALS_CSV + "\n")
    producer = {o: n for n, (_, _, _, outs, _) in RENTALS.items() for o in outs}
    steps: list[StepSpec] = []
    sources: dict[str, str] = {}
    for name, (imports, inputs, params, outputs, body) in RENTALS.items():
        upstream: set[str] = set()
        for i in inputs:
            upstream |= {producer[i], *next(s.depends_on for s in steps if s.name == producer[i])}
        steps.append(
            StepSpec(
                name=name,
                module=f"steps.rentals.{name}",
                cells=(),
                inputs=inputs,
                input_sources={i: producer[i] for i in inputs},
                outputs=outputs,
                params=tuple(params),
                depends_on=tuple(sorted(upstream)),
            )
        )
        sources[name] = _module(
            "rentals", name, body, imports=imports, inputs=inputs, params=params, outputs=outputs
        )
    _package(root, "rentals", steps, sources)
    spec = PipelineSpec(
        name="rentals",
        notebook="notebooks/rentals.ipynb",
        parameters=(
            ParamSpec("data_path", "str", "data/rentals.csv"),
            ParamSpec("seed", "int", 7),
        ),
        steps=tuple(steps),
    )
    (root / "steps" / "rentals" / "pipeline.json").write_text(spec.to_json())
    return spec
