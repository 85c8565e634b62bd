"""Emit steps/NAME/Dockerfile and its ignore file.

The build context is the project root (`docker build -f steps/NAME/Dockerfile .`), because the
image installs the workbench package from it. BuildKit reads `steps/NAME/Dockerfile.dockerignore`
for that Dockerfile (a Dockerfile-specific ignore file); `.dockerignore` beside it carries the
same list for builds that use the folder's ignore file. The requirements layer comes before the
code, so editing a step reuses the cached dependency layer.

The same image runs the notebook WorkflowTemplates (`workbench run NOTEBOOK`), so it also carries
the source notebook at its project path under /app (the templates' working directory) and a
second dependency layer (papermill, ipykernel, ...; steps/NAME/notebook-requirements.txt) after
the steps' own, constrained by them so it cannot move a step's pin. Jupyter and IPython write
runtime files (kernel connection files) under /tmp, the only writable path on the read-only root.
"""

from __future__ import annotations

import json

from workbench.emit.context import EmitContext
from workbench.emit.requirements import NOTEBOOK_REQUIREMENTS
from workbench.spec.model import PipelineSpec

UID = 10001
# Where Jupyter and IPython write at run time, all on the /tmp emptyDir (HOME=/tmp as well).
NOTEBOOK_ENV = (
    ("JUPYTER_RUNTIME_DIR", "/tmp/jupyter/runtime"),
    ("JUPYTER_DATA_DIR", "/tmp/jupyter/data"),
    ("JUPYTER_CONFIG_DIR", "/tmp/jupyter/config"),
    ("IPYTHONDIR", "/tmp/ipython"),
    ("MPLCONFIGDIR", "/tmp/matplotlib"),
)


def render_dockerfile(spec: PipelineSpec, ctx: EmitContext) -> str:
    base = f"steps/{spec.name}"
    default = spec.steps[0].module if spec.steps else ""
    return (
        ctx.header() + f"# Build from the project root:\n"
        f"#   docker build -f {base}/Dockerfile --build-arg GIT_COMMIT=$(git rev-parse HEAD) .\n"
        f"# Run a step: docker run IMAGE {default} --input NAME=URI --output NAME=URI\n"
        "# Pin the base by digest for reproducible builds:\n"
        f"#   --build-arg BASE_IMAGE=python:{spec.python}-slim@sha256:<digest>\n"
        f"ARG BASE_IMAGE=python:{spec.python}-slim\n"
        "FROM ${BASE_IMAGE}\n"
        "\n"
        "ARG GIT_COMMIT=unknown\n"
        f"LABEL org.opencontainers.image.title={json.dumps('workbench pipeline ' + spec.name)} \\\n"
        f'      org.opencontainers.image.revision="${{GIT_COMMIT}}" \\\n'
        f"      io.workbench.notebook={json.dumps(spec.notebook)} \\\n"
        f"      io.workbench.pipeline={json.dumps(spec.name)}\n"
        "\n"
        "# No bytecode writes (read-only root file system), unbuffered logs, HOME on a writable mount;\n"
        "# Jupyter's and IPython's run-time files there too, so the notebook kernel starts.\n"
        "ENV PYTHONDONTWRITEBYTECODE=1 \\\n"
        "    PYTHONUNBUFFERED=1 \\\n"
        "    PIP_NO_CACHE_DIR=1 \\\n"
        "    PIP_DISABLE_PIP_VERSION_CHECK=1 \\\n"
        + "".join(f"    {k}={v} \\\n" for k, v in NOTEBOOK_ENV)
        + "    HOME=/tmp\n"
        "WORKDIR /app\n"
        "\n"
        "# Dependencies first: this layer is reused until requirements.txt changes.\n"
        f"COPY {base}/requirements.txt /app/{base}/requirements.txt\n"
        f"RUN pip install --no-cache-dir -r /app/{base}/requirements.txt\n"
        "\n"
        "# What `workbench run` needs for the notebook templates, constrained by the steps' pins.\n"
        f"COPY {base}/{NOTEBOOK_REQUIREMENTS} /app/{base}/{NOTEBOOK_REQUIREMENTS}\n"
        f"RUN pip install --no-cache-dir -r /app/{base}/{NOTEBOOK_REQUIREMENTS} \\\n"
        f"    -c /app/{base}/requirements.txt\n"
        "\n"
        "# The workbench runtime the step modules import, without its (already pinned) dependencies.\n"
        "COPY pyproject.toml README.md /app/src/\n"
        "COPY workbench /app/src/workbench\n"
        "RUN pip install --no-cache-dir --no-deps /app/src && rm -rf /app/src\n"
        "\n"
        "COPY steps/__init__.py /app/steps/__init__.py\n"
        f"COPY {base} /app/{base}\n"
        "# The notebook itself, at the path the notebook templates pass to `workbench run`\n"
        "# (JSON form: a path may hold spaces), and the local modules its steps import, beside it.\n"
        f"COPY {_copy_json(spec.notebook)}\n"
        + "".join(f"COPY {_copy_json(m)}\n" for m in spec.local_modules)
        + "\n"
        f"USER {UID}:{UID}\n"
        'ENTRYPOINT ["python", "-m"]\n'
        f'CMD ["{default}"]\n'
    )


def _copy_json(path: str) -> str:
    """`["src", "/app/src"]`: COPY's JSON form, for paths with spaces."""
    return json.dumps([path, f"/app/{path}"])


def render_dockerignore(spec: PipelineSpec, ctx: EmitContext) -> str:
    return (
        ctx.header()
        + "# Only what the image needs reaches the build: never data, stores, secrets or .git.\n"
        "*\n"
        "!pyproject.toml\n"
        "!README.md\n"
        "!workbench/\n"
        "!steps/__init__.py\n"
        f"!steps/{spec.name}/\n"
        f"!{spec.notebook}\n" + "".join(f"!{m}\n" for m in spec.local_modules) + "**/__pycache__\n"
        "**/*.pyc\n"
    )


def emit_docker(spec: PipelineSpec, ctx: EmitContext) -> dict[str, str]:
    base = f"steps/{spec.name}"
    ignore = render_dockerignore(spec, ctx)
    return {
        f"{base}/Dockerfile": render_dockerfile(spec, ctx),
        f"{base}/Dockerfile.dockerignore": ignore,
        f"{base}/.dockerignore": ignore,
    }
