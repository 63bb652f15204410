#!/bin/sh
# A throwaway PostgreSQL server for the tests and benchmarks: loopback only, on a free port,
# in a folder of its own, trusted logins for the local user `remedy`.
#
#   Tools/postgres-server/postgres-server.sh start DIR   # prints the ledger database's address
#   Tools/postgres-server/postgres-server.sh stop DIR
#   Tools/postgres-server/postgres-server.sh crash DIR    # stop -m immediate: as if the machine died
#   Tools/postgres-server/postgres-server.sh resume DIR   # start it again on its port
#
# Runs as the invoking user, or as `postgres` when invoked as root (initdb refuses root).
# Finds initdb and pg_ctl on PATH or under /usr/lib/postgresql/*/bin (Debian's packages).
set -eu
command=${1:?usage: postgres-server.sh start|stop DIR}
dir=${2:?usage: postgres-server.sh start|stop DIR}

bindir=$(dirname "$(readlink -f "$(command -v pg_ctl 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)")")
[ -x "$bindir/pg_ctl" ] || { echo "postgres-server.sh: no PostgreSQL server found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

serve() {
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $1 -k $dir -c fsync=on -c max_connections=300" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
}

case "$command" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bindir/initdb" -D "$dir/data" -U remedy --auth=trust --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    serve "$port"
    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U remedy remedy_test
    echo "$port" >"$dir/port"
    echo "postgres://remedy@127.0.0.1:$port/remedy_test"
    ;;
crash)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
resume)
    serve "$(cat "$dir/port")"
    ;;
stop)
    [ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
*)
    echo "usage: postgres-server.sh start|stop|crash|resume DIR" >&2
    exit 64
    ;;
esac
