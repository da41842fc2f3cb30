#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store's tests (tests/store/).
#
#   eval "$(.ci/postgres.sh start)"   # prints: export PUNCHCARD_PG_DSN=... PUNCHCARD_PG_DIR=...
#   python3 -m pytest                 # the PostgreSQL tests run against it
#   .ci/postgres.sh stop              # stops it (reads PUNCHCARD_PG_DIR, or takes the dir)
#
# start installs PostgreSQL from the Debian packages if its binaries are missing (as root, or
# with password-less sudo), initialises a cluster in a new temporary directory (as the postgres
# user when run as root: initdb refuses root), starts it on 127.0.0.1 on a free port and
# creates the database "punchcard". Only the export lines go to standard output; messages go to
# standard error. Every step has a time limit. If no server can be started, start says why and
# still exits 0 without exporting anything: the PostgreSQL tests are then skipped with a
# visible reason, never silently.
set -uo pipefail

say() { echo "postgres.sh: $*" >&2; }

find_bin() {
  local found
  # (resolved: /usr/local/bin/initdb may be a lone link to the real bin directory)
  found=$(command -v initdb 2>/dev/null) && { dirname "$(readlink -f "$found")"; return 0; }
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] && [ -x "$found/initdb" ] && { echo "$found"; return 0; }
  return 1
}

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

install_postgres() {
  say "PostgreSQL binaries not found; installing the Debian package postgresql"
  command -v apt-get >/dev/null 2>&1 || { say "no apt-get here"; return 1; }
  as_root env DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update -qq >&2 || return 1
  as_root env DEBIAN_FRONTEND=noninteractive timeout 600 \
    apt-get install -y -qq --no-install-recommends postgresql >&2 || return 1
}

# Run a command as the user that owns the cluster.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local bin dir port attempt
  if ! bin=$(find_bin); then
    install_postgres || true
    bin=$(find_bin) || { say "cannot install PostgreSQL: the PostgreSQL tests will be skipped"; return 0; }
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    say "running as root and there is no postgres user to run initdb as: the PostgreSQL tests will be skipped"
    return 0
  fi
  dir=$(mktemp -d /tmp/punchcard-pg.XXXXXX) || return 0
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  if ! timeout 120 bash -c "$(declare -f as_owner); as_owner \"$bin/initdb\" -D \"$dir/data\" -A trust -U postgres -E UTF8 --locale=C --no-sync" >"$dir/initdb.log" 2>&1; then
    say "initdb failed: $(tail -n 3 "$dir/initdb.log" | tr '\n' ' ')"
    say "the PostgreSQL tests will be skipped"
    rm -rf "$dir"
    return 0
  fi
  for attempt in 1 2 3; do
    port=$(free_port) || break
    if timeout 90 bash -c "$(declare -f as_owner); as_owner \"$bin/pg_ctl\" -D \"$dir/data\" -l \"$dir/server.log\" -w -t 60 -o \"-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off\" start" >&2; then
      if timeout 30 "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres punchcard >&2; then
        echo "$bin" >"$dir/bindir"
        say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $dir"
        echo "export PUNCHCARD_PG_DSN='postgresql://postgres@127.0.0.1:$port/punchcard?connect_timeout=10'"
        echo "export PUNCHCARD_PG_DIR='$dir'"
        return 0
      fi
      say "createdb failed"
      stop_dir "$dir"
      return 0
    fi
    say "the server did not start on port $port (attempt $attempt): $(tail -n 2 "$dir/server.log" 2>/dev/null | tr '\n' ' ')"
  done
  say "no server could be started: the PostgreSQL tests will be skipped"
  rm -rf "$dir"
  return 0
}

stop_dir() {
  local dir=$1 bin
  [ -d "$dir/data" ] || { say "nothing to stop in '$dir'"; return 0; }
  bin=$(cat "$dir/bindir" 2>/dev/null || find_bin)
  timeout 60 bash -c "$(declare -f as_owner); as_owner \"$bin/pg_ctl\" -D \"$dir/data\" -m fast -w -t 30 stop" >&2 \
    || say "pg_ctl stop failed; removing the data directory anyway"
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop_dir "${2:-${PUNCHCARD_PG_DIR:-}}" ;;
  *) say "usage: $0 start|stop [DIR]"; exit 2 ;;
esac
exit 0
