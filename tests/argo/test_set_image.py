"""`workbench set-image`: kustomize's `edit set image` semantics, comments kept, checked by
building the edited overlay with kubectl kustomize."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from workbench.cli.main import main
from workbench.core.errors import WorkbenchError
from workbench.kustomize import ImageEdit, parse_image_edit, set_image

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("arg", "edit"),
    [
        ("app=reg.io/app:1.2", ImageEdit("app", new_name="reg.io/app", new_tag="1.2")),
        (f"app=reg.io/app@{DIGEST}", ImageEdit("app", new_name="reg.io/app", digest=DIGEST)),
        ("app=reg.io/app", ImageEdit("app", new_name="reg.io/app")),
        ("app:1.2", ImageEdit("app", new_tag="1.2")),
        (f"app@{DIGEST}", ImageEdit("app", digest=DIGEST)),
        ("reg.io:5000/app:v1", ImageEdit("reg.io:5000/app", new_tag="v1")),
        ("app=*:2", ImageEdit("app", new_name="*", new_tag="2")),
    ],
)
def test_parse_forms(arg: str, edit: ImageEdit) -> None:
    assert parse_image_edit(arg) == edit


@pytest.mark.parametrize("arg", ["app", "a=b=c", "=x:1", "reg.io:5000/app", ""])
def test_parse_rejects_other_forms(arg: str) -> None:
    with pytest.raises(WorkbenchError, match="expected one of NAME=NEWNAME:TAG"):
        parse_image_edit(arg)


ORIGINAL = """\
# staging overlay: keep this comment
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: tiny-staging  # where it runs
resources:
- ../../base
images:
- name: workbench/tiny-steps
  newName: reg.io/tiny  # mirrored registry
  newTag: staging
- name: busybox
  newTag: "1.36"
"""


def _write(tmp_path: Path, text: str = ORIGINAL) -> Path:
    folder = tmp_path / "ov"
    folder.mkdir()
    (folder / "kustomization.yaml").write_text(text)
    return folder


def _images(folder: Path) -> dict[str, dict[str, str]]:
    doc = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return {i["name"]: i for i in doc["images"]}


def test_update_replaces_the_entry_and_keeps_the_rest(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    set_image(folder, ["workbench/tiny-steps:1.0.0", "alpine@" + DIGEST])
    text = (folder / "kustomization.yaml").read_text()
    images = _images(folder)
    # kustomize replaces the whole entry: newName is gone because the argument has none
    assert images["workbench/tiny-steps"] == {"name": "workbench/tiny-steps", "newTag": "1.0.0"}
    assert images["alpine"] == {"name": "alpine", "digest": DIGEST}
    assert images["busybox"] == {"name": "busybox", "newTag": "1.36"}
    assert list(images) == sorted(images)
    assert text.startswith("# staging overlay: keep this comment\n")
    assert "namespace: tiny-staging  # where it runs\n" in text
    assert '  newTag: "1.36"\n' in text and "- ../../base\n" in text


def test_star_keeps_the_existing_value(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    set_image(folder, ["workbench/tiny-steps=*:2.0"])
    entry = _images(folder)["workbench/tiny-steps"]
    assert entry == {"name": "workbench/tiny-steps", "newName": "reg.io/tiny", "newTag": "2.0"}


def test_adds_images_when_the_file_has_none(tmp_path: Path) -> None:
    folder = _write(tmp_path, "resources:\n  - ../../base\n")
    set_image(folder, [f"x=reg.io/x@{DIGEST}"])
    text = (folder / "kustomization.yaml").read_text()
    assert text.startswith("resources:\n  - ../../base\n")
    assert _images(folder) == {"x": {"name": "x", "newName": "reg.io/x", "digest": DIGEST}}


def test_errors_name_the_problem_and_write_nothing(tmp_path: Path) -> None:
    folder = _write(tmp_path)
    with pytest.raises(WorkbenchError, match="'oops'"):
        set_image(folder, ["good:1", "oops"])
    assert (folder / "kustomization.yaml").read_text() == ORIGINAL
    with pytest.raises(WorkbenchError, match="no kustomization file"):
        set_image(tmp_path, ["good:1"])
    (folder / "kustomization.yaml").write_text("images: {a: 1}\n")
    with pytest.raises(WorkbenchError, match="`images` must be a list"):
        set_image(folder, ["good:1"])
    assert sorted(p.name for p in folder.iterdir()) == ["kustomization.yaml"]


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _write(tmp_path)
    with pytest.raises(SystemExit) as ok:
        main(["set-image", str(folder), "busybox:1.37"])
    assert ok.value.code == 0
    assert _images(folder)["busybox"]["newTag"] == "1.37"
    with pytest.raises(SystemExit) as bad:
        main(["set-image", str(folder), "busybox"])
    assert bad.value.code == 1
    assert "expected one of" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.parametrize(
    ("arg", "image"),
    [
        ("workbench/tiny-steps=reg.io/team/tiny:1.4.2", "reg.io/team/tiny:1.4.2"),
        (f"workbench/tiny-steps@{DIGEST}", f"workbench/tiny-steps@{DIGEST}"),
    ],
)
def test_kustomize_build_sees_the_edit(manifests: Path, arg: str, image: str) -> None:
    overlay = manifests / "overlays" / "staging"
    set_image(overlay, [arg])
    kubectl = shutil.which("kubectl")
    assert kubectl
    out = subprocess.run(
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=True
    )
    found = set()
    for doc in yaml.safe_load_all(out.stdout):
        spec = (doc or {}).get("spec", {})
        for t in spec.get("workflowSpec", spec).get("templates", []):
            if "container" in t:
                found.add(t["container"]["image"])
    assert found == {image}


def test_production_overlays_take_digests_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overlays = tmp_path / "manifests" / "train" / "overlays"
    (overlays / "production").mkdir(parents=True)
    (overlays / "staging").mkdir()
    prod = _write(overlays / "production")  # .../overlays/production/ov
    with pytest.raises(SystemExit) as refused:
        main(["set-image", str(prod), "busybox=reg.io/busybox:1.37"])
    assert refused.value.code == 1 and "pinned by digest" in capsys.readouterr().err
    assert (prod / "kustomization.yaml").read_text() == ORIGINAL
    with pytest.raises(SystemExit) as ok:
        main(["set-image", str(prod), f"busybox=reg.io/busybox@{DIGEST}"])
    assert ok.value.code == 0 and _images(prod)["busybox"]["digest"] == DIGEST
    promoted = (prod / "kustomization.yaml").read_text()
    for refused_arg in ("busybox:1.37", "busybox=reg.io/busybox:1.37", "busybox=reg.io/busybox",
                        "busybox@sha256:abc", "busybox@*"):  # fmt: skip
        with pytest.raises(SystemExit) as refused:
            main(["set-image", str(prod), refused_arg])
        err = capsys.readouterr().err
        assert refused.value.code == 1 and repr(refused_arg) in err, refused_arg
        assert "NAME=NEWNAME@sha256:<64 hex digits>" in err
    with pytest.raises(SystemExit) as no_escape:
        main(["set-image", "--allow-tag", str(prod), "busybox:1.37"])
    assert no_escape.value.code != 0
    assert (prod / "kustomization.yaml").read_text() == promoted  # nothing written
    staging = _write(overlays / "staging")
    with pytest.raises(SystemExit) as tagged:
        main(["set-image", str(staging), "busybox:1.37"])
    assert tagged.value.code == 0  # staging may use tags
