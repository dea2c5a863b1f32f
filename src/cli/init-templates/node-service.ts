// What `mod init` writes into a repository: mod.config.yml, appspec.yml,
// buildspec.yml and the CodeDeploy hooks in scripts/, for a Node service
// that listens on $PORT and answers GET /healthz. Modelled on this repo's
// own files (same lifecycle, same lib.sh layout, so the scripts run unchanged
// on EC2 and on the local provider's instances), minus what only the
// moderation service needs (its model check, migrations hook and systemd
// unit). Kept as strings so the build ships them inside dist/.

export interface NodeServiceTemplate {
  /** mod.config.yml's `app` and the install directory /opt/<app>. */
  app: string;
  /** The file node starts, relative to the repository root (package.json `main`, else index.js). */
  entry: string;
  /** Whether package.json has a build script (buildspec then runs it). */
  hasBuildScript: boolean;
}

export interface TemplateFile {
  path: string;
  content: string;
  executable: boolean;
}

export function nodeServiceFiles(t: NodeServiceTemplate): TemplateFile[] {
  const file = (path: string, content: string, executable = false): TemplateFile => ({ path, content, executable });
  return [
    file('mod.config.yml', modConfig(t)),
    file('appspec.yml', appspec(t)),
    file('buildspec.yml', buildspec(t)),
    file('scripts/lib.sh', libSh(t)),
    file('scripts/application_stop.sh', APPLICATION_STOP, true),
    file('scripts/before_install.sh', BEFORE_INSTALL, true),
    file('scripts/application_start.sh', APPLICATION_START, true),
    file('scripts/validate_service.sh', VALIDATE_SERVICE, true),
  ];
}

const modConfig = (t: NodeServiceTemplate) => `# Environments of ${t.app}, written by \`mod init\`. \`mod deploy --env stage\`
# ships the stage branch; production ships master. Every key: mod's README.
app: ${t.app}
environments:
  stage:
    branch: stage
    aliases: [staging]
    provider: local
    instances: 2
    rollout: OneAtATime
    healthCheck:
      path: /healthz
    autoRollback: true
  production:
    branch: master
    aliases: [prod]
    provider: local
    instances: 2
    rollout: OneAtATime
    autoRollback: true
    requireConfirmation: true
    # Release gates: production gets all five by default. Uncomment to tune
    # them (approval fails until approvers or a team are listed).
    # gates:
    #   ticket: { patterns: ['\\b[A-Z]+-\\d+\\b'] }
    #   peer-review: { label: LGTM }
    #   migrations: false
    #   approval: { approvers: [your-manager] }
    #   window: { timezone: UTC, days: [Mon, Tue, Wed, Thu], from: '10:00', to: '18:00' }
`;

const appspec = (t: NodeServiceTemplate) => `# CodeDeploy in-place deployment of ${t.app} (written by \`mod init\`). The
# local provider runs the same file and scripts on local instances.
version: 0.0
os: linux
files:
  - source: /
    destination: /opt/${t.app}
file_exists_behavior: OVERWRITE
hooks:
  ApplicationStop:
    - location: scripts/application_stop.sh
      timeout: 60
  BeforeInstall:
    - location: scripts/before_install.sh
      timeout: 60
  ApplicationStart:
    - location: scripts/application_start.sh
      timeout: 60
  ValidateService:
    - location: scripts/validate_service.sh
      timeout: 90
`;

const buildspec = (t: NodeServiceTemplate) => `# CodeBuild (and mod's local build) for ${t.app}, written by \`mod init\`:
# install${t.hasBuildScript ? ', build' : ''}, record the revision, ship production dependencies only.
version: 0.2
env:
  variables:
    npm_config_fund: "false"
    npm_config_audit: "false"
phases:
  install:
    commands:
      - if [ -f package-lock.json ]; then npm ci --prefer-offline; else npm install --prefer-offline; fi
  build:
    commands:
${t.hasBuildScript ? '      - npm run build\n' : ''}      - node -e "require('fs').writeFileSync('revision.json', JSON.stringify({commit:process.env.CODEBUILD_RESOLVED_SOURCE_VERSION, builtAt:new Date().toISOString()}))"
  post_build:
    commands:
      - npm prune --omit=dev
artifacts:
  files:
    - '**/*'
`;

const libSh = (t: NodeServiceTemplate) => `# Shared by the CodeDeploy lifecycle hooks (written by \`mod init\`). The same
# scripts run on EC2 and on mod's local instances: on EC2 MOD_INSTANCE_ROOT is
# unset and the paths below are the host's own; the local provider sets it to
# the instance's directory.
ROOT="\${MOD_INSTANCE_ROOT:-}"
APP_DIR="$ROOT/opt/${t.app}"
ENV_FILE="$ROOT/etc/mod/service.env"
RUN_DIR="$ROOT/var/run/${t.app}"
LOG_DIR="$ROOT/var/log/${t.app}"
PID_FILE="$RUN_DIR/service.pid"
SERVICE_LOG="$LOG_DIR/service.log"
# What starts the service, and the path that answers 200 once it is ready.
ENTRY="$APP_DIR/${t.entry}"
HEALTH_PATH=/healthz

log() { echo "[$(date -u +%H:%M:%S)] \${LIFECYCLE_EVENT:-hook} \${MOD_INSTANCE_ID:-$(hostname)}: $*"; }

load_env() {
  if [ -f "$ENV_FILE" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
  fi
}

# A process that exited but is not reaped yet (a zombie) still answers kill -0: it is not running.
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
`;

const APPLICATION_STOP = `#!/usr/bin/env bash
# ApplicationStop: stop the running service gracefully (SIGTERM lets it
# finish in-flight requests), then make sure it is gone. CodeDeploy runs this
# from the previously installed revision.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

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
`;

const BEFORE_INSTALL = `#!/usr/bin/env bash
# BeforeInstall: prepare the directories the service uses.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$APP_DIR" "$RUN_DIR" "$LOG_DIR"
log "directories ready under \${ROOT:-/}"
`;

const APPLICATION_START = `#!/usr/bin/env bash
# ApplicationStart: start the service as a detached background process (own
# session, output to a log file, pid file): the hook must not wait for it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if pid="$(service_pid)"; then
  log "service already running as $pid; stopping it first"
  "$(dirname "$0")/application_stop.sh"
fi
load_env
mkdir -p "$RUN_DIR" "$LOG_DIR"
cd "$APP_DIR"
nohup setsid node "$ENTRY" >>"$SERVICE_LOG" 2>&1 </dev/null &
echo $! >"$PID_FILE"
log "service started as $(cat "$PID_FILE") on port \${PORT:-8080}"
`;

const VALIDATE_SERVICE = `#!/usr/bin/env bash
# ValidateService: the new revision must answer $HEALTH_PATH before traffic
# is allowed back.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
load_env

port="\${PORT:-8080}"
deadline=$((SECONDS + \${VALIDATE_TIMEOUT_SECONDS:-60}))
url="http://127.0.0.1:\${port}\${HEALTH_PATH}"
ready() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null
  else
    node -e "fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$url"
  fi
}
until ready; do
  if ! service_pid >/dev/null; then
    log "the service process exited; last lines of $SERVICE_LOG:"
    tail -n 20 "$SERVICE_LOG" 2>/dev/null || true
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "$url did not answer OK within \${VALIDATE_TIMEOUT_SECONDS:-60}s; last lines of $SERVICE_LOG:"
    tail -n 20 "$SERVICE_LOG" 2>/dev/null || true
    exit 1
  fi
  sleep 0.1
done
log "$url is ready"
`;
