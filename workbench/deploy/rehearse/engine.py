"""Run a built WorkflowTemplate's DAG here, pod by pod, as the manifests say.

For each task, in dependency order: arguments substituted (memoization key evaluated from the
manifest's own expression), input artifacts downloaded from the S3 keys their producers wrote,
the container started by `sandbox` as its non-root uid with only the image and the pod's
environment, output artifacts uploaded unarchived to their keys, output parameters read from
their files. The first failing pod stops the rehearsal with a diagnosis (`diagnose`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core import clock
from workbench.core.errors import WorkbenchError
from workbench.deploy.rehearse import dag, podspec, sandbox
from workbench.deploy.rehearse.diagnose import explain
from workbench.deploy.rehearse.expr import Scope, substitute
from workbench.deploy.rehearse.workflow import templates_by_name


@dataclass
class PodResult:
    task: str
    template: str
    memo_key: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)  # name -> s3 key
    log: Path | None = None
    seconds: float = 0.0
    started: float = 0.0  # wall clock (clock.now()): when the pod's command started


@dataclass(frozen=True)
class PodImage:
    """An image other than the steps image (the deploy task's), as its pods see it."""

    env: Mapping[str, str]
    user: str
    app: Path  # host folder bound read-only at the image's /app
    venv: Path  # all its pip layers
    workdir: str
    hidden: tuple[str, ...] = ()  # /usr/bin programs of packages it does not install
    packages: str = ""  # where its packages come from, for a missing import's diagnosis


@dataclass(frozen=True)
class Cluster:
    """What every pod of one rehearsal shares."""

    workdir: Path
    image_env: Mapping[str, str]
    image_user: str
    app: Path  # host folder bound read-only at the image's /app
    venv: Path  # the step templates' packages: requirements.txt only (stricter than the image)
    image_venv: Path  # every other template's: all the image's layers
    workdir_default: str
    config_maps: Mapping[str, Mapping[str, str]]
    secrets: Mapping[str, Mapping[str, str]]
    endpoints: Mapping[str, str]
    bucket: str
    s3: Any  # an fsspec S3 filesystem on the rehearsal's server
    pipeline: str
    pvcs: Path  # the claims' folders, shared by every workflow on these services
    hidden: tuple[str, ...] = ()  # the steps image's hidden /usr/bin programs
    images: Mapping[str, PodImage] = field(default_factory=dict)  # untagged name -> other images


STEP_PREFIX = "step-"  # Names.step_template


def untagged(image: str) -> str:
    """`repo/name:tag` or `repo/name@sha256:...` -> `repo/name` (a registry port stays)."""
    name = image.split("@", 1)[0]
    head, sep, tail = name.rpartition(":")
    return head if sep and "/" not in tail else name


def workflow_name(template: Mapping[str, Any]) -> str:
    """A submitted workflow's name: `generateName` (the template's) plus 5 characters."""
    return f"{template['metadata']['name']}-{uuid.uuid4().hex[:5]}"


def run_workflow(
    template: Mapping[str, Any],
    parameters: Mapping[str, str],
    cluster: Cluster,
    name: str | None = None,
) -> list[PodResult]:
    spec = template["spec"]
    templates = templates_by_name(template)
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    name = name or workflow_name(template)
    flat = {f"workflow.parameters.{k}": v for k, v in parameters.items()}
    flat.update({"workflow.name": name, "workflow.uid": str(uuid.uuid4())})
    entry = templates[spec["entrypoint"]]
    if "dag" not in entry:
        raise WorkbenchError(f"entrypoint {spec['entrypoint']}: only a DAG entrypoint is modelled")
    results: list[PodResult] = []
    try:
        _run_dag(entry, templates, flat, spec, volumes, cluster, results)
    except WorkbenchError as exc:
        # the exit handler runs whatever the DAG did (it ends the pipeline's MLflow run); the
        # failing step stays the error reported
        try:
            _on_exit(spec, templates, flat, "Failed", volumes, cluster, results)
        except WorkbenchError as also:
            exc.add_note(f"and the onExit handler failed too: {also}")
        raise
    _on_exit(spec, templates, flat, "Succeeded", volumes, cluster, results)
    return results


def _on_exit(spec, templates, flat, status, volumes, cluster, results) -> None:  # type: ignore[no-untyped-def]
    """Argo's `onExit` template, with `{{workflow.status}}` set."""
    if not spec.get("onExit"):
        return
    handler = dag.TaskRun(task="onExit", name="onExit", template=spec["onExit"], arguments={})
    scope = Scope({**flat, "workflow.status": status}, {})
    results.append(_run_pod(handler, templates[spec["onExit"]], scope, spec, volumes, cluster,
                            len(results)))  # fmt: skip


def _run_dag(entry, templates, flat, spec, volumes, cluster, results) -> None:  # type: ignore[no-untyped-def]
    outputs: dict[str, dict[str, str]] = {}  # task -> {"parameters.X": v, "artifacts.X": key}
    for task in dag.order(entry["dag"]["tasks"]):
        scope = Scope(flat, outputs)
        with_param = task.get("withParam")
        if with_param is not None:
            with_param = substitute(str(with_param), scope, f"task {task['name']} withParam")
        if "withSequence" in task:
            where = f"task {task['name']} withSequence count"
            count = substitute(str(task["withSequence"]["count"]), scope, where)
            runs = dag.sequence(task, count)
        else:
            runs = dag.expand(task, with_param)
        first = len(results)
        found = _run_items(runs, templates, flat, outputs, spec, volumes, cluster, first,
                           entry.get("parallelism"))  # fmt: skip
        for result in found:
            results.append(result)
            merged = outputs.setdefault(result.task, {})
            merged.update({f"parameters.{k}": v for k, v in result.parameters.items()})
            merged.update({f"artifacts.{k}": v for k, v in result.artifacts.items()})


def _run_items(runs, templates, flat, outputs, spec, volumes, cluster, first, parallelism):  # type: ignore[no-untyped-def]
    """The pods of one task: a fan-out's items at once, as Argo starts them (up to the DAG's
    `parallelism`), so items sharing state (one Optuna study) meet as they do in the cluster.
    Results in item order; the first failing item (by index) is the error reported."""

    def one(i: int, run: dag.TaskRun) -> PodResult:
        return _run_pod(run, templates[run.template], Scope({**flat, **run.scope()}, outputs),
                        spec, volumes, cluster, first + i)  # fmt: skip

    if len(runs) <= 1:
        return [one(i, run) for i, run in enumerate(runs)]
    width = min(len(runs), int(parallelism or len(runs)))
    with ThreadPoolExecutor(max_workers=width) as pool:
        futures = [pool.submit(one, i, run) for i, run in enumerate(runs)]
        wait(futures)
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return [f.result() for f in futures]


def _run_pod(
    run: dag.TaskRun,
    tpl: Mapping[str, Any],
    scope: Scope,
    spec: Mapping[str, Any],
    volumes: Mapping[str, Mapping[str, Any]],
    cluster: Cluster,
    index: int,
) -> PodResult:
    where = f"task {run.name} (template {run.template})"
    args = run.arguments
    inputs = {
        p["name"]: substitute(str(p.get("value", "")), scope, f"{where} argument {p['name']}")
        for p in args.get("parameters", [])
    }
    wanted = [p["name"] for p in tpl.get("inputs", {}).get("parameters", [])]
    missing = [n for n in wanted if n not in inputs]
    if missing:
        raise WorkbenchError(f"{where}: input parameter(s) {missing} get no argument")
    local = dict(scope.flat)
    local.update({f"inputs.parameters.{k}": v for k, v in inputs.items()})
    local["pod.name"] = f"{local['workflow.name']}-{run.template}-{index}"
    pod_scope = Scope(local, scope.tasks)
    result = PodResult(task=run.task, template=run.template)
    if "memoize" in tpl:
        result.memo_key = substitute(str(tpl["memoize"]["key"]), pod_scope, f"{where} memoize")
    container = tpl["container"]
    pod_dir = cluster.workdir / "pods" / f"{index:02d}-{run.template}"
    shutil.rmtree(pod_dir, ignore_errors=True)
    uid, gid = podspec.user(spec, container, cluster.image_user)
    table = podspec.mounts(container, volumes, pod_dir / "volumes", cluster.pvcs)
    for host in table.values():
        host.mkdir(parents=True, exist_ok=True)
        os.chown(host, uid, gid)
    _download_inputs(tpl, args, scope, table, cluster, where, uid, gid)
    image = cluster.images.get(untagged(str(container.get("image", ""))))
    if image is None:  # the steps image
        venv = cluster.venv if run.template.startswith(STEP_PREFIX) else cluster.image_venv
        image = PodImage(cluster.image_env, cluster.image_user, cluster.app, venv,
                         cluster.workdir_default, cluster.hidden)  # fmt: skip
    env = podspec.environment(container, image.env, cluster.config_maps,
                              cluster.secrets, cluster.endpoints, pod_scope, where)  # fmt: skip
    declared = {e["name"] for e in container.get("env", [])}
    argv = [podspec.expand(substitute(str(a), pod_scope, where), env, declared)
            for a in [*container.get("command", []), *container.get("args", [])]]  # fmt: skip
    env["PATH"] = f"{image.venv}/bin:{env.get('PATH', '')}".rstrip(":")
    pod = sandbox.Pod(
        root=pod_dir / "root",
        readonly={"/app": image.app, str(image.venv): image.venv},
        writable=table,
        uid=uid,
        gid=gid,
        workdir=str(container.get("workingDir") or image.workdir),
        env=env,
        argv=argv,
        hidden=image.hidden,
    )
    result.log = cluster.workdir / "logs" / f"{index:02d}-{run.name.split('(')[0]}.log"
    result.log.parent.mkdir(parents=True, exist_ok=True)
    started = clock.monotonic()
    result.started = clock.now()
    proc = sandbox.start(pod, result.log)
    deadline = float(tpl.get("activeDeadlineSeconds") or 3600)
    try:
        code = proc.wait(timeout=deadline)
    except Exception:
        proc.kill()
        proc.wait()
        raise
    result.seconds = clock.monotonic() - started
    if code != 0:
        raise WorkbenchError(
            explain(run.name, cluster.pipeline, code, result.log, table, image.packages)
        )
    _collect_outputs(tpl, pod_scope, table, cluster, result, where)
    return result


def _download_inputs(tpl, args, scope, table, cluster, where, uid, gid) -> None:  # type: ignore[no-untyped-def]
    given = {a["name"]: a for a in args.get("artifacts", [])}
    for art in tpl.get("inputs", {}).get("artifacts", []):
        source = given.get(art["name"])
        if source is None:
            raise WorkbenchError(f"{where}: input artifact {art['name']} gets no argument")
        key = substitute(str(source["from"]), scope, f"{where} artifact {art['name']}")
        target = podspec.host_path(art["path"], table)
        cluster.s3.get(f"{cluster.bucket}/{key}/", str(target) + "/", recursive=True)
        for folder, _, files in os.walk(target):
            os.chown(folder, uid, gid)
            for f in files:
                os.chown(os.path.join(folder, f), uid, gid)


def _collect_outputs(tpl, scope, table, cluster, result, where) -> None:  # type: ignore[no-untyped-def]
    outputs = tpl.get("outputs", {})
    for param in outputs.get("parameters", []):
        path = podspec.host_path(param["valueFrom"]["path"], table)
        if not path.is_file():
            raise WorkbenchError(f"{where}: output parameter {param['name']}: {path} missing")
        result.parameters[param["name"]] = path.read_text(encoding="utf-8")
    for art in outputs.get("artifacts", []):
        path = podspec.host_path(art["path"], table)
        if not path.exists():
            if art.get("optional"):
                continue
            raise WorkbenchError(f"{where}: output artifact {art['name']}: {art['path']} missing")
        key = substitute(str(art["s3"]["key"]), scope, f"{where} artifact {art['name']} key")
        if path.is_dir():
            cluster.s3.put(str(path) + "/", f"{cluster.bucket}/{key}/", recursive=True)
        else:
            cluster.s3.put(str(path), f"{cluster.bucket}/{key}")
        result.artifacts[art["name"]] = key
