"""Load and save pandas DataFrames: local files, object storage (fsspec) and SQL (SQLAlchemy).

import workbench.data as wbdata
df = wbdata.load("data/raw/breast_cancer.csv")        # relative to the project root
wbdata.save(df, "s3://bucket/clean.parquet")         # AWS_ENDPOINT_URL for MinIO
wbdata.save(df, "sqlite:///data/demo.db", table="clean", if_exists="replace")
df = wbdata.load("sqlite:///data/demo.db", query="select * from clean where malignant = 1")
"""

from workbench.core.errors import DataError
from workbench.data.io import load, resolve, save

__all__ = ["DataError", "load", "resolve", "save"]
