"""Notebooks the compiler tests build: different domains, tag layouts and tricky code."""

from __future__ import annotations

from pathlib import Path

import nbformat

Cell = tuple[list[str], str]


def build(cells: list[Cell], markdown_every: int = 0) -> nbformat.NotebookNode:
    """A notebook from (tags, source) pairs; ids are stable (cell-0, cell-1, ...)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for number, (tags, source) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source)
        cell["id"] = f"cell-{number}"
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# Parallel branches, helpers (one mutating its argument), parameters, imports in odd places,
# IPython magics, a multi-line string, a name redefined by a later step, in-place mutation.
RICH: list[Cell] = [
    (["parameters"], 'n = 40\nseed = 7\nscale = 2.5\nlabel = "run"\nweights = [1, 2, 3]'),
    (["imports"], "import numpy as np"),
    (
        ["functions"],
        "OFFSET = 3\n\n\ndef normalize(a):\n    return (a - a.mean()) / a.std()\n\n\n"
        "def clip_below(arr, lo):\n    # changes its argument in place\n    arr[arr < lo] = lo\n",
    ),
    (
        ["step:make"],
        "%matplotlib inline\nrng = np.random.default_rng(seed)\ndata = rng.normal(size=n) * scale\n"
        "import pandas as pd  # an import in a step cell, used by later steps",
    ),
    ([], "# an untagged cell joins step make\nnotes = ['made']"),
    (["skip"], "data.mean()\ndata[:3]"),
    (["step:left"], "left = normalize(data)\nleft_sum = float(np.round(left.sum(), 6))"),
    (
        ["step:right"],
        "import math\nright = np.sort(data)[: n // 2]\nright_max = math.floor(right.max() * 100)\n"
        "query = '''\nSELECT *\n  FROM t\n'''",
    ),
    (
        ["step:mutate", "after:left"],
        "clip_below(data, 0.0)\ndata[:2] = OFFSET\nnotes.append('mutated')\n"
        "weighted = [w * 2 for w in weights]",
    ),
    (
        ["step:combine"],
        "frame = pd.DataFrame({'data': data[:10], 'w': [float(i) for i in range(10)]})\n"
        "frame.loc[frame['w'] > 7, 'w'] = np.nan\nframe.dropna(inplace=True)\n"
        "total = float(frame['data'].sum())\n"
        "if frame.empty:\n    weighted = []  # bound only in a branch that does not run",
    ),
    (
        ["step:report"],
        "summary = {'left': left_sum, 'right': right_max, 'total': total, 'label': label,\n"
        "           'notes': list(notes), 'query': query, 'weighted': weighted}\n"
        "left_sum = left_sum + 1  # redefined by a later step",
    ),
    (["step:final"], "final = (left_sum, len(summary), frame.shape)\nprint(final)"),
]

# Kale's tag spellings and layout: an `imports` cell, pipeline-parameters, block:/prev:,
# parallel blocks, a pipeline-metrics cell; text processing instead of ML.
KALE: list[Cell] = [
    (["imports"], "import re\nfrom collections import Counter"),
    (["pipeline-parameters"], "min_len = 3\ntop_k = 5"),
    (
        ["functions"],
        "def tokens(text, min_len):\n    return [w for w in re.findall(r'[a-z]+', text.lower())"
        " if len(w) >= min_len]",
    ),
    (
        ["block:load_text"],
        "text = '''It was the best of times, it was the worst of times,\n"
        "it was the age of wisdom, it was the age of foolishness'''\nlines = text.splitlines()",
    ),
    (["block:tokenize", "prev:load_text"], "words = tokens(text, min_len)"),
    ([], "words = [w for w in words if w != 'was']"),
    (["block:count", "prev:tokenize"], "counts = Counter(words)\ntop = counts.most_common(top_k)"),
    (
        ["block:stats", "prev:tokenize"],
        "vocab_size = len(set(words))\nmean_len = sum(map(len, words)) / len(words)",
    ),
    (["skip"], "print(top)"),
    (["pipeline-metrics"], "print(vocab_size)\nprint(mean_len)"),
]

# No imports cell (imports sit untagged at the top and inside steps), a %%time cell,
# a class defined in a step and passed on, a generator and a dict comprehension.
INVENTORY: list[Cell] = [
    ([], "import random\nfrom dataclasses import dataclass"),
    (["parameters"], "days = 30\nreorder_at = 20\nstart_stock = 50"),
    (
        ["step:simulate"],
        "%%time\nrandom.seed(11)\ndemand = [random.randint(0, 9) for _ in range(days)]\n",
    ),
    (
        ["step:stock"],
        "@dataclass\nclass Level:\n    day: int\n    units: int\n\n"
        "levels, units = [], start_stock\nfor day, d in enumerate(demand):\n"
        "    units = units - d if units >= d else 0\n    if units < reorder_at:\n"
        "        units += 40\n    levels.append(Level(day, units))",
    ),
    (
        ["step:summary"],
        "%time low = min(l.units for l in levels)\nby_week = {w: sum(demand[w * 7:(w + 1) * 7]) "
        "for w in range(days // 7)}\nlast = levels[-1]",
    ),
]
