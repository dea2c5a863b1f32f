#!/usr/bin/env bash
# ValidateService: the new revision must answer /readyz (process up, database
# reachable, model loaded) before traffic is allowed back.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env

port="${PORT:-8080}"
deadline=$((SECONDS + ${VALIDATE_TIMEOUT_SECONDS:-60}))
url="http://127.0.0.1:${port}/readyz"
ready() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null
  else
    node -e "fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$url"
  fi
}
until ready; do
  if ! use_systemd && ! service_pid >/dev/null; then
    log "the service process exited; last lines of $SERVICE_LOG:"
    tail -n 20 "$SERVICE_LOG" 2>/dev/null || true
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "$url did not answer OK within ${VALIDATE_TIMEOUT_SECONDS:-60}s; last lines of $SERVICE_LOG:"
    tail -n 20 "$SERVICE_LOG" 2>/dev/null || true
    exit 1
  fi
  sleep 0.05
done
log "$url is ready"
