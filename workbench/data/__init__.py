"""Load and save pandas DataFrames: local files, object storage (fsspec) and SQL (SQLAlchemy).

import workbench.data as wbdata
df = wbdata.load("data/raw/breast_cancer.csv")        # relative to the project root
wbdata.save(df, "s3://bucket/clean.parquet")
"""

from workbench.data.io import load, save

__all__ = ["load", "save"]
