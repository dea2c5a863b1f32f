#!/usr/bin/env bash
# ApplicationStart: start the service. Under systemd on EC2; as a detached
# background process (own session, output to a log file, pid file) locally.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if use_systemd; then
  systemctl start "$UNIT"
  log "systemd unit started"
  exit 0
fi

if pid="$(service_pid)"; then
  log "service already running as $pid; stopping it first"
  "$(dirname "$0")/application_stop.sh"
fi
load_env
mkdir -p "$RUN_DIR" "$LOG_DIR"
cd "$APP_DIR"
# The hook must not wait for the service: detach it from this shell's session
# and from its output pipes, as the CodeDeploy agent requires.
nohup setsid node "$APP_DIR/dist/service/main.js" >>"$SERVICE_LOG" 2>&1 </dev/null &
echo $! >"$PID_FILE"
log "service started as $(cat "$PID_FILE") on port ${PORT:-8080}"
