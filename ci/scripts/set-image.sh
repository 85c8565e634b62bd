#!/bin/sh
# CI promotion: set images in the OVERLAYS of the GitOps branch and push one commit.
# Env: GITOPS_REPO, GITOPS_BRANCH, OVERLAYS (space separated folders in that repository),
# IMAGES (space separated NAME=NEWNAME@sha256:DIGEST, as `workbench set-image` takes them; each
# goes to the overlays whose kustomization already lists NAME), MESSAGE; optional
# GIT_USERNAME / GIT_PASSWORD (Secret), WORKBENCH (the workbench command), WORKDIR,
# REVISION_FILE (gets the GitOps commit that holds the images, for wait-argocd.sh).
# Digests only: what staging tested is byte for byte what production runs.
# Another push in between (Argo CD image updater, a person) is retried on top, three times.
set -eu
here=$(dirname "$0")
# shellcheck source=ci/scripts/git-credentials.sh
. "$here/git-credentials.sh"

: "${GITOPS_REPO:?}" "${GITOPS_BRANCH:?}" "${OVERLAYS:?}" "${IMAGES:?}" "${MESSAGE:?}"
workbench=${WORKBENCH:-workbench}
for image in $IMAGES; do
  case "$image" in
    *=*@sha256:*) ;;
    *) echo "set-image: '$image' is not NAME=NEWNAME@sha256:DIGEST" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d "${WORKDIR:-${TMPDIR:-/tmp}}/gitops.XXXXXX")
trap 'rm -rf "$work"' EXIT
attempt=1
while :; do
  rm -rf "$work/repo"
  git_auth clone -q --depth 1 --branch "$GITOPS_BRANCH" "$GITOPS_REPO" "$work/repo"
  for image in $IMAGES; do
    found=""
    for overlay in $OVERLAYS; do
      if grep -Eq "^[[:space:]-]*name: ${image%%=*}[[:space:]]*\$" "$work/repo/$overlay/kustomization.yaml"; then
        (cd "$work/repo" && "$workbench" set-image "$overlay" "$image")
        found=yes
      fi
    done
    if [ -z "$found" ]; then
      echo "set-image: no overlay of '$OVERLAYS' lists the image ${image%%=*}" >&2
      exit 2
    fi
  done
  if [ -z "$(git -C "$work/repo" status --porcelain)" ]; then
    echo "set-image: $OVERLAYS already run these images; nothing to commit"
    git -C "$work/repo" rev-parse HEAD > "${REVISION_FILE:-/dev/null}"
    exit 0
  fi
  git -C "$work/repo" add -A
  git -C "$work/repo" -c user.name="${GIT_AUTHOR_NAME:-workbench-ci}" \
    -c user.email="${GIT_AUTHOR_EMAIL:-workbench-ci@localhost}" commit -q -m "$MESSAGE"
  if git_auth -C "$work/repo" push -q origin "HEAD:$GITOPS_BRANCH"; then
    git -C "$work/repo" rev-parse HEAD | tee "${REVISION_FILE:-/dev/null}"
    exit 0
  fi
  if [ "$attempt" -ge 3 ]; then
    echo "set-image: push to $GITOPS_BRANCH rejected $attempt times" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
done
