"""Emit steps/NAME/Dockerfile and its ignore file.

The build context is the project root (`docker build -f steps/NAME/Dockerfile .`), because the
image installs the workbench package from it. BuildKit reads `steps/NAME/Dockerfile.dockerignore`
for that Dockerfile (a Dockerfile-specific ignore file); `.dockerignore` beside it carries the
same list for builds that use the folder's ignore file. The requirements layer comes before the
code, so editing a step reuses the cached dependency layer.
"""

from __future__ import annotations

import json

from workbench.emit.context import EmitContext
from workbench.spec.model import PipelineSpec

UID = 10001


def render_dockerfile(spec: PipelineSpec, ctx: EmitContext) -> str:
    base = f"steps/{spec.name}"
    default = spec.steps[0].module if spec.steps else ""
    return (
        ctx.header() + f"# Build from the project root:\n"
        f"#   docker build -f {base}/Dockerfile --build-arg GIT_COMMIT=$(git rev-parse HEAD) .\n"
        f"# Run a step: docker run IMAGE {default} --input NAME=URI --output NAME=URI\n"
        f"FROM python:{spec.python}-slim\n"
        "\n"
        "ARG GIT_COMMIT=unknown\n"
        f"LABEL org.opencontainers.image.title={json.dumps('workbench pipeline ' + spec.name)} \\\n"
        f'      org.opencontainers.image.revision="${{GIT_COMMIT}}" \\\n'
        f"      io.workbench.notebook={json.dumps(spec.notebook)} \\\n"
        f"      io.workbench.pipeline={json.dumps(spec.name)}\n"
        "\n"
        "# No bytecode writes (read-only root file system), unbuffered logs, HOME on a writable mount.\n"
        "ENV PYTHONDONTWRITEBYTECODE=1 \\\n"
        "    PYTHONUNBUFFERED=1 \\\n"
        "    PIP_NO_CACHE_DIR=1 \\\n"
        "    PIP_DISABLE_PIP_VERSION_CHECK=1 \\\n"
        "    HOME=/tmp\n"
        "WORKDIR /app\n"
        "\n"
        "# Dependencies first: this layer is reused until requirements.txt changes.\n"
        f"COPY {base}/requirements.txt /app/{base}/requirements.txt\n"
        f"RUN pip install --no-cache-dir -r /app/{base}/requirements.txt\n"
        "\n"
        "# The workbench runtime the step modules import, without its (already pinned) dependencies.\n"
        "COPY pyproject.toml README.md /app/src/\n"
        "COPY workbench /app/src/workbench\n"
        "RUN pip install --no-cache-dir --no-deps /app/src && rm -rf /app/src\n"
        "\n"
        "COPY steps/__init__.py /app/steps/__init__.py\n"
        f"COPY {base} /app/{base}\n"
        "\n"
        f"USER {UID}:{UID}\n"
        'ENTRYPOINT ["python", "-m"]\n'
        f'CMD ["{default}"]\n'
    )


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
        "**/__pycache__\n"
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
