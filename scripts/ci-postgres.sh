#!/usr/bin/env bash
# Starts Debian's PostgreSQL for the storage tests and prints ONE line on stdout: its connection URL,
#   postgres://hddt:hddt@127.0.0.1:<port>/hddt_test
# for HDDT_TEST_PG_URL. Installs nothing (CI installs the `postgresql` package first). Runs as root;
# the cluster runs as the postgres user. Idempotent: reuses a running cluster, role and database.
# The role may create databases: tests make one per suite (hddt_t_*) and drop it; leftovers from
# interrupted runs are dropped here.
set -euo pipefail
exec 3>&1 1>&2 # everything but the URL goes to stderr

if ! command -v pg_lsclusters >/dev/null; then
  echo "ci-postgres: Debian's postgresql-common is not installed (apt-get install -y postgresql)" >&2
  exit 1
fi

# The newest installed server version (Debian bookworm: 15).
version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)
if [ -z "$version" ] || [ ! -x "/usr/lib/postgresql/$version/bin/postgres" ]; then
  echo "ci-postgres: no PostgreSQL server found under /usr/lib/postgresql" >&2
  exit 1
fi
cluster=main

if ! pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  pg_createcluster "$version" "$cluster" >/dev/null
fi
port=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $3 }')
status=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $4 }')
if [ "$status" != "online" ]; then
  # Containers have no systemd: start the cluster directly.
  # The server must inherit none of the caller's pipes (fd 3 is often a $(...) pipe, fds 1 and 2 the CI
  # runner's): a daemon holding one open keeps the reader waiting for end-of-file for ever.
  log=$(mktemp)
  if ! (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start </dev/null >"$log" 2>&1
  ); then
    cat "$log" >&2
    exit 1
  fi
  rm -f "$log"
fi

for _ in $(seq 1 60); do
  if pg_isready -q -h 127.0.0.1 -p "$port"; then break; fi
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$port" || { echo "ci-postgres: server on port $port is not ready" >&2; exit 1; }

psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }

psql_admin -d postgres <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hddt') THEN
    CREATE ROLE hddt LOGIN CREATEDB PASSWORD 'hddt';
  ELSE
    ALTER ROLE hddt LOGIN CREATEDB PASSWORD 'hddt';
  END IF;
END
$$;
SQL

if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'hddt_test'")" != "1" ]; then
  psql_admin -d postgres -c "CREATE DATABASE hddt_test OWNER hddt"
fi

# Per-suite databases left by interrupted test runs: hddt_t_<pid>_…, dropped when process <pid> is gone
# (a test run going on beside this one keeps its databases).
for db in $(psql_admin -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'hddt\_t\_%'"); do
  pid=$(echo "$db" | cut -d_ -f3)
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
  psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
done

echo "postgres://hddt:hddt@127.0.0.1:$port/hddt_test" >&3
