#!/usr/bin/env bash
# The bare-stack floor: bench/floor/app.py (Flask + gevent + SQLite, nothing of Tavlan) under
# gunicorn on a free loopback port, then bench/floor/client.py with N streams; prints its JSON line.
#
#   bench/floor/run.sh N [WORKERS] [client options...]
#
# WORKERS > 1 starts a throwaway redis-server on another free loopback port so the workers share
# events (needs redis-server on PATH). PYTHON (default: the checkout's .venv/bin/python) must have
# the app's own dependencies (Flask, gunicorn, gevent, redis); the client needs only the standard
# library. Extra arguments go to the client (--changes, --interval, --spread, --settle).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${1:-1000}; workers=${2:-1}; shift $(( $# < 2 ? $# : 2 ))
python=${PYTHON:-$root/.venv/bin/python}

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # one descriptor per stream
tmp=$(mktemp -d)
server=; redis_pid=
cleanup() {  # SIGINT: gunicorn stops at once instead of waiting for the open streams
  if [ -n "$server" ]; then kill -INT "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ "$workers" -gt 1 ]; then
  command -v redis-server >/dev/null || { echo "run.sh: WORKERS > 1 needs redis-server" >&2; exit 2; }
  redis_port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --daemonize yes --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"
  export FLOOR_REDIS=redis://127.0.0.1:$redis_port/0
  for _ in $(seq 100); do
    "$python" -c 'import os, redis; redis.Redis.from_url(os.environ["FLOOR_REDIS"]).ping()' 2>/dev/null && break
    sleep 0.1
  done
  redis_pid=$(cat "$tmp/redis.pid")
fi

port=$(free_port)
FLOOR_DB=$tmp/floor.db "$python" -m gunicorn --chdir "$here" -k gevent -w "$workers" \
  --worker-connections 20000 --graceful-timeout 1 -b "127.0.0.1:$port" app:app >"$tmp/server.log" 2>&1 &
server=$!
up=
for _ in $(seq 300); do
  if "$python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/healthz', timeout=1)" 2>/dev/null; then up=1; break; fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
[ -n "$up" ] || { echo "run.sh: the floor server did not start:" >&2; cat "$tmp/server.log" >&2; exit 1; }

"$python" "$here/client.py" "http://127.0.0.1:$port" "$n" "$@"
