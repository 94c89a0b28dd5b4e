#!/bin/sh
# workspace_status.sh: Bazel's --workspace_status_command (set in .bazelrc). Prints the STABLE_ keys
# that //common/ops:build_info embeds in the binaries when they are built with --stamp; builds
# without --stamp never read them (they say "dev"/"unknown"), so this costs them nothing but the run.
#
#   STABLE_VERSION     `git describe --tags --always --dirty`, else the VERSION file at the root
#   STABLE_GIT_COMMIT  `git rev-parse HEAD`, else $ONEM2M_GIT_COMMIT (container builds have no .git:
#                      deploy/docker passes it as a build argument), else "unknown"
# It must never fail: a failing status command fails every build.
cd "$(dirname "$0")/../.." || exit 0

version=""
commit=""
if command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git rev-parse HEAD 2>/dev/null)
  version=$(git describe --tags --always --dirty 2>/dev/null)
fi
# Without a tag, describe gives only the short hash: the VERSION file names the release line then.
if [ -f VERSION ]; then
  file_version=$(tr -d ' \n' < VERSION)
  case "$version" in
    "" ) version="$file_version" ;;
    v[0-9]* | [0-9]*.* ) ;;
    * ) version="${file_version}+g${version}" ;;
  esac
fi
[ -n "$commit" ] || commit="${ONEM2M_GIT_COMMIT:-unknown}"
[ -n "$version" ] || version="unknown"

echo "STABLE_VERSION ${version}"
echo "STABLE_GIT_COMMIT ${commit}"
