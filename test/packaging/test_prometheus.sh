#!/usr/bin/env bash
# packaging/prometheus/alerts.yaml: `promtool check rules` (syntax, PromQL,
# templates) and `promtool test rules alerts_test.yaml` (each alert fires on
# the series it is meant for and stays quiet on healthy ones).
# Exit 77 (skipped) without promtool (Debian package prometheus).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$here/../../packaging/prometheus" && pwd)
command -v promtool >/dev/null || { echo "SKIP: no promtool (Debian package prometheus)"; exit 77; }
promtool check rules "$dir/alerts.yaml"
cd "$dir" && promtool test rules alerts_test.yaml
# Every alert the deployment guide promises is there.
for a in ScifindHighLatencyP95 ScifindHighErrorRate ScifindThroughputDrop ScifindHighMemory \
         ScifindProviderCircuitOpen ScifindDown; do
    grep -q "alert: $a\$" "$dir/alerts.yaml" || { echo "FAIL: alert $a missing"; exit 1; }
done
echo "prometheus rules: all checks passed"
