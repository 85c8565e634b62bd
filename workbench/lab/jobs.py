"""productionize, verify and pipeline run as subprocesses whose output the panel streams.

Each job is `python -m workbench ...` in the project root (the same commands a user types),
its stdout and stderr read line by line into memory; the panel polls `lines[since:]` for live
status. One running job per notebook: a second click while one runs is refused (409).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACTIONS = ("productionize", "verify", "run")
MAX_LINES = 2000  # the tail kept per job: a long pipeline log is in its step log files anyway
MAX_JOBS = 50  # finished jobs kept for the panel to read; older ones are forgotten
URL_RE = re.compile(r"https?://[^\s'\"<>]+")
# a run link as `pipeline run`'s summary prints it (workbench.runner.outcome.run_link): the
# MLflow UI's run route, after the UI's address or after "then open" for a local store
RUN_RE = re.compile(r"#/experiments/(\d+)/runs/([0-9a-f]{32})")
PIPELINE_RUN_LINE = "pipeline run in MLflow:"
_ids = itertools.count(1)
# where the run links point: the MLflow UI `workbench ui` serves (as workbench.widgets.compare)
UI_URL_ENV = "WORKBENCH_UI_URL"
DEFAULT_UI_URL = "http://127.0.0.1:5000"


def ui_url() -> str:
    return (os.environ.get(UI_URL_ENV) or DEFAULT_UI_URL).rstrip("/")


def job_argv(action: str, notebook: str, pipeline: str) -> list[str]:
    """The workbench command line of `action` (a KeyError for an unknown action)."""
    commands = {
        "productionize": ["productionize", notebook],
        "verify": ["productionize", notebook, "--verify"],
        # lineage waited for, so the pipeline's MLflow run exists and is named when it ends
        "run": ["pipeline", "run", pipeline, "--lineage", "wait"],
    }
    return [sys.executable, "-m", "workbench", *commands[action]]


@dataclass
class Job:
    id: str
    action: str
    notebook: str
    argv: list[str]
    state: str = "running"  # running | succeeded | failed
    returncode: int | None = None
    lines: list[str] = field(default_factory=list)
    dropped: int = 0  # lines dropped from the head past MAX_LINES

    def add(self, line: str) -> None:
        self.lines.append(line)
        if len(self.lines) > MAX_LINES:
            del self.lines[0]
            self.dropped += 1

    def links(self) -> dict[str, list[Any]]:
        """URLs and MLflow runs the command printed: the panel links to them, a run through
        the MLflow UI `workbench ui` serves (its run route, `#/experiments/E/runs/R`). The
        pipeline's own run (its summary's last line) comes first."""
        base = ui_url()
        runs: dict[str, dict[str, Any]] = {}
        for line in self.lines:
            for experiment, run in RUN_RE.findall(line):
                entry = runs.setdefault(
                    run, {"id": run, "url": f"{base}/#/experiments/{experiment}/runs/{run}"}
                )
                if line.startswith(PIPELINE_RUN_LINE):
                    entry["pipeline"] = True
        ordered = sorted(runs.values(), key=lambda r: not r.get("pipeline"))
        text = "\n".join(self.lines)
        found = (u.rstrip(".,);") for u in URL_RE.findall(text))
        urls = sorted(dict.fromkeys(u for u in found if not RUN_RE.search(u)))
        return {"urls": urls, "runs": ordered}

    def as_json(self, since: int = 0) -> dict[str, Any]:
        start = max(0, since - self.dropped)
        return {
            "id": self.id,
            "action": self.action,
            "notebook": self.notebook,
            "command": " ".join(["workbench", *self.argv[3:]]),
            "state": self.state,
            "returncode": self.returncode,
            "lines": self.lines[start:],
            "next": self.dropped + len(self.lines),
            "links": self.links(),
        }


class JobRegistry:
    """The jobs this server started (kept in memory, newest last)."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def running_for(self, notebook: str) -> Job | None:
        for job in self.jobs.values():
            if job.notebook == notebook and job.state == "running":
                return job
        return None

    async def start(self, action: str, notebook: str, pipeline: str, root: Path) -> Job:
        argv = job_argv(action, notebook, pipeline)
        job = Job(str(next(_ids)), action, notebook, argv)
        env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "100"}
        env["PYTHONUNBUFFERED"] = "1"
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=root,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self.jobs[job.id] = job
        finished = [k for k, j in self.jobs.items() if j.state != "running"]
        for key in finished[: max(0, len(self.jobs) - MAX_JOBS)]:
            del self.jobs[key]
        task = asyncio.create_task(self._follow(job, proc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _follow(self, job: Job, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            job.add(raw.decode("utf-8", "replace").rstrip("\n"))
        job.returncode = await proc.wait()
        job.state = "succeeded" if job.returncode == 0 else "failed"
