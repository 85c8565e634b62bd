"""Write the example raw data: scikit-learn's breast-cancer set as a lab would export it.

It ships with scikit-learn (no download). To give the notebook real preprocessing work, the export
has the lab's column labels ("Radius (mean)"), the diagnosis as "M"/"B", and about 2% of the
measurements missing in a few columns, chosen with a fixed seed so every run writes the same bytes.
"""

from __future__ import annotations

from pathlib import Path

DEMO_FILE = "raw/breast_cancer.csv"
MISSING_COLUMNS = ("Radius (mean)", "Texture (mean)", "Smoothness (worst)", "Area (error)")
MISSING_FRACTION = 0.02
SEED = 20261129


def _lab_label(feature: str) -> str:
    """'mean radius' -> 'Radius (mean)', 'radius error' -> 'Radius (error)'."""
    words = feature.split()
    if words[0] in ("mean", "worst"):
        kind, rest = words[0], words[1:]
    else:
        kind, rest = words[-1], words[:-1]
    return f"{' '.join(rest).capitalize()} ({kind})"


def build_demo_frame():  # type: ignore[no-untyped-def]  # pandas imported lazily
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    frame = pd.DataFrame(bunch.data, columns=[_lab_label(f) for f in bunch.feature_names])
    rng = np.random.default_rng(SEED)
    for column in MISSING_COLUMNS:
        rows = rng.choice(len(frame), size=int(len(frame) * MISSING_FRACTION), replace=False)
        frame.loc[rows, column] = np.nan
    # sklearn codes malignant as 0; the lab writes letters
    frame.insert(0, "Diagnosis", np.where(bunch.target == 0, "M", "B"))
    frame.insert(0, "Sample ID", [f"S{i:04d}" for i in range(len(frame))])
    return frame


def write_demo_data(data_dir: str | Path) -> Path:
    """Write `<data_dir>/raw/breast_cancer.csv` (byte-identical on every call); return its path."""
    path = Path(data_dir) / DEMO_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    build_demo_frame().to_csv(tmp, index=False, float_format="%.6g", lineterminator="\n")
    tmp.replace(path)
    return path
