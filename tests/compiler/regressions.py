"""Regression notebooks for the divergences found by running productionize on notebooks written
outside this project (issue 10, item 3). Each one, on the compiler before the fix, compiled and
then either computed different values from the notebook or crashed at run time.

Every notebook is in a different domain and keeps to idioms seen in the wild (Kaggle kernels,
simulation code, small utilities next to the notebook).
"""

from __future__ import annotations

from .notebooks import Cell

# Estimators refitted in a loop in a later step: the loop variable is the dict's value.
LOOP_REFIT: list[Cell] = [
    (["parameters"], "n_rows = 120\nseed = 3"),
    (
        ["imports"],
        "import numpy as np\nfrom sklearn.linear_model import Lasso, Ridge\n"
        "from sklearn.tree import DecisionTreeRegressor",
    ),
    (
        ["step:make_data"],
        "rng = np.random.default_rng(seed)\nX = rng.normal(size=(n_rows, 4))\n"
        "y = X @ np.array([1.5, -2.0, 0.5, 0.0]) + rng.normal(scale=0.1, size=n_rows)",
    ),
    (
        ["step:define"],
        'models = {"ridge": Ridge(alpha=1.0), "lasso": Lasso(alpha=0.05),\n'
        '          "tree": DecisionTreeRegressor(max_depth=3, random_state=0)}\n'
        "extra = [Ridge(alpha=10.0)]",
    ),
    (
        ["step:train"],
        "for name, m in models.items():\n    m.fit(X, y)\nfor est in extra:\n    est.fit(X, y)",
    ),
    (
        ["step:score"],
        "scores = {name: round(float(m.score(X, y)), 10) for name, m in models.items()}\n"
        "extra_score = round(float(extra[0].score(X, y)), 10)",
    ),
    (["pipeline-metrics"], "print(scores, extra_score)"),
]

# Kaggle's Titanic idiom: a list of the frames, changed through the loop variable.
COMBINE: list[Cell] = [
    (["imports"], "import pandas as pd"),
    (
        ["step:load"],
        "train_df = pd.DataFrame({'Name': ['Braund, Mr. Owen', 'Cumings, Mrs. John',\n"
        "                                  'Heikkinen, Miss. Laina', 'Allen, Mr. William'],\n"
        "                         'Sex': ['male', 'female', 'female', 'male'],\n"
        "                         'Survived': [0, 1, 1, 0]})\n"
        "test_df = pd.DataFrame({'Name': ['Kelly, Mr. James', 'Wilkes, Mrs. James'],\n"
        "                        'Sex': ['male', 'female']})\n"
        "combine = [train_df, test_df]",
    ),
    (
        ["step:titles"],
        "for dataset in combine:\n"
        "    dataset['Title'] = dataset['Name'].str.extract(r' ([A-Za-z]+)\\.', expand=False)\n"
        "    dataset['Sex'] = dataset['Sex'].map({'female': 1, 'male': 0}).astype(int)",
    ),
    (
        ["step:summary"],
        "title_counts = train_df['Title'].value_counts().sort_index().to_dict()\n"
        "test_titles = sorted(test_df['Title'].unique())\n"
        "n_cols = [d.shape[1] for d in combine]",
    ),
    (["pipeline-metrics"], "print(title_counts, test_titles, n_cols)"),
]

# An object's own method, heapq, bisect, np.fill_diagonal and random.shuffle change their
# argument or receiver: a job scheduler.
METHODS: list[Cell] = [
    (["imports"], "import bisect\nimport heapq\nimport random\n\nimport numpy as np"),
    (
        ["functions"],
        "class AuditLog:\n    def __init__(self):\n        self.entries = []\n\n"
        "    def record(self, message):\n        self.entries.append(message)",
    ),
    (
        ["step:setup"],
        "log = AuditLog()\njobs = [(5, 'backup'), (1, 'deploy'), (3, 'test')]\n"
        "deadlines = [10, 20, 40]\ndistance = np.ones((4, 4))\ndeck = list(range(10))",
    ),
    (
        ["step:schedule"],
        "heapq.heapify(jobs)\nheapq.heappush(jobs, (2, 'lint'))\nbisect.insort(deadlines, 25)\n"
        "np.fill_diagonal(distance, 0.0)\nrandom.Random(5).shuffle(deck)\n"
        "log.record('scheduled')",
    ),
    (
        ["step:report"],
        "first = jobs[0]\nqueue = list(jobs)\nnext_deadlines = list(deadlines)\n"
        "total_distance = float(distance.sum())\ntop = deck[:3]\nentries = list(log.entries)",
    ),
    (["pipeline-metrics"], "print(first, queue, next_deadlines, total_distance, top, entries)"),
]

# A helper given the frame it changes as a keyword argument: building energy use.
KEYWORD_HELPER: list[Cell] = [
    (["imports"], "import pandas as pd"),
    (
        ["functions"],
        "def add_intensity(frame, *, factor=1.0):\n"
        "    frame['kwh_per_m2'] = frame['kwh'] / frame['area'] * factor\n"
        "    frame.drop(columns=['area'], inplace=True)\n\n\n"
        "def tag_sites(sites, label):\n    sites['label'] = label",
    ),
    (
        ["step:load"],
        "df = pd.DataFrame({'site': ['a', 'b', 'c'], 'kwh': [1200.0, 800.0, 450.0],\n"
        "                   'area': [300.0, 200.0, 90.0]})",
    ),
    (["step:enrich"], "add_intensity(frame=df, factor=2.0)\ntag_sites(label='q1', sites=df)"),
    (["step:report"], "result = df.round(6)\ncolumns = list(df.columns)"),
    (["pipeline-metrics"], "print(result, columns)"),
]

# Every draw from a numpy Generator advances it, whatever the method: insurance claims.
GENERATOR_DRAWS: list[Cell] = [
    (["parameters"], "seed = 11"),
    (["imports"], "import numpy as np"),
    (["step:init"], "rng = np.random.default_rng(seed)"),
    (
        ["step:claims"],
        "sizes = rng.lognormal(mean=7.0, sigma=1.0, size=5)\nrates = rng.beta(2.0, 5.0, size=5)",
    ),
    (
        ["step:delays"],
        "waits = rng.gamma(2.0, 3.0, size=5)\njitter = rng.random(3)\n"
        "picked = rng.geometric(0.3, size=2)",
    ),
    (["pipeline-metrics"], "print(sizes, rates, waits, jitter, picked)"),
]

# A generator and a counter living in a functions cell, used by two steps: ticketing.
HELPER_STATE: list[Cell] = [
    (["imports"], "import itertools\n\nimport numpy as np"),
    (
        ["functions"],
        "RNG = np.random.default_rng(0)\nTICKETS = itertools.count(1000)\n\n\n"
        "def next_ticket():\n    return next(TICKETS)\n\n\n"
        "def noise(n):\n    return RNG.normal(size=n)",
    ),
    (["step:first"], "t1 = next_ticket()\ne1 = noise(2)"),
    (["step:second"], "t2 = next_ticket()\ne2 = noise(2)"),
]

# Global library state set in one step and relied on later: a sensor-calibration notebook.
GLOBAL_STATE: list[Cell] = [
    (["parameters"], "seed = 5"),
    (
        ["imports"],
        "import random\n\nimport matplotlib\nimport numpy as np\nimport pandas as pd\n"
        "import sklearn\nfrom sklearn.preprocessing import StandardScaler",
    ),
    (
        ["step:configure"],
        "sklearn.set_config(transform_output='pandas')\npd.set_option('display.precision', 2)\n"
        "np.set_printoptions(precision=2)\nnp.random.seed(seed)\nrandom.seed(seed)\n"
        "matplotlib.rcParams['lines.linewidth'] = 3.5",
    ),
    (
        ["step:scale"],
        "readings = pd.DataFrame({'temp': [20.1, 22.4, 19.8, 25.0], 'hum': [0.3, 0.5, 0.4, 0.6]})\n"
        "scaled = StandardScaler().fit_transform(readings)\nkind = type(scaled).__name__",
    ),
    (
        ["step:show"],
        "array_text = repr(np.array([1.23456, 2.34567]))\n"
        "frame_text = str(pd.DataFrame({'a': [1.23456]}))\n"
        "noise = np.random.rand(3)\npick = random.random()\n"
        "width = float(matplotlib.rcParams['lines.linewidth'])",
    ),
    (["pipeline-metrics"], "print(kind, array_text, frame_text, noise, pick, width)"),
]

# Seeding a global generator, drawing from it, then drawing again in a later step: cannot be
# replayed (the later step would start from the seed, the notebook from the advanced state).
GLOBAL_DRAWS: list[Cell] = [
    (["imports"], "import numpy as np"),
    (["step:warmup"], "np.random.seed(1)\nburn_in = np.random.normal(size=4)"),
    (["step:sample"], "sample = np.random.normal(size=3)"),
]

# A function defined in one step, called in a later one after a global it reads was rebound.
REBOUND_GLOBAL: list[Cell] = [
    (["step:define"], "cutoff = 0.5\n\n\ndef label(p):\n    return int(p > cutoff)"),
    (["step:tune"], "cutoff = 0.7"),
    (["step:apply"], "labels = [label(p) for p in [0.4, 0.6, 0.8]]"),
]

# `global counter` in a function defined in a step (NameError in the step function).
GLOBAL_STATEMENT: list[Cell] = [
    (
        ["step:count"],
        "counter = 0\n\n\ndef bump():\n    global counter\n    counter += 1\n\n\nbump()\nbump()",
    ),
    (["step:use"], "total = counter * 10"),
]

# Relative paths and a local module next to the notebook: smart-meter readings.
WORKDIR: list[Cell] = [
    (["imports"], "import json\n\nimport pandas as pd\nfrom meter_utils import daily_kwh"),
    (
        ["step:load"],
        "raw = pd.read_csv('../data/meters.csv')\n"
        "with open('tariffs.json') as f:\n    tariffs = json.load(f)",
    ),
    (
        ["step:daily"],
        "daily = daily_kwh(raw)\ncost = round(float(daily.sum()) * tariffs['day'], 6)",
    ),
    (["pipeline-metrics"], "print(daily, cost)"),
]
WORKDIR_FILES = {
    "data/meters.csv": "day,kwh\n1,3.5\n1,1.25\n2,4.0\n3,0.5\n3,2.0\n",
    "notebooks/tariffs.json": '{"day": 0.31}\n',
    "notebooks/meter_utils.py": (
        '"""Helpers the notebook imports from its own folder."""\n\n\n'
        "def daily_kwh(frame):\n    return frame.groupby('day')['kwh'].sum()\n"
    ),
}

# IPython in step code, and a generator crossing a step boundary: refused, naming the cell.
IPYTHON_CALL: list[Cell] = [
    (["step:a"], "x = 1"),
    (["step:b"], "ip = get_ipython()\ny = x + 1"),
]
GENERATOR_VALUE: list[Cell] = [
    (["step:produce"], "batches = (list(range(i, i + 2)) for i in range(0, 6, 2))"),
    (["step:consume"], "first = next(batches)"),
]

# Assignment targets that read names besides their base: `decimal.getcontext().prec = 6` (library
# state hung on a call; `decimal` was never imported by the step: NameError) and a nested key
# `grid[row][col] = v` (row from an earlier step was not an input: NameError): a ledger.
TARGET_READS: list[Cell] = [
    (["imports"], "import decimal\nfrom decimal import Decimal"),
    (["step:setup"], "decimal.getcontext().prec = 6\nrow = 'q1'\ngrid = {'q1': {}, 'q2': {}}"),
    (["step:book"], "grid[row]['rent'] = Decimal(1200) / Decimal(7)"),
    (["step:close"], "third = Decimal(1) / Decimal(3)\nrent = str(grid['q1']['rent'])"),
    (["pipeline-metrics"], "print(third, rent)"),
]

# A file one step writes and a later step reads, with nothing ordering them: the runner started
# `stats` first; where the notebook had run it read the file the notebook left (verified), on a
# clean checkout it failed. Weather stations, the CSV next to the notebook.
SHARED_FILE: list[Cell] = [
    (["parameters"], "path = 'stations.csv'"),
    (["imports"], "import pandas as pd"),
    (["step:read"], "obs = pd.read_csv(path, parse_dates=['date']).set_index('date').sort_index()"),
    (["step:clean"], "obs['temp'] = obs['temp'].interpolate()\nobs.to_csv('clean_obs.csv')"),
    (
        ["step:stats"],
        "again = pd.read_csv('clean_obs.csv', index_col='date', parse_dates=True)\n"
        "means = again.groupby('station')['temp'].mean().round(4).to_dict()",
    ),
    (["pipeline-metrics"], "print(means)"),
]
SHARED_FILE_FILES = {
    "notebooks/stations.csv": (
        "date,station,temp\n2025-01-03,A,1.5\n2025-01-01,A,0.5\n2025-01-02,A,\n"
        "2025-01-01,B,-2.0\n2025-01-02,B,-1.0\n2025-01-03,B,\n"
    ),
}
