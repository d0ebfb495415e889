#!/usr/bin/env bash
# Run a command with real PostgreSQL and Redis: the ones in DATABASE_URL / REDIS_URL when set,
# otherwise throwaway servers started here from the installed binaries (installing the Debian
# packages when root and missing) and removed on exit.
set -euo pipefail

workdir=$(mktemp -d /tmp/hotline-test.XXXXXX)
pids=()
pg_bin=""
pg_data=""
run_as=()

cleanup() {
  if [ -n "$pg_data" ] && [ -n "$pg_bin" ]; then
    "${run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1 || true
  fi
  for pid in "${pids[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" >/dev/null 2>&1 || true
  done
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing $* and not root: install it, or set DATABASE_URL / REDIS_URL" >&2
    exit 1
  fi
  echo "installing Debian packages: $*" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

find_pg_bin() {
  local candidate
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$candidate/initdb" ] && { echo "$candidate"; return; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

if [ -z "${DATABASE_URL:-}" ]; then
  pg_bin=$(find_pg_bin || true)
  if [ -z "$pg_bin" ]; then
    apt_install postgresql
    pg_bin=$(find_pg_bin)
  fi
  pg_data="$workdir/pg"
  port=$(free_port)
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root: run it as the unprivileged postgres user.
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chmod 755 "$workdir"
    mkdir -p "$pg_data" && chown postgres "$pg_data"
    run_as=(runuser -u postgres --)
  else
    run_as=(env)
  fi
  "${run_as[@]}" "$pg_bin/initdb" -D "$pg_data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k $pg_data -F -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  "${run_as[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres hotline_test
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/hotline_test"
  echo "throwaway PostgreSQL on port $port" >&2
fi

if [ -z "${REDIS_URL:-}" ]; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$workdir" --daemonize no >"$workdir/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export REDIS_URL="redis://127.0.0.1:$port/0"
  echo "throwaway Redis on port $port" >&2
fi

# Browser tests (tests/browser) drive Debian's chromium; install it only when there are some.
if [ -d tests/browser ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi

"$@"
