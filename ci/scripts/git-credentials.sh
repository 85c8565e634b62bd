#!/bin/sh
# Sourced by the CI scripts: git asks this helper for credentials, which come from the
# environment (GIT_USERNAME, GIT_PASSWORD = a token, from a Secret), so they never appear in a
# URL, an argument, the remote's config or a log. Unset variables mean anonymous access.
git_credentials() {
  if [ -n "${GIT_PASSWORD:-}" ]; then
    # shellcheck disable=SC2016  # expanded by git's shell when it calls the helper, not here
    printf '%s' '!f() { test "$1" = get || exit 0; echo "username=${GIT_USERNAME:-x-access-token}"; echo "password=${GIT_PASSWORD}"; }; f'
  fi
}

# git with the helper configured for this one command
git_auth() {
  git -c credential.helper= -c "credential.helper=$(git_credentials)" "$@"
}
