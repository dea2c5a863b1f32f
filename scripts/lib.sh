# Shared by the CodeDeploy lifecycle hooks. The same scripts run on EC2 and on
# the local provider's instances: on EC2 MOD_INSTANCE_ROOT is unset and the
# paths below are the host's real ones (the service runs under systemd); the
# local provider sets MOD_INSTANCE_ROOT to the instance's directory and the
# service runs as a plain background process.
ROOT="${MOD_INSTANCE_ROOT:-}"
APP_DIR="$ROOT/opt/mod"
ENV_FILE="$ROOT/etc/mod/service.env"
RUN_DIR="$ROOT/var/run/mod"
LOG_DIR="$ROOT/var/log/mod"
PID_FILE="$RUN_DIR/service.pid"
SERVICE_LOG="$LOG_DIR/service.log"
UNIT=mod.service

log() { echo "[$(date -u +%H:%M:%S)] ${LIFECYCLE_EVENT:-hook} ${MOD_INSTANCE_ID:-$(hostname)}: $*"; }

use_systemd() {
  [ -z "$ROOT" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]
}

load_env() {
  if [ -f "$ENV_FILE" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
  fi
}

# A process that exited but is not reaped yet (a zombie, until init collects
# it) still answers kill -0: it is not running.
is_running() {
  kill -0 "$1" 2>/dev/null || return 1
  case "$(ps -o stat= -p "$1" 2>/dev/null)" in
    Z*) return 1 ;;
  esac
  return 0
}

service_pid() {
  if [ -f "$PID_FILE" ]; then
    local pid
    pid="$(cat "$PID_FILE")"
    if [ -n "$pid" ] && is_running "$pid"; then
      echo "$pid"
      return 0
    fi
  fi
  return 1
}
