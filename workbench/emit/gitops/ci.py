"""The CI WorkflowTemplate (hera) the Sensor submits, and the ConfigMap of its scripts.

    clone -> test -> build steps image | serving image | CI image -> set-image staging (pipeline and
    serving overlays, by digest) -> wait for Argo CD (synced to that commit, healthy) ->
    integration test -> approval (suspend) -> set-image production (the same digests) -> wait

Every step runs a script of the project's ci/scripts/ from the `PROJECT-ci-scripts` ConfigMap
(Argo CD syncs it from the main branch, so a pull request cannot change what runs with the
credentials). Credentials are Secret references only: git (`PROJECT-ci-git`), the registry
(`PROJECT-ci-registry`, a dockerconfigjson), Argo CD (`PROJECT-ci-argocd`) and GitHub
(`PROJECT-ci-github`, a token allowed to write commit statuses).

The commit under test gets a GitHub commit status: `pending` when the run starts, and the
workflow's result from its exit handler (which runs whatever failed), linking the run.
"""

from __future__ import annotations

from typing import Any

from hera.workflows import DAG, Container, Parameter, SecretEnv, Suspend, Task, WorkflowTemplate
from hera.workflows import Env as HeraEnv
from hera.workflows.models import (
    Capabilities,
    ConfigMapVolumeSource,
    DAGTask,
    EmptyDirVolumeSource,
    KeyToPath,
    PersistentVolumeClaim,
    PersistentVolumeClaimSpec,
    PodSecurityContext,
    Quantity,
    SeccompProfile,
    SecretVolumeSource,
    SecurityContext,
    ValueFrom,
    Volume,
    VolumeMount,
    VolumeResourceRequirements,
)
from hera.workflows.models import ObjectMeta as HeraMeta

from workbench.emit.gitops.events import CI_PARAMETERS
from workbench.emit.gitops.project import PlatformSpec

UID = 10001
SCRIPTS = "/ci/scripts"
SRC = "/workspace/src"
BUILDKIT = "moby/buildkit:v0.16.0-rootless"


def scripts_config_map(spec: PlatformSpec) -> dict[str, Any]:
    """The project's ci/scripts/ as they are (read by `gitops init`, compared by --check)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": scripts_name(spec), "namespace": spec.ci_namespace},
        "data": dict(spec.ci_scripts),
    }


def scripts_name(spec: PlatformSpec) -> str:
    return f"{spec.project}-ci-scripts"


def _security(uid: int = UID, seccomp: str = "RuntimeDefault") -> SecurityContext:
    return SecurityContext(
        run_as_non_root=True,
        run_as_user=uid,
        read_only_root_filesystem=True,
        allow_privilege_escalation=False,
        capabilities=Capabilities(drop=["ALL"]),
        seccomp_profile=SeccompProfile(type=seccomp),
    )


def _mounts(*extra: VolumeMount) -> list[VolumeMount]:
    return [
        VolumeMount(name="workspace", mount_path="/workspace"),
        VolumeMount(name="scripts", mount_path=SCRIPTS, read_only=True),
        VolumeMount(name="tmp", mount_path="/tmp"),
        *extra,
    ]


def _git_env(spec: PlatformSpec) -> list[Any]:
    secret = f"{spec.project}-ci-git"
    return [
        SecretEnv(name="GIT_USERNAME", secret_name=secret, secret_key="username"),
        SecretEnv(name="GIT_PASSWORD", secret_name=secret, secret_key="password"),
    ]


def _script(name: str, spec: PlatformSpec, script: str, env: list[Any], **kw: Any) -> Container:
    return Container(
        name=name,
        image=spec.ci_image,
        command=["sh", f"{SCRIPTS}/{script}"],
        env=env,
        volume_mounts=_mounts(),
        security_context=_security(),
        **kw,
    )


def _build(spec: PlatformSpec, name: str, dockerfile: str, image: str, target: str) -> Container:
    """Rootless BuildKit in its own user namespace: RuntimeDefault seccomp blocks the unshare
    it needs, so this one pod runs Unconfined (still non-root, no privilege escalation)."""
    env = [
        HeraEnv(name="SRC", value=SRC),
        HeraEnv(name="DOCKERFILE", value=dockerfile),
        HeraEnv(name="TARGET", value=target),
        HeraEnv(name="IMAGE", value=image),
        HeraEnv(name="TAG", value="{{workflow.parameters.revision}}"),
        HeraEnv(name="DIGEST_FILE", value="/tmp/digest"),
        HeraEnv(name="DOCKER_CONFIG", value="/home/user/.docker"),
        HeraEnv(name="BUILDKITD_FLAGS", value="--oci-worker-no-process-sandbox"),
    ]
    return Container(
        name=name,
        image=BUILDKIT,
        command=["sh", f"{SCRIPTS}/build.sh"],
        env=env,
        volume_mounts=_mounts(
            VolumeMount(name="registry", mount_path="/home/user/.docker", read_only=True),
            VolumeMount(name="buildkit", mount_path="/home/user/.local/share/buildkit"),
        ),
        security_context=_security(1000, "Unconfined"),
        outputs=[Parameter(name="digest", value_from=ValueFrom(path="/tmp/digest"))],
    )


def _set_image(spec: PlatformSpec, env_name: str) -> Container:
    """The same digests for every environment: production runs what staging tested."""
    pipeline = spec.pipelines[0]
    root = f"manifests/{pipeline.name}/overlays/{env_name}"
    images = (
        f"workbench/{pipeline.base}-steps={spec.registry}/{pipeline.base}-steps@"
        "{{inputs.parameters.steps-digest}} "
        f"workbench/{pipeline.base}-serving={spec.registry}/{pipeline.base}-serving@"
        "{{inputs.parameters.serving-digest}}"
    )
    return _script(
        f"set-image-{env_name}",
        spec,
        "set-image.sh",
        [
            HeraEnv(name="GITOPS_REPO", value=spec.repo_url),
            HeraEnv(name="GITOPS_BRANCH", value=spec.gitops_branch),
            HeraEnv(name="OVERLAYS", value=f"{root} {root}/serving"),
            HeraEnv(name="IMAGES", value=images),
            HeraEnv(
                name="MESSAGE", value=f"ci: {{{{workflow.parameters.revision}}}} to {env_name}"
            ),
            HeraEnv(name="REVISION_FILE", value="/tmp/revision"),
            *_git_env(spec),
        ],
        inputs=[Parameter(name="steps-digest"), Parameter(name="serving-digest")],
        outputs=[Parameter(name="revision", value_from=ValueFrom(path="/tmp/revision"))],
    )


def _wait(spec: PlatformSpec, env_name: str) -> Container:
    pipeline = spec.pipelines[0]
    return _script(
        f"wait-{env_name}",
        spec,
        "wait-argocd.sh",
        [
            HeraEnv(name="ARGOCD_SERVER", value=spec.argocd_server),
            HeraEnv(name="APP", value=f"{pipeline.base}-serving-{env_name}"),
            HeraEnv(name="REVISION", value="{{inputs.parameters.revision}}"),
            SecretEnv(
                name="ARGOCD_AUTH_TOKEN",
                secret_name=f"{spec.project}-ci-argocd",
                secret_key="token",
            ),
        ],
        inputs=[Parameter(name="revision")],
    )


def _status(spec: PlatformSpec, name: str, status: str) -> Container:
    """status.sh: a GitHub commit status on the revision under test (see the module doc)."""
    return _script(
        name,
        spec,
        "status.sh",
        [
            HeraEnv(name="GITHUB_REPOSITORY", value=f"{spec.github_owner}/{spec.github_repo}"),
            HeraEnv(name="REVISION", value="{{workflow.parameters.revision}}"),
            HeraEnv(name="STATUS", value=status),
            HeraEnv(
                name="TARGET_URL",
                value=f"{spec.argo_ui}/workflows/{spec.ci_namespace}/{{{{workflow.name}}}}",
            ),
            HeraEnv(name="CONTEXT", value=f"{spec.project}/ci"),
            SecretEnv(
                name="GITHUB_TOKEN", secret_name=f"{spec.project}-ci-github", secret_key="token"
            ),
        ],
    )


def _repository(image: str) -> str:
    """`registry:5000/ml/ci:tag` or `...@sha256:...` -> `registry:5000/ml/ci`."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def _volumes(spec: PlatformSpec) -> list[Volume]:
    return [
        Volume(
            name="scripts",
            config_map=ConfigMapVolumeSource(name=scripts_name(spec), default_mode=0o555),
        ),
        Volume(name="tmp", empty_dir=EmptyDirVolumeSource()),
        Volume(name="buildkit", empty_dir=EmptyDirVolumeSource()),
        Volume(
            name="registry",
            secret=SecretVolumeSource(
                secret_name=f"{spec.project}-ci-registry",
                items=[KeyToPath(key=".dockerconfigjson", path="config.json")],
            ),
        ),
    ]


def ci_template(spec: PlatformSpec) -> WorkflowTemplate:
    pipeline = spec.pipelines[0]
    clone = _script(
        "clone",
        spec,
        "clone.sh",
        [
            HeraEnv(name="REPOSITORY", value="{{workflow.parameters.repository}}"),
            HeraEnv(name="REVISION", value="{{workflow.parameters.revision}}"),
            HeraEnv(name="DEST", value=SRC),
            *_git_env(spec),
        ],
    )
    test = _script("test", spec, "test.sh", [HeraEnv(name="SRC", value=SRC)])
    build_steps = _build(
        spec,
        "build-steps",
        f"steps/{pipeline.name}/Dockerfile",
        f"{spec.registry}/{pipeline.base}-steps",
        "",
    )
    build_serving = _build(
        spec,
        "build-serving",
        f"steps/{pipeline.name}/serving.Dockerfile",
        f"{spec.registry}/{pipeline.base}-serving",
        "serving",
    )
    # the image these steps run in, from the project's ci/Dockerfile (checked on every run)
    build_ci = _build(spec, "build-ci", "ci/Dockerfile", _repository(spec.ci_image), "")
    staging, production = _set_image(spec, "staging"), _set_image(spec, "production")
    wait_staging, wait_production = _wait(spec, "staging"), _wait(spec, "production")
    integration = _script(
        "integration-test",
        spec,
        "integration.sh",
        [
            HeraEnv(name="ENDPOINT", value=spec.staging_endpoint),
            HeraEnv(name="MODEL", value="{{workflow.parameters.model}}"),
        ],
    )
    approve = Suspend(name="approve")
    digests = {
        "steps_digest": "{{tasks.build-steps.outputs.parameters.digest}}",
        "serving_digest": "{{tasks.build-serving.outputs.parameters.digest}}",
    }
    # pull requests stop after the tests and builds: only main goes on to environments
    on_main = f"'{{{{workflow.parameters.branch}}}}' == 'refs/heads/{spec.main_branch}'"

    def task(template: Any, depends: str = "", when: str = "", **arguments: str) -> Task:
        return Task(
            name=template.name,
            template=template.name,
            depends=depends or None,
            when=when or None,
            arguments=[Parameter(name=k.replace("_", "-"), value=v) for k, v in arguments.items()],
        )

    revision = "{{{{tasks.{}.outputs.parameters.revision}}}}"
    # `depends: a` is satisfied by a skipped `a` too: `.Succeeded` stops a pull request's run
    # after its tests and builds, where the `when` of set-image-staging skips the rest
    pending = _status(spec, "status-pending", "pending")
    final = _status(spec, "status-final", "{{workflow.status}}")
    tasks: list[Task | DAGTask] = [
        task(pending),
        task(clone),
        task(test, "clone.Succeeded"),
        task(build_steps, "test.Succeeded"),
        task(build_serving, "test.Succeeded"),
        task(build_ci, "test.Succeeded"),
        task(
            staging,
            "build-steps.Succeeded && build-serving.Succeeded && build-ci.Succeeded",
            on_main,
            **digests,
        ),
        task(wait_staging, "set-image-staging.Succeeded", revision=revision.format(staging.name)),
        task(integration, "wait-staging.Succeeded"),
        task(approve, "integration-test.Succeeded"),
        task(production, "approve.Succeeded", **digests),
        task(
            wait_production,
            "set-image-production.Succeeded",
            revision=revision.format(production.name),
        ),
    ]
    templates: list[Container | Suspend] = [
        pending, final, clone, test, build_steps, build_serving, build_ci, staging, wait_staging,
        integration, approve,
        production, wait_production,
    ]  # fmt: skip
    return WorkflowTemplate(
        name=spec.ci_template,
        namespace=spec.ci_namespace,
        labels={"app.kubernetes.io/part-of": spec.project},
        entrypoint="ci",
        on_exit=final.name,
        arguments=[Parameter(name=n, value="") for n in CI_PARAMETERS]
        + [Parameter(name="model", value=pipeline.name)],
        service_account_name=f"{spec.project}-ci",
        security_context=PodSecurityContext(
            run_as_non_root=True,
            run_as_user=UID,
            run_as_group=UID,
            fs_group=UID,
            seccomp_profile=SeccompProfile(type="RuntimeDefault"),
        ),
        volumes=_volumes(spec),
        volume_claim_templates=[
            PersistentVolumeClaim(
                metadata=HeraMeta(name="workspace"),
                spec=PersistentVolumeClaimSpec(
                    access_modes=["ReadWriteOnce"],
                    resources=VolumeResourceRequirements(requests={"storage": Quantity("10Gi")}),
                ),
            )
        ],
        active_deadline_seconds=4 * 3600,
        templates=[DAG(name="ci", tasks=tasks), *templates],
    )


def ci_rbac(spec: PlatformSpec) -> list[dict[str, Any]]:
    """The CI pods' ServiceAccount: only what Argo's executor needs to report results."""
    name = f"{spec.project}-ci"
    meta = {"name": name, "namespace": spec.ci_namespace}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta,
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtaskresults"],
                    "verbs": ["create", "patch"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": spec.ci_namespace}],
        },
    ]
