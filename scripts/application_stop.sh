#!/usr/bin/env bash
# ApplicationStop: stop the running service gracefully (SIGTERM lets it finish
# in-flight requests and close its DB pool), then make sure it is gone.
# CodeDeploy runs this from the previously installed revision.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if use_systemd; then
  systemctl stop "$UNIT" || true
  log "systemd unit stopped"
  exit 0
fi

if ! pid="$(service_pid)"; then
  log "service not running"
  rm -f "$PID_FILE"
  exit 0
fi
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 300); do
  is_running "$pid" || break
  sleep 0.05
done
if is_running "$pid"; then
  log "service $pid did not stop within 15s, killing it"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$PID_FILE"
log "service $pid stopped"
