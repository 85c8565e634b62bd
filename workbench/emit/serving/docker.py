"""Emit steps/NAME/serving.Dockerfile (two targets), its ignore file and serving-requirements.txt.

    docker build -f steps/NAME/serving.Dockerfile --target serving -t workbench/NAME-serving .
    docker build -f steps/NAME/serving.Dockerfile --target deploy  -t workbench/NAME-deploy .

`serving`: the steps' slim base, the model's libraries as trained (the steps' requirements.txt),
then what `workbench serve` needs, pinned to this environment and constrained by the first
layer so the model's pins cannot move; workbench itself without dependencies; a numeric
non-root USER; nothing written outside /tmp (HOME and TMPDIR there), so it runs with a
read-only root filesystem and an emptyDir on /tmp.
`deploy`: the same plus git and ruamel.yaml, for the pipeline's last task (`workbench deploy`
commits the new model version to the GitOps repository).
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version

from workbench.emit.docker import UID
from workbench.spec.model import PipelineSpec

SERVING_REQUIREMENTS = "serving-requirements.txt"
# distributions `workbench serve` imports (workbench.serving, .models, .core, the CLI), and
# mlflow for registries reached over HTTP and MLflow's own model loader
SERVING_DISTRIBUTIONS = (
    "click",
    "cloudpickle",
    "fsspec",
    "httptools",
    "joblib",
    "mlflow",
    "numpy",
    "orjson",
    "pandas",
    "prometheus-client",
    "pyyaml",
    "scikit-learn",
    "sqlalchemy",
    "starlette",
    "uvicorn",
    "uvloop",
)
DEPLOY_DISTRIBUTIONS = ("ruamel.yaml",)


def _pins(dists: tuple[str, ...]) -> list[str]:
    out = []
    for dist in dists:
        try:
            out.append(f"{dist}=={version(dist)}")
        except PackageNotFoundError as exc:  # pragma: no cover - a broken environment
            raise RuntimeError(f"{dist} is not installed: cannot pin the serving image") from exc
    return out


def render_serving_requirements(spec: PipelineSpec, header: str) -> str:
    lines = [
        header.rstrip("\n"),
        "# What `workbench serve` needs, pinned to this environment; installed after (and",
        "# constrained by) requirements.txt, the model's libraries as trained.",
        *_pins(SERVING_DISTRIBUTIONS),
    ]
    return "\n".join(lines) + "\n"


def render_serving_dockerfile(spec: PipelineSpec, header: str) -> str:
    base = f"steps/{spec.name}"
    deploy = " ".join(_pins(DEPLOY_DISTRIBUTIONS))
    title = json.dumps(f"workbench model server ({spec.name})")
    return (
        header + "# Build from the project root (two targets: serving, deploy):\n"
        f"#   docker build -f {base}/serving.Dockerfile --target serving -t IMAGE .\n"
        "# The same base as the steps' image, pinnable by digest:\n"
        f"#   --build-arg BASE_IMAGE=python:{spec.python}-slim@sha256:<digest>\n"
        f"ARG BASE_IMAGE=python:{spec.python}-slim\n"
        "FROM ${BASE_IMAGE} AS serving\n"
        "\n"
        "ARG GIT_COMMIT=unknown\n"
        f"LABEL org.opencontainers.image.title={title} \\\n"
        '      org.opencontainers.image.revision="${GIT_COMMIT}" \\\n'
        f"      io.workbench.pipeline={json.dumps(spec.name)}\n"
        "\n"
        "# Read-only root file system: no bytecode writes; HOME and TMPDIR on the /tmp mount.\n"
        "ENV PYTHONDONTWRITEBYTECODE=1 \\\n"
        "    PYTHONUNBUFFERED=1 \\\n"
        "    PIP_NO_CACHE_DIR=1 \\\n"
        "    PIP_DISABLE_PIP_VERSION_CHECK=1 \\\n"
        "    HOME=/tmp \\\n"
        "    TMPDIR=/tmp\n"
        "WORKDIR /app\n"
        "\n"
        "# The model's libraries as trained, then the server's, constrained by them.\n"
        f"COPY {base}/requirements.txt {base}/{SERVING_REQUIREMENTS} /app/requirements/\n"
        "RUN pip install --no-cache-dir -r /app/requirements/requirements.txt \\\n"
        f" && pip install --no-cache-dir -r /app/requirements/{SERVING_REQUIREMENTS} \\\n"
        "      -c /app/requirements/requirements.txt\n"
        "\n"
        "# The workbench package, without its (already pinned) dependencies.\n"
        "COPY pyproject.toml README.md /app/src/\n"
        "COPY workbench /app/src/workbench\n"
        "RUN pip install --no-cache-dir --no-deps /app/src && rm -rf /app/src\n"
        "\n"
        f"USER {UID}:{UID}\n"
        "EXPOSE 9000\n"
        'ENTRYPOINT ["workbench"]\n'
        'CMD ["serve", "--help"]\n'
        "\n"
        "# The pipeline's deploy task: git to commit to the GitOps repository, ruamel.yaml to\n"
        "# edit the overlay with its comments kept.\n"
        "FROM serving AS deploy\n"
        "USER 0:0\n"
        "RUN apt-get update \\\n"
        " && apt-get install -y --no-install-recommends git ca-certificates openssh-client \\\n"
        " && rm -rf /var/lib/apt/lists/*\n"
        f"RUN pip install --no-cache-dir {deploy}\n"
        f"USER {UID}:{UID}\n"
    )


def render_serving_dockerignore(spec: PipelineSpec, header: str) -> str:
    base = f"steps/{spec.name}"
    return (
        header + "# Only what the serving image needs reaches the build.\n"
        "*\n"
        "!pyproject.toml\n"
        "!README.md\n"
        "!workbench/\n"
        f"!{base}/requirements.txt\n"
        f"!{base}/{SERVING_REQUIREMENTS}\n"
        "**/__pycache__\n"
        "**/*.pyc\n"
    )


def emit_serving_image(spec: PipelineSpec, ctx: object) -> dict[str, str]:
    make_header = getattr(ctx, "header", None)
    header = str(make_header()) if callable(make_header) else ""
    base = f"steps/{spec.name}"
    return {
        f"{base}/serving.Dockerfile": render_serving_dockerfile(spec, header),
        f"{base}/serving.Dockerfile.dockerignore": render_serving_dockerignore(spec, header),
        f"{base}/{SERVING_REQUIREMENTS}": render_serving_requirements(spec, header),
    }
