#!/bin/sh
# CI promotion: set images in OVERLAY of the GitOps branch and push one commit.
# Env: GITOPS_REPO, GITOPS_BRANCH, OVERLAY (folder in that repository), IMAGES (space separated
# NAME=NEWNAME@sha256:DIGEST, as `workbench set-image` takes them), MESSAGE; optional
# GIT_USERNAME / GIT_PASSWORD (Secret), WORKBENCH (the workbench command), WORKDIR.
# Digests only: what staging tested is byte for byte what production runs.
# Another push in between (Argo CD image updater, a person) is retried on top, three times.
set -eu
here=$(dirname "$0")
# shellcheck source=ci/scripts/git-credentials.sh
. "$here/git-credentials.sh"

: "${GITOPS_REPO:?}" "${GITOPS_BRANCH:?}" "${OVERLAY:?}" "${IMAGES:?}" "${MESSAGE:?}"
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
  # shellcheck disable=SC2086  # one argument per image
  (cd "$work/repo" && "$workbench" set-image "$OVERLAY" $IMAGES)
  if [ -z "$(git -C "$work/repo" status --porcelain -- "$OVERLAY")" ]; then
    echo "set-image: $OVERLAY already runs these images; nothing to commit"
    exit 0
  fi
  git -C "$work/repo" add -- "$OVERLAY"
  git -C "$work/repo" -c user.name="${GIT_AUTHOR_NAME:-workbench-ci}" \
    -c user.email="${GIT_AUTHOR_EMAIL:-workbench-ci@localhost}" commit -q -m "$MESSAGE"
  if git_auth -C "$work/repo" push -q origin "HEAD:$GITOPS_BRANCH"; then
    git -C "$work/repo" rev-parse HEAD
    exit 0
  fi
  if [ "$attempt" -ge 3 ]; then
    echo "set-image: push to $GITOPS_BRANCH rejected $attempt times" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
done
