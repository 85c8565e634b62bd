#!/bin/sh
# CI step 1: check out REPOSITORY at REVISION (a commit SHA) into DEST, nothing else.
# Env: REPOSITORY, REVISION, DEST; optional GIT_USERNAME / GIT_PASSWORD (Secret).
set -eu
here=$(dirname "$0")
# shellcheck source=ci/scripts/git-credentials.sh
. "$here/git-credentials.sh"

: "${REPOSITORY:?REPOSITORY is not set}" "${REVISION:?REVISION is not set}" "${DEST:?DEST is not set}"
case "$REVISION" in
  *[!0-9a-f]* | "") echo "clone: REVISION must be a commit SHA, got '$REVISION'" >&2; exit 2 ;;
esac

git init -q "$DEST"
cd "$DEST"
git remote add origin "$REPOSITORY"
# fetch exactly the commit the webhook named, not whatever the branch points at by now
git_auth fetch -q --depth 1 origin "$REVISION"
git checkout -q --detach FETCH_HEAD
test "$(git rev-parse HEAD)" = "$REVISION"
echo "checked out $REVISION"
