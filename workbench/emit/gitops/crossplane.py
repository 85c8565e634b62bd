"""Crossplane (Upbound AWS provider): the provider's credentials by Secret reference and one S3
bucket per purpose, each versioned, encrypted at rest and closed to the public."""

from __future__ import annotations

from workbench.emit.gitops.argocd import CROSSPLANE_NAMESPACE, WAVE
from workbench.emit.gitops.project import PlatformSpec
from workbench.emit.gitops.types import Meta, NamespacedSecretRef, Obj

PROVIDER_API = "aws.upbound.io/v1beta1"
S3 = "s3.aws.upbound.io"
PROVIDER_CONFIG = "default"
CREDENTIALS = NamespacedSecretRef(
    namespace=CROSSPLANE_NAMESPACE, name="aws-credentials", key="credentials"
)


def provider_config() -> Obj:
    return Obj(
        apiVersion=PROVIDER_API,
        kind="ProviderConfig",
        metadata={"name": PROVIDER_CONFIG, "annotations": {WAVE: "-1"}},
        spec={"credentials": {"source": "Secret", "secretRef": dict(CREDENTIALS)}},
    )


def _meta(name: str, wave: int, spec: PlatformSpec) -> Meta:
    return {
        "name": name,
        "labels": {"app.kubernetes.io/part-of": spec.project},
        "annotations": {WAVE: str(wave)},
    }


def _managed(kind: str, version: str, meta: Meta, for_provider: dict[str, object]) -> Obj:
    return Obj(
        apiVersion=f"{S3}/{version}",
        kind=kind,
        metadata=meta,
        spec={"forProvider": for_provider, "providerConfigRef": {"name": PROVIDER_CONFIG}},
    )


def bucket(spec: PlatformSpec, purpose: str) -> list[Obj]:
    """The bucket (kept when the object is deleted: it holds data) and its three settings."""
    name = spec.bucket_name(purpose)
    ref = {"bucketRef": {"name": name}, "region": spec.region}
    the_bucket = _managed(
        "Bucket",
        "v1beta2",
        _meta(name, 0, spec),
        {"region": spec.region, "tags": {"project": spec.project, "purpose": purpose}},
    )
    the_bucket["spec"]["deletionPolicy"] = "Orphan"
    return [
        the_bucket,
        _managed(
            "BucketVersioning",
            "v1beta2",
            _meta(f"{name}-versioning", 1, spec),
            {**ref, "versioningConfiguration": {"status": "Enabled"}},
        ),
        _managed(
            "BucketServerSideEncryptionConfiguration",
            "v1beta2",
            _meta(f"{name}-encryption", 1, spec),
            {
                **ref,
                "rule": [
                    {
                        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"},
                        "bucketKeyEnabled": True,
                    }
                ],
            },
        ),
        _managed(
            "BucketPublicAccessBlock",
            "v1beta1",
            _meta(f"{name}-public-access-block", 1, spec),
            {
                **ref,
                "blockPublicAcls": True,
                "blockPublicPolicy": True,
                "ignorePublicAcls": True,
                "restrictPublicBuckets": True,
            },
        ),
    ]
