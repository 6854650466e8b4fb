#!/usr/bin/env sh
# Runs the test database (FerretDB over SQLite) in the foreground.
# Usage: tools/test-db/run.sh [--addr 127.0.0.1:27017] [--dir .data/test-db] [--log-level warn] [--sync normal|full]
# Builds tools/test-db/bin/test-db first when it is missing or stale (needs Go >= 1.24).
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
bin="$here/bin/test-db"
# Built when missing, or older than one of its sources.
if [ ! -x "$bin" ] || [ -n "$(find "$here" -maxdepth 1 \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$bin")" ]; then
  go_cmd=$(command -v go || true)
  [ -z "$go_cmd" ] && [ -x /usr/local/go/bin/go ] && go_cmd=/usr/local/go/bin/go
  if [ -z "$go_cmd" ]; then
    echo "test-db: Go >= 1.24 is required to build the test database; install it from https://go.dev/dl/ (tarball into /usr/local/go) and retry" >&2
    exit 1
  fi
  echo "test-db: building $bin" >&2
  (cd "$here" && "$go_cmd" build -o "$bin.tmp.$$" . && mv "$bin.tmp.$$" "$bin")
fi
addr=127.0.0.1:27017
dir="$here/../../.data/test-db"
level=warn
sync=normal
while [ $# -gt 0 ]; do
  case "$1" in
    --addr) addr=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --log-level) level=$2; shift 2 ;;
    --sync) sync=$2; shift 2 ;;
    *) echo "test-db: unknown argument $1 (use --addr HOST:PORT --dir DIR)" >&2; exit 2 ;;
  esac
done
exec "$bin" --addr "$addr" --dir "$dir" --log-level "$level" --sync "$sync"
