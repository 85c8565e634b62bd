#!/bin/sh
# CI build: one image with rootless BuildKit (no Docker daemon), pushed with its layer cache
# in the registry; writes the pushed digest to DIGEST_FILE.
# Env: SRC, DOCKERFILE (relative to SRC), TARGET (optional), IMAGE (registry/name, no tag),
# TAG, DIGEST_FILE; registry credentials come from DOCKER_CONFIG (a mounted Secret).
# PUSH=false (a pull request's build): build only. No push and no registry cache, in or out:
# the pod holds no registry credential (the pull request's RUN steps share BuildKit's process
# namespace), and nothing it builds reaches what main's builds read.
set -eu
: "${SRC:?}" "${DOCKERFILE:?}" "${IMAGE:?}" "${TAG:?}" "${DIGEST_FILE:?}"
push=${PUSH:-true}
case "$push" in
  true | false) ;;
  *) echo "build: PUSH must be true or false, got '$push'" >&2; exit 2 ;;
esac
metadata=$(mktemp "${TMPDIR:-/tmp}/build-metadata.XXXXXX")
set -- --frontend dockerfile.v0 \
  --local context="$SRC" --local dockerfile="$SRC/$(dirname "$DOCKERFILE")" \
  --opt filename="$(basename "$DOCKERFILE")" \
  --output "type=image,name=$IMAGE:$TAG,push=$push" \
  --metadata-file "$metadata"
if [ "$push" = true ]; then
  set -- "$@" \
    --import-cache "type=registry,ref=$IMAGE:buildcache" \
    --export-cache "type=registry,ref=$IMAGE:buildcache,mode=max"
fi
if [ -n "${TARGET:-}" ]; then
  set -- "$@" --opt target="$TARGET"
fi
buildctl-daemonless.sh build "$@"
digest=$(sed -n 's/.*"containerimage.digest": *"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' "$metadata")
if [ -z "$digest" ]; then
  echo "build: no containerimage.digest in BuildKit's metadata" >&2
  exit 1
fi
printf '%s' "$digest" > "$DIGEST_FILE"
if [ "$push" = true ]; then
  echo "pushed $IMAGE@$digest"
else
  echo "built $IMAGE@$digest (not pushed)"
fi
