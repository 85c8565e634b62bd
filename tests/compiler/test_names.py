"""Unit checks of the analysis pieces: name usage with scopes and mutation, IPython syntax,
emitted-source helpers, the topological order."""

from __future__ import annotations

import ast

import pytest

from workbench.compiler.graph import topological_order
from workbench.compiler.ipython import translate
from workbench.compiler.names import Mutations, scan_block
from workbench.emit.pysource import indent_code, render_imports


def usage(source: str, helper_mutations: Mutations | None = None):  # type: ignore[no-untyped-def]
    return scan_block([(0, ast.parse(source))], helper_mutations)


def test_reads_are_names_used_before_bound() -> None:
    u = usage("x = a + 1\ny = x * b\nb = 2\nz = [i * c for i in range(3)]\nn += 1")
    assert set(u.reads) == {"a", "b", "c", "range", "n"}
    assert set(u.writes) == {"x", "y", "b", "z", "n"}
    assert u.reads["b"].line == 2


def test_function_and_class_bodies_read_late() -> None:
    u = usage(
        "def f(p):\n    q = p + later\n    return q + g\nlater = 1\n"
        "class K:\n    size = 2\n    twice = size * 2\n    def m(self):\n        return glob\n"
        "h = lambda t: t + free"
    )
    assert set(u.reads) == set()
    assert set(u.free_late_reads()) == {"g", "glob", "free"}
    assert {"f", "K", "h", "later"} <= set(u.writes)


@pytest.mark.parametrize(
    "code",
    [
        "df.dropna(inplace=True)",
        "X[:, 0] = 0",
        "df.loc[df.a > 0, 'b'] = 1",
        "lst.append(1)",
        "d.update(a=1)",
        "obj.attr = 3",
        "del d['k']",
        "X[0] += 1",
        "est.fit(A, b)",
        "import numpy as np\nnp.random.shuffle(arr)\narr2 = arr",
        "draws = rng.normal(size=3)",
        "helper(target)",
        "helper(1, arr=target)",
        "draws = rng.lognormal(size=3)",
        "log.record('x')",
        "import heapq\nheapq.heappush(h, 1)",
        "from bisect import insort\ninsort(lst, 3)",
        "import numpy as np\nnp.fill_diagonal(X, 0)",
        "for name, m in models.items():\n    m.fit(X, y)",
        "for df in combine:\n    df['x'] = 1",
        "fitted = [est.fit(X, y) for est in models.values()]",
        "nxt = next(it)",
    ],
)
def test_in_place_mutation_of_an_outside_name(code: str) -> None:
    u = usage(code, {"helper": ((0, "target"), (-1, "arr"))})
    mutated = set(u.mutations) - set(u.imports)  # a module's own state is not a value
    assert len(mutated) == 1
    assert mutated <= {"df", "X", "lst", "d", "obj", "est", "arr", "target", "rng", "log", "h"} | {
        "models",
        "combine",
        "it",
    }


@pytest.mark.parametrize(
    "code", ["df.head()", "model.predict(X)", "df.to_csv('x.csv')", "s = df.describe()"]
)
def test_known_pure_methods_change_nothing(code: str) -> None:
    assert not usage(code).mutations


def test_no_mutation_of_names_the_block_binds_or_copies() -> None:
    u = usage(
        "df = raw.copy()\ndf.dropna(inplace=True)\nout = raw.assign(a=1)\nlst = []\nlst.append(1)"
    )
    assert u.mutations == {}
    assert set(u.reads) == {"raw"}


def test_imports_are_recorded_with_their_statement() -> None:
    u = usage("import numpy as np\nimport os.path\nfrom a.b import c as d, e\nfrom m import *")
    assert {k: v.statement() for k, v in u.imports.items()} == {
        "np": "import numpy as np",
        "os": "import os.path",
        "d": "from a.b import c as d",
        "e": "from a.b import e",
    }
    assert len(u.star_imports) == 1


def test_helper_mutating_a_parameter_is_detected() -> None:
    u = usage("def clip(arr, lo):\n    arr[arr < lo] = lo\n\ndef pure(a):\n    return a + 1\n")
    assert u.mutated_params == {"clip": ((0, "arr"),)}
    assert usage("def tag(*, frame):\n    frame['x'] = 1\n").mutated_params == {
        "tag": ((-1, "frame"),)
    }


def test_ipython_translation() -> None:
    assert translate("x = 1\n").errors == []
    tr = translate("%matplotlib inline\nif x:\n    %config A.b = 1\ny = 2\n")
    assert tr.emitted.splitlines() == [
        "# workbench: dropped display-only `%matplotlib inline`",
        "if x:",
        "    pass  # workbench: dropped display-only `%config A.b = 1`",
        "y = 2",
    ]
    assert [n[0] for n in tr.notes] == [1, 3] and not tr.errors
    assert [e[1] for e in translate("files = !ls\n%pip install x\n%run other.py").errors] == [
        "shell command `files = !ls` in a step",
        "`%pip` installs packages at run time",
        "magic `%run` has no equivalent in a pipeline step",
    ]
    timed = translate("%%time\nx = 1\n")
    assert timed.emitted == "# workbench: was `%%time`\nx = 1\n" and not timed.errors
    assert (
        translate("%%bash\nls\n").errors[0][1]
        == "cell magic `%%bash` cannot run in a pipeline step"
    )


def test_indent_leaves_multiline_strings_alone() -> None:
    source = 'q = """\nSELECT 1\n"""\nif q:\n    y = f"""a\n{q}"""\n'
    lines = indent_code(source)
    assert lines == ['    q = """', "SELECT 1", '"""', "    if q:", '        y = f"""a', '{q}"""']
    namespace: dict[str, object] = {}
    exec("def f():\n" + "\n".join(lines) + "\n    return q, y\nresult = f()", namespace)
    plain: dict[str, object] = {}
    exec(source, plain)
    assert namespace["result"] == (plain["q"], plain["y"])


def test_imports_are_grouped_and_merged() -> None:
    assert render_imports(
        ["import workbench.data as wb", "from sklearn.metrics import f1_score", "import os",
         "from sklearn.metrics import accuracy_score", "from steps.p._helpers import h"]
    ) == [
        "import os",
        "",
        "from sklearn.metrics import accuracy_score, f1_score",
        "",
        "import workbench.data as wb",
        "",
        "from steps.p._helpers import h",
    ]  # fmt: skip


def test_topological_order_follows_notebook_order_and_finds_cycles() -> None:
    order, stuck = topological_order(["a", "b", "c", "d"], [("a", "c"), ("d", "b")])
    assert order == ["a", "c", "d", "b"] and stuck == []
    assert topological_order(["a", "b", "c"], [("a", "b"), ("b", "a")])[1] == ["a", "b"]


def test_definite_bindings_exclude_branches_and_loops() -> None:
    u = usage(
        "a = 1\nif a:\n    b = 2\nfor c in []:\n    d = 3\nwhile False:\n    e = 4\n"
        "try:\n    f = 5\nexcept ValueError as g:\n    pass\nwith open('x') as h:\n    i = 6"
    )
    assert u.definite == {"a", "h", "i"}
    assert set(u.writes) == {"a", "b", "c", "d", "e", "f", "g", "h", "i"}
