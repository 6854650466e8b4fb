#!/usr/bin/env bash
# `npm start`: sets up and runs the whole suite on this machine, in the foreground; Ctrl-C stops it.
# MongoDB: MONGODB_URI when set, otherwise the embedded test database (tools/test-db).
set -euo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true
export PATH="$PATH:/usr/local/go/bin"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "gatehouse: installing dependencies" >&2
  # `npm install` from the committed lock, not `npm ci`: the registry serves only some platforms'
# optional binaries (sass-embedded-*, @unrs/resolver-binding-*), so no lock can list them all
# and npm 11's `npm ci` rejects the lock. The installed versions are the locked ones.
npm install --no-audit --no-fund --loglevel=error
fi
echo "gatehouse: building" >&2
npx nx run-many -t build --projects=gateway,backend,ingest,processor,status --output-style=static >/dev/null

pids=()
stop() {
  trap - INT TERM EXIT
  echo "gatehouse: stopping" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

run() {
  local name=$1
  shift
  # Every line stays JSON; each app stamps its own service name.
  env "$@" node "dist/apps/$name/main.js" &
  pids+=($!)
}

if [ -z "${MONGODB_URI:-}" ]; then
  mongo_port=${TEST_DB_PORT:-27017}
  # Errors only: FerretDB's own warnings are plain text and would break the all-JSON output.
  tools/test-db/run.sh --addr "127.0.0.1:$mongo_port" --dir .data/test-db --log-level error &
  pids+=($!)
  export MONGODB_URI="mongodb://127.0.0.1:$mongo_port/gatehouse"
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$mongo_port") 2>/dev/null && break; sleep 0.1; done
fi

run backend PORT=3000
run gateway PORT=8080 BACKEND_URL=http://127.0.0.1:3000
run ingest PORT=3001
run processor PORT=3003
run status PORT=3002

echo "gatehouse: gateway http://127.0.0.1:8080  ingest http://127.0.0.1:3001  status http://127.0.0.1:3002  (Ctrl-C stops)" >&2
wait -n "${pids[@]}"
