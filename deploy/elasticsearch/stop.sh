#!/usr/bin/env bash
# Stop the node started with start.sh RUN_DIR: SIGTERM to its pid, then wait until it is gone.
set -euo pipefail
RUN="${1:?run folder}"
[ -f "$RUN/es.pid" ] || { echo "es: no pid file in $RUN" >&2; exit 0; }
pid="$(cat "$RUN/es.pid")"
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || { echo "es: stopped ($pid)" >&2; exit 0; }
  sleep 1
done
echo "es: $pid did not stop in 60 s; killing it" >&2
kill -KILL "$pid" 2>/dev/null || true
