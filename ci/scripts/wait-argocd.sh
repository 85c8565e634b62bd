#!/bin/sh
# CI gate: wait until Argo CD reports APP synced to REVISION and healthy.
# Env: ARGOCD_SERVER (https URL), APP, REVISION (the GitOps commit), ARGOCD_AUTH_TOKEN (Secret),
# TIMEOUT_SECONDS (default 900). The token goes to curl in a header file, not an argument.
set -eu
: "${ARGOCD_SERVER:?}" "${APP:?}" "${REVISION:?}" "${ARGOCD_AUTH_TOKEN:?}"
headers=$(umask 077 && mktemp "${TMPDIR:-/tmp}/argocd-headers.XXXXXX")
trap 'rm -f "$headers"' EXIT
printf 'Authorization: Bearer %s\n' "$ARGOCD_AUTH_TOKEN" > "$headers"
deadline=$(( $(date +%s) + ${TIMEOUT_SECONDS:-900} ))
while :; do
  state=$(curl -fsS -H "@$headers" "$ARGOCD_SERVER/api/v1/applications/$APP" | python3 -c '
import json, sys
app = json.load(sys.stdin).get("status", {})
print(app.get("sync", {}).get("status", ""), app.get("sync", {}).get("revision", ""),
      app.get("health", {}).get("status", ""))') || state="unreachable"
  echo "$APP: $state"
  case "$state" in
    "Synced $REVISION Healthy") exit 0 ;;
  esac
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "wait-argocd: $APP not synced to $REVISION and healthy in time" >&2
    exit 1
  fi
  sleep 10
done
