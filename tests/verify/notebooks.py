"""Notebooks in other domains for `productionize --verify`: some the pipeline reproduces, some
it cannot, each for a reason only execution shows."""

from __future__ import annotations

from tests.compiler.notebooks import Cell

# A regression where a library call changes the target in place through `out=`: invisible to
# the static analysis; the trace makes y an output of `clean`, and the pipeline then verifies.
OUT_PARAM: list[Cell] = [
    (["parameters"], "n = 120\nseed = 3"),
    (["imports"], "import numpy as np\nfrom sklearn.linear_model import LinearRegression"),
    (
        ["step:make"],
        "rng = np.random.default_rng(seed)\nX = rng.normal(size=(n, 3))\n"
        "y = X @ np.array([1.5, -2.0, 0.5]) + rng.normal(size=n)",
    ),
    (
        ["step:clean"],
        "np.clip(y, -1.0, None, out=y)  # changes y in place\nspread = float(X.std())",
    ),
    (["step:fit"], "model = LinearRegression().fit(X, y)\nr2 = float(model.score(X, y))"),
    ([], "print(round(r2, 4), spread)"),
]

# A time series whose smoothing window is process state (an environment variable) set by one
# step, through a function the step defines and calls (so the compiler's replay of top-level
# library-state statements does not see it), and read by the next: separate step processes do
# not share it.
ENV_STATE: list[Cell] = [
    (["parameters"], "days = 60"),
    (["imports"], "import os\nimport numpy as np\nimport pandas as pd"),
    (
        ["step:load"],
        'idx = pd.DatetimeIndex(pd.date_range("2024-01-01", periods=days, freq="D"), freq=None)\n'
        'sales = pd.Series(np.arange(days) % 7 * 10.0 + 100.0, index=idx, name="sales")\n'
        "def configure():\n"
        '    os.environ["WB_TEST_SMOOTHING"] = "7"\n'
        "configure()",
    ),
    (
        ["step:smooth"],
        'window = int(os.environ.get("WB_TEST_SMOOTHING", "3"))\n'
        "smooth = sales.rolling(window).mean()",
    ),
    (["step:report"], "peak = float(smooth.max())\nlow = float(smooth.min())"),
]

# Kaggle's idiom on a small text table: `combine` holds the two frames, the loop adds a column
# to both through it; a later step reads train_df, which the pipeline stores apart from combine.
COMBINE: list[Cell] = [
    (["imports"], "import pandas as pd"),
    (
        ["step:load"],
        'train_df = pd.DataFrame({"text": ["good movie", "bad plot", "great cast here"], '
        '"label": [1, 0, 1]})\n'
        'test_df = pd.DataFrame({"text": ["dull", "fine acting"]})\n'
        "combine = [train_df, test_df]",
    ),
    (["step:features"], 'for df in combine:\n    df["length"] = df["text"].str.len()'),
    (["step:model"], 'mean_len = float(train_df["length"].mean())'),
]

# A plain, deterministic text-ish table pipeline that is fine as it is.
CLEAN: list[Cell] = [
    (["parameters"], 'min_count = 2\nlabel = "words"'),
    (["imports"], "import collections\nimport pandas as pd"),
    (
        ["functions"],
        "def tokens(text):\n    return [w.strip('.,').lower() for w in text.split()]\n",
    ),
    (
        ["step:load"],
        'docs = pd.DataFrame({"id": [3, 1, 2, 5], "text": ["A cat. A dog.", "the cat sat", '
        '"Dog, cat, bird", "a bird"]})\ndocs = docs.set_index("id")',
    ),
    (
        ["step:count"],
        "counts = collections.Counter()\nfor text in docs['text']:\n    counts.update(tokens(text))\n"
        "vocab = {w: c for w, c in sorted(counts.items()) if c >= min_count}",
    ),
    (
        ["step:table"],
        "table = pd.DataFrame({'word': list(vocab), 'count': list(vocab.values())})\n"
        "table['share'] = table['count'] / table['count'].sum()\ntop = (label, table['word'][0])",
    ),
]

# Text features: a CountVectorizer's sparse matrix and a 0-d array cross step boundaries (the
# recorder took their len(), which raises for both, and blamed the notebook), and so does the
# fitted vectorizer (its `_stop_words_id` is an id(), different in every process).
SPARSE: list[Cell] = [
    (
        ["imports"],
        "import numpy as np\nfrom sklearn.feature_extraction.text import CountVectorizer",
    ),
    (
        ["step:vectorize"],
        "texts = ['cold soup', 'great soup', 'great staff', 'cold and awful']\n"
        "vec = CountVectorizer()\ncounts = vec.fit_transform(texts)\n"
        "total = np.array(counts.sum())",
    ),
    (
        ["step:rank"],
        "ranked = np.asarray(counts.sum(axis=0)).ravel().tolist()\nn = int(total)\n"
        "words = vec.get_feature_names_out().tolist()",
    ),
]

# A fitted GridSearchCV handed to a later step: its refit_time_ and cv_results_ timings are
# wall-clock seconds, different in every run, and were reported as a divergence.
SEARCH: list[Cell] = [
    (
        ["imports"],
        "import numpy as np\nfrom sklearn.linear_model import Ridge\n"
        "from sklearn.model_selection import GridSearchCV",
    ),
    (
        ["step:search"],
        "rng = np.random.default_rng(0)\nX = rng.normal(size=(40, 3))\ny = X @ [1.0, 2.0, 0.5]\n"
        "search = GridSearchCV(Ridge(), {'alpha': [0.1, 1.0, 10.0]}, cv=3).fit(X, y)",
    ),
    (["step:evaluate"], "best = search.best_params_['alpha']\nscore = float(search.score(X, y))"),
]

# An instance of a class from a `functions` cell crossing a boundary: stored by reference to
# steps.NAME._helpers, which verification could not import when reading it (a traceback).
HELPER_OBJECT: list[Cell] = [
    (
        ["functions"],
        "class Warehouse:\n    def __init__(self, name):\n        self.name = name\n"
        "        self.stock = {}\n\n    def receive(self, sku, qty):\n"
        "        self.stock[sku] = self.stock.get(sku, 0) + qty",
    ),
    (["step:open"], "main = Warehouse('main')\nmain.receive('bolt', 100)"),
    (["step:ship"], "main.receive('bolt', -30)"),
    (["step:audit"], "left = dict(main.stock)"),
]

# A class and an enum defined in a step cell, their instances handed to later steps: each
# artifact rebuilds the `__main__` class by value, so the pipeline's class objects are never the
# notebook's (or each other's); they were reported as divergences although every value matched.
CLASSES: list[Cell] = [
    (["imports"], "import enum\nimport math"),
    (
        ["step:define"],
        "class Kind(enum.Enum):\n    CIRCLE = 1\n    SQUARE = 2\n\n\n"
        "class Shape:\n    def __init__(self, kind, size):\n        self.kind = kind\n"
        "        self.size = size\n\n    def area(self):\n"
        "        return math.pi * self.size**2 if self.kind is Kind.CIRCLE else self.size**2\n\n\n"
        "shapes = [Shape(Kind.CIRCLE, 1.0), Shape(Kind.SQUARE, 2.0)]",
    ),
    (
        ["step:measure"],
        "circles = [s for s in shapes if s.kind is Kind.CIRCLE]\n"
        "n_shapes = sum(isinstance(s, Shape) for s in shapes)\n"
        "total = round(sum(s.area() for s in shapes), 6)",
    ),
    (
        ["step:report"],
        "summary = (len(circles), n_shapes, total, circles[0].kind == Kind.CIRCLE)",
    ),
    (["pipeline-metrics"], "print(summary)"),
]

# A module the notebook writes itself (`%%writefile`) and a step imports: when productionize
# compiles, the file does not exist yet (no COPY in the Dockerfile, "no installed distribution
# provides `mathutil`"); the verifying notebook run creates it next to the notebook, so the
# chained steps import it and verification passes; the image (or a clean checkout) has no module.
WRITEFILE: list[Cell] = [
    ([], "%%writefile mathutil.py\ndef double(x):\n    return 2 * x\n"),
    (["imports"], "import numpy as np"),
    (["step:make"], "from mathutil import double\nvalues = double(np.arange(4))"),
    (["step:use"], "total = int(values.sum())"),
]

# A wine-quality style regression: the user's own `cross_validate` result (a dict of per-fold
# arrays) handed to a reporting step; its `fit_time`/`score_time` are wall-clock seconds, which
# were compared exactly and reported as a divergence.
CROSS_VALIDATE: list[Cell] = [
    (["parameters"], "folds = 4"),
    (
        ["imports"],
        "import numpy as np\nfrom sklearn.linear_model import Ridge\n"
        "from sklearn.model_selection import cross_validate",
    ),
    (
        ["step:evaluate"],
        "rng = np.random.default_rng(11)\nacidity = rng.normal(size=(80, 4))\n"
        "quality = acidity @ [0.4, -1.0, 0.2, 0.7] + rng.normal(scale=0.1, size=80)\n"
        "cv = cross_validate(Ridge(alpha=0.5), acidity, quality, cv=folds,\n"
        "                    scoring='neg_root_mean_squared_error', return_train_score=True)",
    ),
    (
        ["step:report"],
        "rmse = float(-cv['test_score'].mean())\nworst = float(-cv['test_score'].min())",
    ),
]

# A ride-sharing analysis whose helper module is written by the notebook itself (a common way
# to keep a notebook self-contained): cell 0 writes geo.py, cell 1 appends to it (`-a`), a step
# imports it; geo.py itself imports numpy, which requirements.txt must pin.
GEO_WRITEFILE: list[Cell] = [
    (
        [],
        "%%writefile geo.py\nimport numpy as np\n\nEARTH_KM = 6371.0\n\n\n"
        "def haversine(lat1, lon1, lat2, lon2):\n"
        "    p1, p2 = np.radians(lat1), np.radians(lat2)\n"
        "    dp, dl = p2 - p1, np.radians(lon2 - lon1)\n"
        "    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2\n"
        "    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))\n",
    ),
    (["skip"], "%%writefile -a geo.py\n\n\ndef fare(km):\n    return 2.5 + 1.2 * km\n"),
    (["imports"], "import pandas as pd"),
    (
        ["step:trips"],
        "trips = pd.DataFrame({'lat1': [52.52, 48.85], 'lon1': [13.40, 2.35],\n"
        "                      'lat2': [52.50, 48.86], 'lon2': [13.45, 2.29]})",
    ),
    (
        ["step:price"],
        "import geo\ntrips['km'] = geo.haversine(trips.lat1, trips.lon1, trips.lat2, trips.lon2)\n"
        "trips['fare'] = geo.fare(trips['km']).round(2)",
    ),
    (["step:summary"], "revenue = float(trips['fare'].sum())"),
]

# A clinical table "copied" by assignment (`cohort = patients`), the alias changed in a later
# step and the original read after that: one root cause, which was said four times (the
# in-place change, `cohort is patients`, `patients is cohort`, the reading step's KeyError).
ALIAS: list[Cell] = [
    (["imports"], "import pandas as pd"),
    (
        ["step:load"],
        "patients = pd.DataFrame({'id': [1, 2, 3], 'weight_kg': [70.0, 82.5, 61.0],\n"
        "                         'height_m': [1.75, 1.80, 1.62]})\n"
        "cohort = patients  # the analysis copy",
    ),
    (["step:derive"], "cohort['bmi'] = cohort['weight_kg'] / cohort['height_m'] ** 2"),
    (["step:report"], "mean_bmi = float(patients['bmi'].mean())"),
]

# MovieLens-style ratings fetched once by a cell the user tags `skip` (the download stands in
# as a write of the file), then read by a step: the pipeline never runs the skipped cell, so in
# the cluster the file is missing, while --verify passed on the copy the notebook left here.
SKIPPED_DOWNLOAD: list[Cell] = [
    (["parameters"], "min_rating = 3"),
    (["imports"], "import pandas as pd"),
    (
        ["skip"],
        "# fetch once (slow API): keep a local copy\n"
        "pd.DataFrame({'user': [1, 1, 2, 3], 'movie': [10, 11, 10, 12],\n"
        "              'rating': [4, 2, 5, 3]}).to_csv('ratings.csv', index=False)",
    ),
    (
        ["step:load"],
        "ratings = pd.read_csv('ratings.csv')\nliked = ratings[ratings.rating >= min_rating]",
    ),
    (["step:top"], "top = liked.groupby('movie').size().to_dict()"),
]

# Retail sales written and read through paths built from parameters (`Path(out_dir) / f"..."`,
# `os.path.join(out_dir, f"...")`): the file-passing check saw only literal paths, so the
# unordered reader was accepted and read the notebook's left-over file.
FILE_EXPRESSIONS: list[Cell] = [
    (["parameters"], "out_dir = 'work'\nregion = 'north'\nfold = 2"),
    (["imports"], "import os\nfrom pathlib import Path\nimport pandas as pd"),
    (
        ["step:prepare"],
        "Path(out_dir).mkdir(exist_ok=True)\n"
        "sales = pd.DataFrame({'store': [1, 2, 2, 3], 'units': [5, 7, 1, 4]})\n"
        "sales.to_csv(Path(out_dir) / f'sales_{region}_{fold:02d}.csv', index=False)",
    ),
    (
        ["step:report"],
        "again = pd.read_csv(os.path.join(out_dir, f'sales_{region}_{fold:02d}.csv'))\n"
        "total = int(again['units'].sum())",
    ),
    (["pipeline-metrics"], "print(total)"),
]
