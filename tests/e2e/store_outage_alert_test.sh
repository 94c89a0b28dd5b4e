#!/usr/bin/env bash
# Runs store_outage_alert_test.py (see there) under `bazel test //tests/e2e:store_outage_alert_test`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/store_outage_alert_test.py"
