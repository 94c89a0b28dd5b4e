#!/bin/bash
# layering_test.sh: reads pairs "empty|nonempty <genquery output file>" (see BUILD) and fails,
# listing the labels, when a violations query found an edge or a closure query found nothing.
set -u
failed=0
while [ $# -ge 2 ]; do
  want="$1"
  file="$2"
  shift 2
  name="$(basename "$file")"
  count="$(grep -c . "$file" || true)"
  if [ "$want" = empty ] && [ "$count" -ne 0 ]; then
    echo "FAIL $name: $count label(s) break the layering of docs/architecture.md:"
    sed 's/^/  /' "$file"
    failed=1
  elif [ "$want" = nonempty ] && [ "$count" -eq 0 ]; then
    echo "FAIL $name: the query matched nothing (is the folder pattern still right?)"
    failed=1
  else
    echo "ok   $name ($count label(s))"
  fi
done
if [ $# -ne 0 ]; then
  echo "usage: layering_test.sh (empty|nonempty FILE)..." >&2
  exit 2
fi
exit "$failed"
