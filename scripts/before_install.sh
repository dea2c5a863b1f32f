#!/usr/bin/env bash
# BeforeInstall: prepare the directories the service uses.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$APP_DIR" "$RUN_DIR" "$LOG_DIR"
if [ ! -f "$ENV_FILE" ]; then
  log "warning: $ENV_FILE is missing; the service will use its defaults"
fi
log "directories ready under ${ROOT:-/}"
