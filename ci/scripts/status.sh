#!/bin/sh
# CI report: the workflow's result as a GitHub commit status on the commit it tested, so the
# pull request shows it (POST /repos/OWNER/REPO/statuses/SHA with state, target_url,
# description, context). Env: GITHUB_REPOSITORY (OWNER/REPO), REVISION (the commit SHA),
# STATUS (pending, or Argo's {{workflow.status}}: Succeeded, Failed, Error), TARGET_URL (the
# workflow in the Argo UI), CONTEXT (default workbench/ci), DESCRIPTION (optional),
# GITHUB_API (default https://api.github.com), GITHUB_TOKEN (a Secret; it goes to curl in a
# header file, never in an argument or the output).
set -eu
: "${GITHUB_REPOSITORY:?}" "${REVISION:?}" "${STATUS:?}" "${TARGET_URL:?}" "${GITHUB_TOKEN:?}"
case "$GITHUB_REPOSITORY" in
  */*/* | /* | */ | *..* | *[!A-Za-z0-9_./-]*)
    echo "status: GITHUB_REPOSITORY '$GITHUB_REPOSITORY' is not OWNER/REPO" >&2; exit 2 ;;
esac
case "$REVISION" in
  *[!0-9a-f]*) echo "status: REVISION '$REVISION' is not a commit SHA" >&2; exit 2 ;;
esac
if [ "${#REVISION}" -ne 40 ] && [ "${#REVISION}" -ne 64 ]; then
  echo "status: REVISION '$REVISION' is not a full commit SHA" >&2; exit 2
fi
case "$STATUS" in
  pending | Pending | Running) state=pending; text="CI is running" ;;
  success | Succeeded) state=success; text="CI passed" ;;
  failure | Failed) state=failure; text="CI failed" ;;
  error | Error) state=error; text="CI could not run to the end" ;;
  *) echo "status: STATUS '$STATUS' is not pending, Succeeded, Failed or Error" >&2; exit 2 ;;
esac
headers=$(umask 077 && mktemp "${TMPDIR:-/tmp}/github-headers.XXXXXX")
trap 'rm -f "$headers"' EXIT
printf 'Authorization: Bearer %s\nAccept: application/vnd.github+json\nX-GitHub-Api-Version: 2022-11-28\nContent-Type: application/json\n' \
  "$GITHUB_TOKEN" > "$headers"
# GitHub keeps 140 characters of a description; json.dumps quotes whatever the values hold
body=$(STATE="$state" TEXT="${DESCRIPTION:-$text}" python3 -c '
import json, os
print(json.dumps({
    "state": os.environ["STATE"],
    "target_url": os.environ["TARGET_URL"],
    "description": os.environ["TEXT"][:140],
    "context": os.environ.get("CONTEXT") or "workbench/ci",
}))')
url="${GITHUB_API:-https://api.github.com}/repos/$GITHUB_REPOSITORY/statuses/$REVISION"
curl -fsS --retry 3 --max-time 30 -X POST -H "@$headers" --data "$body" -o /dev/null "$url"
echo "status: $state on $GITHUB_REPOSITORY@$REVISION"
