#!/usr/bin/env bash
# AfterInstall: apply the new revision's database migrations before it
# starts (one transaction under an advisory lock, so instances deploying at
# once take turns and the later ones find nothing to do). Without
# DATABASE_URL the service uses its own embedded database and migrates it
# when it starts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env

if [ -z "${DATABASE_URL:-}" ]; then
  log "DATABASE_URL is not set in $ENV_FILE: the service migrates its embedded database at start"
  exit 0
fi
cd "$APP_DIR"
node "$APP_DIR/bin/mod.js" --plain db migrate
