"""The server extension's handlers, authenticated like every Jupyter server handler.

GET  /workbench/pipeline?path=NB   the pipeline NB compiles to (workbench.lab.analysis)
POST /workbench/jobs               {"action": productionize|verify|run, "path": NB} -> a job
GET  /workbench/jobs/ID?since=N    the job's state and its output lines from N on

`path` is relative to the server's root folder, as JupyterLab names files. A client's mistake
(unknown file, a path outside the root, an unknown action) is a 4xx with a message; a notebook
that does not compile is a 200 whose diagnostics say why.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from workbench.lab.jobs import ACTIONS, JobRegistry

REGISTRY_KEY = "workbench_jobs"


class _Base(APIHandler):
    def notebook_path(self, path: str | None) -> tuple[Path, Path]:
        """(the notebook file, its project root); 4xx for a path the client got wrong."""
        from workbench.core.settings import find_project_root

        if not path:
            raise tornado.web.HTTPError(400, "missing the notebook path (?path=...)")
        base = Path(self.settings["server_root_dir"]).expanduser().resolve()
        target = (base / path.lstrip("/")).resolve()
        if not target.is_relative_to(base):
            raise tornado.web.HTTPError(403, f"{path}: outside the server's root folder")
        if target.suffix != ".ipynb":
            raise tornado.web.HTTPError(400, f"{path}: not a notebook (.ipynb)")
        if not target.is_file():
            raise tornado.web.HTTPError(404, f"{path}: no such notebook")
        return target, find_project_root(target.parent)

    def registry(self) -> JobRegistry:
        registry = self.settings.get(REGISTRY_KEY)
        if registry is None:
            registry = self.settings[REGISTRY_KEY] = JobRegistry()
        return registry

    def reply(self, body: dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(body))


class PipelineHandler(_Base):
    @tornado.web.authenticated
    async def get(self) -> None:
        from workbench.lab.analysis import analyse_notebook, failure

        notebook, root = self.notebook_path(self.get_query_argument("path", None))
        try:
            body = await asyncio.to_thread(analyse_notebook, notebook, root)
        except Exception as exc:  # a compiler bug on this notebook: shown in the panel, no 500
            self.log.exception("workbench.lab: analysing %s failed", notebook)
            body = failure(notebook, root, exc)
        self.reply(body)


class JobsHandler(_Base):
    @tornado.web.authenticated
    async def post(self) -> None:
        from workbench.compiler import CompileError, notebook_label, pipeline_name

        try:
            request = json.loads(self.request.body or b"{}")
        except ValueError as exc:
            raise tornado.web.HTTPError(400, f"the body is not JSON: {exc}") from exc
        if not isinstance(request, dict):
            raise tornado.web.HTTPError(400, 'the body must be {"action": ..., "path": ...}')
        action = request.get("action")
        if action not in ACTIONS:
            raise tornado.web.HTTPError(400, f"action must be one of {', '.join(ACTIONS)}")
        notebook, root = self.notebook_path(request.get("path"))
        label = notebook_label(notebook, root)
        try:
            pipeline = pipeline_name(notebook, None)
        except CompileError as exc:
            raise tornado.web.HTTPError(400, str(exc)) from exc
        registry = self.registry()
        running = registry.running_for(label)
        if running is not None:
            raise tornado.web.HTTPError(409, f"{running.action} is still running on {label}")
        job = await registry.start(action, label, pipeline, root)
        self.reply(job.as_json(), status=201)


class JobHandler(_Base):
    @tornado.web.authenticated
    def get(self, job_id: str) -> None:
        job = self.registry().jobs.get(job_id)
        if job is None:
            raise tornado.web.HTTPError(404, f"no job {job_id}")
        try:
            since = int(self.get_query_argument("since", "0"))
        except ValueError as exc:
            raise tornado.web.HTTPError(400, "since must be a whole number") from exc
        self.reply(job.as_json(max(0, since)))


def setup_handlers(web_app: Any) -> None:
    base = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "workbench", "pipeline"), PipelineHandler),
            (url_path_join(base, "workbench", "jobs"), JobsHandler),
            (url_path_join(base, "workbench", "jobs", r"(\d+)"), JobHandler),
        ],
    )
