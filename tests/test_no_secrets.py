"""Planted credentials never reach the MLflow store, the artifacts or `.workbench/`.

A notebook takes a database URL and an API token as parameters, prints them, logs them with
`workbench.tracking`, and (when told to) fails with both in the error message. It runs as
`workbench run` and, compiled by `workbench productionize`, as `workbench pipeline run`, each
succeeding and failing; then every byte of `mlflow.db`, `mlartifacts/`, `models/` and
`.workbench/` is scanned for the secrets in each form they could be written in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, unquote

import nbformat
import pytest

from tests.project_helpers import ISOLATED_ENV, make_project
from workbench.core.redact import is_secret_name, redact, redact_param, uri_secrets

PASSWORD = "Pa/ss w@rd%40X9"  # `/`, a space, `@` and a percent-escape: SQLAlchemy takes them all
DB_URL = f"postgresql://analyst:{PASSWORD}@127.0.0.1:9/warehouse"
TOKEN = "tok-3f9a8c7e5d1b77aa"
NEEDLES = [PASSWORD, unquote(PASSWORD), quote(PASSWORD, safe=""), "ss w@rd", TOKEN]

CELLS = [
    ("parameters", 'db_url = "sqlite:///none.db"\napi_token = "none"\nfail = 0'),
    ("imports", "import workbench.tracking as wbt"),
    (
        "step:connect",
        "print('connecting to', db_url, 'with', api_token)\n"
        "with wbt.start_run() as run:\n"
        "    run.log_params({'db_url': db_url, 'api_token': api_token})\n"
        "if fail:\n"
        "    raise RuntimeError(f'cannot reach {db_url} using {api_token}')\n"
        "size = len(db_url) + len(api_token)",
    ),
    ("step:report", "print('size', size, db_url)"),
]


def _notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for index, (tag, source) in enumerate(CELLS):
        cell = nbformat.v4.new_code_cell(source, id=f"c{index}")
        cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _workbench(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED_ENV}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _leaks(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.parts[len(root.parts)] in ("notebooks", "steps", "tests"):
            continue
        data = path.read_bytes()
        found += [f"{path.relative_to(root)}: {n!r}" for n in NEEDLES if n.encode() in data]
    return found


@pytest.mark.slow
def test_planted_passwords_are_stored_nowhere(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    _notebook(root / "notebooks" / "probe.ipynb")
    params = ["-r", "db_url", DB_URL, "-r", "api_token", TOKEN]
    ok = _workbench(root, "run", "notebooks/probe.ipynb", *params)
    assert ok.returncode == 0, ok.stderr[-2000:]
    failed = _workbench(root, "run", "notebooks/probe.ipynb", *params, "-p", "fail", "1")
    assert failed.returncode == 1 and "RuntimeError" in failed.stderr, failed.stderr[-2000:]
    assert not [n for n in NEEDLES if n in failed.stderr + failed.stdout]

    built = _workbench(root, "productionize", "notebooks/probe.ipynb")
    assert built.returncode == 0, built.stderr[-2000:]
    pipe = ["pipeline", "run", "probe", "--lineage", "wait", "-p", f"db_url={DB_URL}"]
    pipe += ["-p", f"api_token={TOKEN}"]
    ok = _workbench(root, *pipe)
    assert ok.returncode == 0, ok.stderr[-3000:]
    failed = _workbench(root, *pipe, "-p", "fail=1")
    assert failed.returncode == 1 and "RuntimeError" in failed.stderr, failed.stderr[-3000:]
    assert not [n for n in NEEDLES if n in failed.stderr + failed.stdout]

    stored = [p for p in root.rglob("*.ipynb") if ".workbench" in p.parts]
    assert len(stored) == 2  # the executed notebooks were kept, masked
    cells = json.loads(stored[0].read_text())["cells"]
    injected = next(c for c in cells if "injected-parameters" in c["metadata"]["tags"])
    assert "postgresql://analyst:***@127.0.0.1:9/warehouse" in "".join(injected["source"])
    assert (root / "mlflow.db").is_file() and any((root / "mlartifacts").rglob("*.ipynb"))
    assert _leaks(root) == []


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql://u:p/w d@h:5432/db",
        "postgresql+psycopg://u:p@ss@h/db?sslmode=require",
        "mysql+pymysql://root:S3cr%2Fet@h/d",
        "mssql+pyodbc://u:se cret@dsn",
        "https://h/x?X-Amz-Signature=abcdef&sig=zzz123",
    ],
)
def test_uri_passwords_are_masked_in_text_and_params(uri: str) -> None:
    secrets = uri_secrets(uri)
    assert secrets
    for shown in (redact(f"error: cannot reach {uri} now"), redact_param("db_url", uri)):
        assert not [s for s in secrets if s in shown], shown
    assert redact_param("C", "0.5") == "0.5"


def test_secret_names_are_recognised_without_catching_ordinary_ones() -> None:
    secret = ["db_password", "hf_token", "api_key", "apiKey", "aws_secret_access_key", "key"]
    plain = ["max_tokens", "sort_key", "C", "data_path", "author", "db_url", "keyword"]
    assert all(map(is_secret_name, secret))
    assert not any(map(is_secret_name, plain))
    assert redact_param("hf_token", "abc") == "***"
    assert redact_param("dsn", "Server=x;Password=hunter22;Db=y") == "Server=x;Password=***;Db=y"
