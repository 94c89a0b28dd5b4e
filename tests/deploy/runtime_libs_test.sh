#!/usr/bin/env bash
# runtime_libs_test.sh: check that deploy/docker/runtime-packages.txt provides every shared library
# the given binaries load.
#
#   tests/deploy/runtime_libs_test.sh [--packages FILE] [--closure] BINARY...
#
# For each BINARY: `ldd` lists the resolved libraries, `dpkg -S` maps each to its Debian package, and
# the test fails if a package is neither in runtime-packages.txt nor implicitly allowed (libc6,
# libgcc-s1, libstdc++6: in every debian:12-slim image or pulled in by any C++ package). A library
# that ldd cannot resolve ("not found") fails too. With --closure, packages pulled in through the
# Depends of listed packages (as installed on this machine) are accepted as well; without it every
# package must be listed, which keeps the Dockerfiles' install line explicit.
#
# Run on this machine (a Debian 12 build host with the runtime packages installed), on the binaries
# Bazel built:
#   bazel build -c opt //services:mef_server //services:maf_server //services:rsp_admin
#   tests/deploy/runtime_libs_test.sh bazel-bin/services/{mef_server,maf_server,rsp_admin}
# Under Bazel (//tests/deploy:runtime_libs_test) it checks a probe linked against every
# //third_party library the services use. Writes JUnit XML to $XML_OUTPUT_FILE when set.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkgfile=""
closure=0
bins=()
while [ $# -gt 0 ]; do
  case "$1" in
    --packages) pkgfile="$2"; shift 2 ;;
    --packages=*) pkgfile="${1#*=}"; shift ;;
    --closure) closure=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) bins+=("$1"); shift ;;
  esac
done
if [ -z "$pkgfile" ]; then
  for f in "${TEST_SRCDIR:-}/${TEST_WORKSPACE:-onem2m_rsp}/deploy/docker/runtime-packages.txt" \
           "$here/../../deploy/docker/runtime-packages.txt"; do
    if [ -f "$f" ]; then pkgfile="$f"; break; fi
  done
fi

cases=()   # "name|status|message"
add() { cases+=("$1|$2|$3"); echo "$(tr a-z A-Z <<<"${2:0:4}") $1${3:+: $3}"; }

write_junit() {
  [ -n "${XML_OUTPUT_FILE:-}" ] || return 0
  local n=${#cases[@]} f=0 s=0 c name status msg
  for c in "${cases[@]}"; do
    case "${c#*|}" in failed*) f=$((f+1)) ;; skipped*) s=$((s+1)) ;; esac
  done
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites><testsuite name=\"deploy.runtime_libs_test\" tests=\"$n\" failures=\"$f\" errors=\"0\" skipped=\"$s\">"
    for c in "${cases[@]}"; do
      IFS='|' read -r name status msg <<<"$c"
      msg="$(printf '%s' "$msg" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g')"
      case "$status" in
        passed) echo "<testcase classname=\"deploy.runtime_libs\" name=\"$name\"/>" ;;
        skipped) echo "<testcase classname=\"deploy.runtime_libs\" name=\"$name\"><skipped message=\"$msg\"/></testcase>" ;;
        *) echo "<testcase classname=\"deploy.runtime_libs\" name=\"$name\"><failure message=\"$msg\">$msg</failure></testcase>" ;;
      esac
    done
    echo "</testsuite></testsuites>"
  } >"$XML_OUTPUT_FILE"
}

finish() {
  local p=0 f=0 s=0 c
  for c in "${cases[@]}"; do
    case "${c#*|}" in passed*) p=$((p+1)) ;; failed*) f=$((f+1)) ;; skipped*) s=$((s+1)) ;; esac
  done
  write_junit
  echo "runtime_libs_test: $p passed, $f failed, $s skipped"
  [ "$f" -eq 0 ]
  exit $?
}

if [ -z "$pkgfile" ] || [ ! -f "$pkgfile" ]; then
  add packages_file failed "runtime-packages.txt not found"; finish
fi
if ! command -v ldd >/dev/null || ! command -v dpkg >/dev/null; then
  add tools skipped "ldd or dpkg missing (not a Debian host)"; finish
fi
if [ ${#bins[@]} -eq 0 ]; then
  add binaries skipped "no binary given (usage: $0 BINARY...)"; finish
fi

declare -A allowed=([libc6]=1 [libgcc-s1]=1 [libstdc++6]=1)
while read -r line; do
  line="${line%%#*}"; line="${line//[[:space:]]/}"
  [ -n "$line" ] && allowed[$line]=1
done <"$pkgfile"

if [ "$closure" -eq 1 ]; then
  # Depends closure over the installed package database (what apt-get would pull into the image).
  queue=("${!allowed[@]}")
  while [ ${#queue[@]} -gt 0 ]; do
    p="${queue[0]}"; queue=("${queue[@]:1}")
    deps="$(dpkg-query -W -f='${Depends},${Pre-Depends}' "$p" 2>/dev/null | tr ',' '\n' |
      sed 's/|.*//; s/(.*)//; s/:any//; s/[[:space:]]//g' | grep -v '^$' || true)"
    for d in $deps; do
      if [ -z "${allowed[$d]:-}" ]; then allowed[$d]=1; queue+=("$d"); fi
    done
  done
fi

for bin in "${bins[@]}"; do
  bname="$(basename "$bin")"
  if [ ! -e "$bin" ]; then
    add "$bname" skipped "$bin does not exist (not built yet)"; continue
  fi
  out="$(ldd "$bin" 2>&1)"
  if grep -q 'not a dynamic executable' <<<"$out"; then
    add "$bname" passed "static binary"; continue
  fi
  missing="$(grep 'not found' <<<"$out" | awk '{print $1}' | tr '\n' ' ')"
  bad=""
  npk=0
  declare -A seen=()
  # One `dpkg -S` for every candidate path of every library (a call per path took minutes on a
  # loaded machine): absolute paths match exactly; the answer lines are "pkg[, pkg]: path".
  libs=()
  while read -r lib; do [ -n "$lib" ] && libs+=("$lib"); done \
    < <(awk '/=>/ {print $3} !/=>/ && $1 ~ /^\// {print $1}' <<<"$out")
  declare -A owner=()
  cands=()
  for lib in "${libs[@]}"; do
    real="$(readlink -f "$lib")"
    cands+=("$lib" "$real" "${lib/#\/lib\//\/usr\/lib\/}" "${real/#\/usr\/lib\//\/lib\/}" "${lib/#\/usr\/lib\//\/lib\/}")
  done
  if [ "${#cands[@]}" -gt 0 ]; then
    while IFS= read -r line; do
      path="${line##*: }"; pkgs="${line%%: *}"
      [ -n "${owner[$path]:-}" ] || owner[$path]="${pkgs%%,*}"
    done < <(dpkg -S "${cands[@]}" 2>/dev/null)
  fi
  for lib in "${libs[@]}"; do
    # dpkg -S knows the path the package installed; /lib is a symlink to /usr/lib on Debian 12.
    real="$(readlink -f "$lib")"
    pkg=""
    for cand in "$lib" "$real" "${lib/#\/lib\//\/usr\/lib\/}" "${real/#\/usr\/lib\//\/lib\/}" "${lib/#\/usr\/lib\//\/lib\/}"; do
      pkg="${owner[$cand]:-}"
      pkg="${pkg%%:*}"  # "libfoo:amd64" -> "libfoo"
      [ -n "$pkg" ] && break
    done
    [ -n "$pkg" ] || { bad+="$lib(no package) "; continue; }
    [ -n "${seen[$pkg]:-}" ] && continue
    seen[$pkg]=1; npk=$((npk+1))
    [ -n "${allowed[$pkg]:-}" ] || bad+="$pkg($(basename "$lib")) "
  done
  unset owner
  unset seen
  if [ -n "$missing" ]; then
    add "$bname" failed "unresolved libraries: $missing"
  elif [ -n "$bad" ]; then
    add "$bname" failed "packages not in $(basename "$pkgfile"): $bad"
  else
    add "$bname" passed "$npk packages, all provided"
  fi
done
finish
