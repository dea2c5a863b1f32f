#!/usr/bin/env bash
# AfterInstall: on EC2, install the systemd unit shipped in the bundle.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if use_systemd; then
  install -m 0644 "$APP_DIR/deploy/mod.service" /etc/systemd/system/mod.service
  systemctl daemon-reload
  log "systemd unit installed"
else
  log "installed to $APP_DIR"
fi
