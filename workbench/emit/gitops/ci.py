"""The CI WorkflowTemplate (hera) the Sensor submits, and the ConfigMap of its scripts.

    clone -> test -> build steps | serving | deploy (when the pipeline has it) | CI image ->
    set-image staging (pipeline and serving overlays, by digest) -> wait for Argo CD (synced
    to that commit, healthy) -> integration test -> approval (suspend) -> set-image
    production (the same digests) -> wait

Every step runs a script of the project's ci/scripts/ from the `PROJECT-ci-scripts` ConfigMap
(Argo CD syncs it from the main branch, so a pull request cannot change what runs with the
credentials). Credentials are Secret references only: git (`PROJECT-ci-git`), the registry
(`PROJECT-ci-registry`, a dockerconfigjson), Argo CD (`PROJECT-ci-argocd`) and GitHub
(`PROJECT-ci-github`, a token allowed to write commit statuses).

The commit under test gets a GitHub commit status: `pending` when the run starts, and the
workflow's result from its exit handler (which runs whatever failed), linking the run.

The CI image never runs by a tag. The steps after `build-ci` run the digest it just pushed
(`REPOSITORY@{{tasks.build-ci.outputs.parameters.digest}}`, an input parameter of each
template). The steps before it (status, clone, test) and the exit handler run the workflow
parameter `ci-image`, read from the ConfigMap `PROJECT-ci-image` (key `image`) when the run
starts: a run on main whose integration tests passed records there the digest it built and ran
(`record-ci-image`, a resource template: no image), so each run starts in the CI image the
previous main run proved. The first one is put there once by hand, by digest (README).
"""

from __future__ import annotations

from typing import Any

import yaml
from hera.workflows import (
    DAG,
    Container,
    Parameter,
    Resource,
    SecretEnv,
    Suspend,
    Task,
    WorkflowTemplate,
)
from hera.workflows import Env as HeraEnv
from hera.workflows.models import (
    Capabilities,
    ConfigMapKeySelector,
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
from workbench.emit.gitops.project import PipelineRef, PlatformSpec

UID = 10001
SCRIPTS = "/ci/scripts"
SRC = "/workspace/src"
# Rootless BuildKit by digest, never by its moving release tag. The digest is the one
# freedomofpress/dangerzone records for this tag and runs the same way (buildctl-daemonless.sh,
# BUILDKITD_FLAGS=--oci-worker-no-process-sandbox): dev_scripts/repro-build.py,
# DEFAULT_BUILDKIT_IMAGE_ROOTLESS (commit 094d876dbaae6ce51654283bbcde8609e239b887). Bump tag
# and digest together, from a recorded source or `docker buildx imagetools inspect`.
BUILDKIT = (
    "moby/buildkit:v0.19.0-rootless"
    "@sha256:e901cffdad753892a7c3afb8b9972549fca02c73888cf340c91ed801fdd96d71"
)
# the CI image of the steps before build-ci (a workflow parameter, from a ConfigMap) and of the
# steps after it (an input parameter: the digest build-ci pushed)
BOOTSTRAP_IMAGE = "{{workflow.parameters.ci-image}}"
BUILT_IMAGE = "{{inputs.parameters.ci-image}}"
CONFIG_MAP_PARAMETER_LABEL = {"workflows.argoproj.io/configmap-type": "Parameter"}


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


def _script(
    name: str, spec: PlatformSpec, script: str, env: list[Any], built: bool = False, **kw: Any
) -> Container:
    """A CI step: `built` steps come after build-ci and run the image it pushed (by digest,
    an input `ci-image`); the others the bootstrap image the last main run recorded."""
    inputs = list(kw.pop("inputs", []))
    if built:
        inputs.append(Parameter(name="ci-image"))
    return Container(
        name=name,
        image=BUILT_IMAGE if built else BOOTSTRAP_IMAGE,
        command=["sh", f"{SCRIPTS}/{script}"],
        env=env,
        volume_mounts=_mounts(),
        security_context=_security(),
        inputs=inputs or None,
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
    built = _built_images(pipeline)
    images = " ".join(
        f"workbench/{pipeline.base}-{kind}={spec.registry}/{pipeline.base}-{kind}@"
        f"{{{{inputs.parameters.{kind}-digest}}}}"
        for kind in built
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
        built=True,
        inputs=[Parameter(name=f"{kind}-digest") for kind in built],
        outputs=[Parameter(name="revision", value_from=ValueFrom(path="/tmp/revision"))],
    )


def _built_images(pipeline: PipelineRef) -> tuple[str, ...]:
    """The images CI builds for the pipeline and pins in its overlays: steps, serving and,
    when a template runs it, the deploy task's (target `deploy` of serving.Dockerfile)."""
    return ("steps", "serving", "deploy") if pipeline.has_deploy else ("steps", "serving")


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
        built=True,
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
    build_deploy = _build(
        spec,
        "build-deploy",
        f"steps/{pipeline.name}/serving.Dockerfile",
        f"{spec.registry}/{pipeline.base}-deploy",
        "deploy",
    )
    builds = [build_steps, build_serving, *([build_deploy] if pipeline.has_deploy else [])]
    # the image these steps run in, from the project's ci/Dockerfile (checked on every run)
    build_ci = _build(spec, "build-ci", "ci/Dockerfile", _repository(spec.ci_image_repository), "")
    record = _record_ci_image(spec)
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
        built=True,
    )
    approve = Suspend(name="approve")
    digests = {
        f"{kind}_digest": f"{{{{tasks.build-{kind}.outputs.parameters.digest}}}}"
        for kind in _built_images(pipeline)
    }
    built = {"ci_image": built_ci_image(spec)}
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
        *(task(build, "test.Succeeded") for build in builds),
        task(build_ci, "test.Succeeded"),
        task(
            staging,
            " && ".join(f"{build.name}.Succeeded" for build in [*builds, build_ci]),
            on_main,
            **digests,
            **built,
        ),
        task(
            wait_staging,
            "set-image-staging.Succeeded",
            revision=revision.format(staging.name),
            **built,
        ),
        task(integration, "wait-staging.Succeeded", **built),
        # the image that just ran set-image, wait and the integration tests starts the next run
        task(record, "integration-test.Succeeded", **built),
        task(approve, "integration-test.Succeeded"),
        task(production, "approve.Succeeded", **digests, **built),
        task(
            wait_production,
            "set-image-production.Succeeded",
            revision=revision.format(production.name),
            **built,
        ),
    ]
    templates: list[Container | Suspend | Resource] = [
        pending, final, clone, test, *builds, build_ci, staging, wait_staging,
        integration, record, approve,
        production, wait_production,
    ]  # fmt: skip
    return WorkflowTemplate(
        name=spec.ci_template,
        namespace=spec.ci_namespace,
        labels={"app.kubernetes.io/part-of": spec.project},
        entrypoint="ci",
        on_exit=final.name,
        arguments=[Parameter(name=n, value="") for n in CI_PARAMETERS]
        + [
            Parameter(name="model", value=pipeline.name),
            Parameter(
                name="ci-image",
                value_from=ValueFrom(
                    config_map_key_ref=ConfigMapKeySelector(
                        name=spec.ci_image_config_map, key="image"
                    )
                ),
            ),
        ],
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


def built_ci_image(spec: PlatformSpec) -> str:
    """The CI image build-ci pushed in this run, by digest."""
    return (
        f"{_repository(spec.ci_image_repository)}@{{{{tasks.build-ci.outputs.parameters.digest}}}}"
    )


def ci_image_config_map(spec: PlatformSpec, image: str) -> dict[str, Any]:
    """`PROJECT-ci-image`: the CI image the next run starts in (Argo reads a ConfigMap
    parameter only with the `configmap-type: Parameter` label)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": spec.ci_image_config_map,
            "namespace": spec.ci_namespace,
            "labels": dict(CONFIG_MAP_PARAMETER_LABEL),
        },
        "data": {"image": image},
    }


def _record_ci_image(spec: PlatformSpec) -> Resource:
    """Main's proven CI image becomes the next run's bootstrap image (kubectl apply by Argo's
    executor: a get and a patch on that one ConfigMap, which the Role allows)."""
    return Resource(
        name="record-ci-image",
        action="apply",
        inputs=[Parameter(name="ci-image")],
        manifest=yaml.safe_dump(ci_image_config_map(spec, BUILT_IMAGE), sort_keys=False),
    )


def ci_rbac(spec: PlatformSpec) -> list[dict[str, Any]]:
    """The CI pods' ServiceAccount: what Argo's executor needs to report results, and to record
    the next run's CI image."""
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
                },
                {  # record-ci-image: that one ConfigMap, made once by hand (README)
                    "apiGroups": [""],
                    "resources": ["configmaps"],
                    "resourceNames": [spec.ci_image_config_map],
                    "verbs": ["get", "patch"],
                },
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
