"""The CI WorkflowTemplate (hera) the Sensor submits, and the ConfigMap of its scripts.

    clone -> test -> build steps | serving | deploy (when the pipeline has it) | CI image ->
    set-image staging (pipeline and serving overlays, by digest) -> wait for Argo CD (synced
    to that commit, healthy) -> integration test -> approval (suspend) -> set-image
    production (the same digests) -> wait
    (no CI image recorded yet: clone-first -> build CI image -> test in it -> the builds -> ...)

Every step runs a script of the project's ci/scripts/ from the `PROJECT-ci-scripts` ConfigMap
(Argo CD syncs it from the main branch, so a pull request cannot change what runs with the
credentials). Credentials are Secret references only: git (`PROJECT-ci-git`), the registry
(`PROJECT-ci-registry`, a dockerconfigjson), Argo CD (`PROJECT-ci-argocd`) and GitHub
(`PROJECT-ci-github`, a token allowed to write commit statuses).

The commit under test gets a GitHub commit status: `pending` when the run starts, and the
workflow's result from its exit handler (which runs whatever failed), linking the run.

The CI image never runs by a tag. Every script step takes the image it runs in as an input
parameter `ci-image`. The steps after `build-ci` run the digest it just pushed
(`REPOSITORY@{{tasks.build-ci.outputs.parameters.digest}}`). The steps before it (status,
clone, test) and the exit handler run the workflow parameter `ci-image`, read from the
ConfigMap `PROJECT-ci-image` (key `image`) when the run starts: a run on main whose integration
tests passed records there the digest it built and ran (`record-ci-image`, a resource template:
no image), so each run starts in the CI image the previous main run proved.

The very first run has no recorded image: the ConfigMap (in git, labelled for Argo, without the
key; Argo CD ignores its /data) makes the parameter fall back to its `default`, "". Then the run
bootstraps: `clone-first` checks out the commit in the BuildKit image (pinned by digest; it
has sh and git, and clone.sh needs nothing more), `build-ci` builds the CI image from it, and
the status and test steps run on the digest just built (`status-pending-first`,
`test-first`); everything after is the same DAG. The exit handler reports in the recorded
image, or on a first run in the one build-ci pushed (its digest is a global output); a first
run that failed before build-ci pushed anything has no image to report in and posts nothing.
A pull request's builds (`NAME-pr`) hold no registry credential and push nothing, not even
to the registry cache (their Dockerfiles' RUN steps are the pull request's code: _build).
So its first run has no CI image to test in and only builds; it posts no status at all,
as no credential goes into an image main did not build.
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
    ExecutorConfig,
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

from workbench.emit.gitops.ci_rbac import ci_account, recorder_account
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
# the CI image of the steps before build-ci (a workflow parameter, from a ConfigMap; "" when no
# run recorded one yet) and the image every script template runs (its input parameter)
BOOTSTRAP_IMAGE = "{{workflow.parameters.ci-image}}"
BUILT_IMAGE = "{{inputs.parameters.ci-image}}"
CONFIG_MAP_PARAMETER_LABEL = {"workflows.argoproj.io/configmap-type": "Parameter"}
NO_CI_IMAGE = ""  # the parameter's default: the ConfigMap holds no image (the first run)
RECORDED = f"'{BOOTSTRAP_IMAGE}' != '{NO_CI_IMAGE}'"
FIRST_RUN = f"'{BOOTSTRAP_IMAGE}' == '{NO_CI_IMAGE}'"
CI_DIGEST = "ci-digest"  # build-ci's digest as a global output, for the exit handler


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


def _mounts(*extra: VolumeMount, workspace: bool = True) -> list[VolumeMount]:
    """The run's shared checkout (/workspace, a PVC), the scripts and a private /tmp. Without
    WORKSPACE: a step that holds a credential and may run after the pull request's code wrote
    to the checkout (the exit handler's commit status) must not see it: status.sh runs
    `python3 -c` in the CI image's WORKDIR /workspace, whose first import path is that folder,
    so a planted json.py would run with the GitHub token."""
    return [
        *([VolumeMount(name="workspace", mount_path="/workspace")] if workspace else []),
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
    name: str,
    spec: PlatformSpec,
    script: str,
    env: list[Any],
    image: str = BUILT_IMAGE,
    workspace: bool = True,
    **kw: Any,
) -> Container:
    """A CI step in the CI image its task passes as the input `ci-image` (by digest: the one
    the last main run recorded, or the one build-ci pushed), or in IMAGE when given."""
    inputs = list(kw.pop("inputs", []))
    if image == BUILT_IMAGE:
        inputs.append(Parameter(name="ci-image"))
    return Container(
        name=name,
        image=image,
        command=["sh", f"{SCRIPTS}/{script}"],
        env=env,
        volume_mounts=_mounts(workspace=workspace),
        security_context=_security(),
        inputs=inputs or None,
        **kw,
    )


def _build(
    spec: PlatformSpec,
    name: str,
    dockerfile: str,
    image: str,
    target: str,
    global_name: str = "",
    push: bool = True,
) -> Container:
    """Rootless BuildKit in its own user namespace: RuntimeDefault seccomp blocks the unshare
    it needs, so this one pod runs Unconfined (still non-root, no privilege escalation).

    Without PUSH (a pull request's build, `NAME-pr`) the pod mounts no registry credential and
    build.sh neither pushes nor reads or writes the registry cache: the Dockerfile's RUN steps
    are the pull request's code, and with --oci-worker-no-process-sandbox they share BuildKit's
    process namespace (BuildKit's docs: they may kill and, seccomp permitting, ptrace any
    process there, buildctl holding the credential included)."""
    env = [
        HeraEnv(name="SRC", value=SRC),
        HeraEnv(name="DOCKERFILE", value=dockerfile),
        HeraEnv(name="TARGET", value=target),
        HeraEnv(name="IMAGE", value=image),
        HeraEnv(name="TAG", value="{{workflow.parameters.revision}}"),
        HeraEnv(name="DIGEST_FILE", value="/tmp/digest"),
        HeraEnv(name="DOCKER_CONFIG", value="/home/user/.docker"),
        HeraEnv(name="BUILDKITD_FLAGS", value="--oci-worker-no-process-sandbox"),
        HeraEnv(name="PUSH", value="true" if push else "false"),
    ]
    registry = [VolumeMount(name="registry", mount_path="/home/user/.docker", read_only=True)]
    return Container(
        name=name if push else f"{name}-pr",
        image=BUILDKIT,
        command=["sh", f"{SCRIPTS}/build.sh"],
        env=env,
        volume_mounts=_mounts(
            *(registry if push else []),
            VolumeMount(name="buildkit", mount_path="/home/user/.local/share/buildkit"),
        ),
        security_context=_security(1000, "Unconfined"),
        outputs=[
            Parameter(
                name="digest",
                value_from=ValueFrom(path="/tmp/digest"),
                global_name=global_name or None,
            )
        ],
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
        workspace=False,  # it needs no checkout, and one a pull request's tests wrote to
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


def _clone_env(spec: PlatformSpec) -> list[Any]:
    return [
        HeraEnv(name="REPOSITORY", value="{{workflow.parameters.repository}}"),
        HeraEnv(name="REVISION", value="{{workflow.parameters.revision}}"),
        HeraEnv(name="DEST", value=SRC),
        *_git_env(spec),
    ]


def _on_main(spec: PlatformSpec) -> str:
    return f"'{{{{workflow.parameters.branch}}}}' == 'refs/heads/{spec.main_branch}'"


def _exit_handler(spec: PlatformSpec, final: Container) -> DAG:
    """The final commit status, in the recorded CI image, or on a first run of main in the one
    build-ci pushed. Its digest is the global output `ci-digest`; the `when` tests it is one, so
    a first run that never pushed (Argo leaves an unresolved global as the literal `{{...}}`,
    which is no digest) skips the report instead of starting a pod on no image."""
    digest = f"{{{{workflow.outputs.parameters.{CI_DIGEST}}}}}"
    name = str(final.name)
    return DAG(
        name="exit",
        tasks=[
            Task(
                name=name,
                template=name,
                when=RECORDED,
                arguments=[Parameter(name="ci-image", value=BOOTSTRAP_IMAGE)],
            ),
            Task(
                name=f"{name}-first",
                template=name,
                when=f"{FIRST_RUN} && {_on_main(spec)} && '{digest}' =~ '^sha256:[0-9a-f]{{64}}$'",
                arguments=[
                    Parameter(
                        name="ci-image",
                        value=f"{_repository(spec.ci_image_repository)}@{digest}",
                    )
                ],
            ),
        ],
    )


def ci_template(spec: PlatformSpec) -> WorkflowTemplate:
    pipeline = spec.pipelines[0]
    clone = _script("clone", spec, "clone.sh", _clone_env(spec))
    # the first run's checkout: nothing recorded to run clone.sh in, so the BuildKit image does
    # (by digest; sh and git are all clone.sh needs), as the same non-root user as clone
    clone_first = _script(
        "clone-first",
        spec,
        "clone.sh",
        [*_clone_env(spec), HeraEnv(name="HOME", value="/tmp")],
        image=BUILDKIT,
    )
    test = _script("test", spec, "test.sh", [HeraEnv(name="SRC", value=SRC)])
    # (template, Dockerfile, image, target) of each image CI builds for the pipeline
    recipes: list[tuple[str, str, str, str]] = [
        (f"build-{kind}", dockerfile, f"{spec.registry}/{pipeline.base}-{kind}", target)
        for kind, dockerfile, target in (
            ("steps", f"steps/{pipeline.name}/Dockerfile", ""),
            ("serving", f"steps/{pipeline.name}/serving.Dockerfile", "serving"),
            ("deploy", f"steps/{pipeline.name}/serving.Dockerfile", "deploy"),
        )
        if kind in _built_images(pipeline)
    ]
    builds = [_build(spec, *recipe) for recipe in recipes]
    # the image these steps run in, from the project's ci/Dockerfile (checked on every run)
    ci_recipe = ("build-ci", "ci/Dockerfile", _repository(spec.ci_image_repository), "")
    build_ci = _build(spec, *ci_recipe, CI_DIGEST)
    # a pull request's builds: the same recipes, built only (no credential, nothing pushed)
    pr_builds = [_build(spec, *recipe, push=False) for recipe in [*recipes, ci_recipe]]
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
    )
    approve = Suspend(name="approve")
    digests = {
        f"{kind}_digest": f"{{{{tasks.build-{kind}.outputs.parameters.digest}}}}"
        for kind in _built_images(pipeline)
    }
    built = {"ci_image": built_ci_image(spec)}
    # pull requests stop after the tests and builds: only main goes on to environments
    on_main = _on_main(spec)
    on_pr = on_main.replace(" == ", " != ")

    bootstrap = {"ci_image": BOOTSTRAP_IMAGE}

    def task(
        template: Any, depends: str = "", when: str = "", name: str = "", **arguments: str
    ) -> Task:
        return Task(
            name=name or template.name,
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
    # a recorded CI image: status, clone and test in it, then the builds. None (the first run):
    # clone-first, build-ci, then status and test in what build-ci pushed, then the builds
    tested = "test.Succeeded || test-first.Succeeded"
    tasks: list[Task | DAGTask] = [
        task(pending, when=RECORDED, **bootstrap),
        task(clone, when=RECORDED, **bootstrap),
        task(clone_first, when=FIRST_RUN),
        task(test, "clone.Succeeded", **bootstrap),
        task(build_ci, "test.Succeeded || clone-first.Succeeded", on_main),
        # a pull request builds every image without a registry credential and pushes none; its
        # first run (no recorded CI image, and none pushed to test in) only builds
        task(pr_builds[-1], "test.Succeeded || clone-first.Succeeded", on_pr),
        *(
            task(build, f"test.Succeeded || {pr_builds[-1].name}.Succeeded", on_pr)
            for build in pr_builds[:-1]
        ),
        # the GitHub token only ever goes to an image main built
        task(
            pending,
            "build-ci.Succeeded",
            f"{FIRST_RUN} && {on_main}",
            f"{pending.name}-first",
            **built,
        ),
        task(test, "build-ci.Succeeded", FIRST_RUN, "test-first", **built),
        *(task(build, tested, on_main) for build in builds),
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
    templates: list[Container | Suspend | Resource | DAG] = [
        _exit_handler(spec, final),
        pending, final, clone, clone_first, test, *builds, build_ci, *pr_builds, staging,
        wait_staging,
        integration, record, approve,
        production, wait_production,
    ]  # fmt: skip
    return WorkflowTemplate(
        name=spec.ci_template,
        namespace=spec.ci_namespace,
        labels={"app.kubernetes.io/part-of": spec.project},
        entrypoint="ci",
        on_exit="exit",
        arguments=[Parameter(name=n, value="") for n in CI_PARAMETERS]
        + [
            Parameter(name="model", value=pipeline.name),
            Parameter(
                name="ci-image",
                value_from=ValueFrom(
                    config_map_key_ref=ConfigMapKeySelector(
                        name=spec.ci_image_config_map, key="image"
                    ),
                    default=NO_CI_IMAGE,  # no image recorded yet: the first run bootstraps
                ),
            ),
        ],
        # no step container holds a Kubernetes token: Argo mounts the executor's into its own
        # containers only (Argo Workflows 3.5.15+, 3.6.0+), and record-ci-image names its own
        # account
        service_account_name=ci_account(spec),
        automount_service_account_token=False,
        executor=ExecutorConfig(service_account_name=ci_account(spec)),
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


def ci_image_config_map(spec: PlatformSpec, image: str | None = None) -> dict[str, Any]:
    """`PROJECT-ci-image`: the CI image the next run starts in (Argo reads a ConfigMap
    parameter only with the `configmap-type: Parameter` label). Without IMAGE it is the one in
    git: no `image` key, so the first run's parameter takes its default; record-ci-image patches
    the key in, and the CI Application ignores /data (argocd.platform_applications)."""
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": spec.ci_image_config_map,
            "namespace": spec.ci_namespace,
            "labels": dict(CONFIG_MAP_PARAMETER_LABEL),
        },
    }
    if image is not None:
        doc["data"] = {"image": image}
    return doc


def _record_ci_image(spec: PlatformSpec) -> Resource:
    """Main's proven CI image becomes the next run's bootstrap image (kubectl apply by Argo's
    executor: a get and a patch on that one ConfigMap). The only template that may: it runs as
    the recorder ServiceAccount, whose token Argo mounts into this resource pod's executor, the
    container that applies the manifest; no container of another template ever holds it."""
    recorder = recorder_account(spec)
    return Resource(
        name="record-ci-image",
        action="apply",
        inputs=[Parameter(name="ci-image")],
        manifest=yaml.safe_dump(ci_image_config_map(spec, BUILT_IMAGE), sort_keys=False),
        service_account_name=recorder,
        executor=ExecutorConfig(service_account_name=recorder),
    )
