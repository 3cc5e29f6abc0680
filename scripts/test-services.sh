#!/usr/bin/env bash
# A throwaway PostgreSQL and Redis for the test suite, on free loopback ports.
#
#   dir=$(mktemp -d /tmp/tavlan-test.XXXXXX)
#   scripts/test-services.sh start "$dir"     # then: source "$dir/env"
#   scripts/test-services.sh stop "$dir"      # stops both servers and removes $dir
#
# Failure tests stop and start one server and keep $dir, its data and its port:
#   scripts/test-services.sh stop-redis|start-redis|stop-postgres|start-postgres "$dir"
# (Redis keeps no data over a restart, as in production without persistence.)
#
# start writes $dir/env with TEST_DATABASE_URL, TEST_MIGRATIONS_DATABASE_URL, TEST_REDIS_URL,
# TEST_PG_ADMIN_URL, TEST_PGBIN and TEST_PGDATA. Data, sockets and logs all live in $dir.
# As root the PostgreSQL programs run as the `postgres` user (initdb refuses root), which is why
# $dir must be somewhere postgres can enter, such as /tmp.
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|stop-redis|start-redis|stop-postgres|start-postgres DIR" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
action=$1
dir=$2
marker=.tavlan-test-services   # stop only deletes a directory that start has used

fail() {
    echo "test-services: $*" >&2
    exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Run a PostgreSQL server program: as postgres when we are root, directly otherwise.
as_pg() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

find_pgbin() {
    local bin
    if [[ -n ${PGBIN:-} ]]; then
        echo "$PGBIN"
        return
    fi
    bin=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1 || true)
    if [[ -z $bin ]] && command -v pg_config >/dev/null 2>&1; then
        bin=$(pg_config --bindir)
    fi
    [[ -n $bin && -x $bin/initdb ]] || fail "no PostgreSQL server found (initdb); run scripts/system-deps.sh"
    echo "$bin"
}

# Print a free loopback TCP port. The kernel picks it; a collision with another process that
# binds in the short gap before our server does is retried by the callers.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now_ms() {
    local t=${EPOCHREALTIME:-}
    if [[ -n $t ]]; then
        t=${t/[.,]/}
        echo $((t / 1000))
    else
        echo $(($(date +%s%N) / 1000000))
    fi
}

log_tail() {
    echo "---- last lines of $1 ----" >&2
    tail -n 30 "$1" >&2 2>/dev/null || echo "(no log)" >&2
    echo "----" >&2
}

log_lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }

# Did the server log "Address already in use" after its first $2 lines? Then another process
# took the free port we picked before the server bound it, and a retry on a new port helps.
port_taken() { tail -n "+$(($2 + 1))" "$1" 2>/dev/null | grep -q 'Address already in use'; }

start_postgres() {
    local pgbin=$1 pgdata=$dir/pgdata log=$dir/postgres.log attempt seen
    if ! as_pg "$pgbin/initdb" -D "$pgdata" -A trust -U postgres --no-sync -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
        log_tail "$dir/initdb.log"
        fail "initdb failed"
    fi
    for attempt in 1 2 3; do
        pg_port=$(free_port)
        seen=$(log_lines "$log")
        if as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$log" -w -t 30 -s \
            -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start </dev/null; then
            return 0
        fi
        log_tail "$log"
        port_taken "$log" "$seen" || fail "PostgreSQL did not start"
        echo "test-services: port $pg_port was taken (attempt $attempt); trying another" >&2
    done
    fail "PostgreSQL did not start"
}

create_databases() {
    local pgbin=$1
    if ! "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
        -c "CREATE ROLE board LOGIN PASSWORD 'board'" \
        -c "CREATE DATABASE board OWNER board" \
        -c "CREATE DATABASE board_migrations OWNER board" </dev/null >"$dir/createdb.log" 2>&1; then
        cat "$dir/createdb.log" >&2
        log_tail "$dir/postgres.log"
        fail "could not create the test role and databases"
    fi
}

start_redis() {
    local log=$dir/redis.log attempt _ seen
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        fail "redis-server/redis-cli not found; run scripts/system-deps.sh"
    fi
    for attempt in 1 2 3; do
        redis_port=$(free_port)
        seen=$(log_lines "$log")
        rm -f "$dir/redis.pid"
        if redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$log" </dev/null; then
            # The daemonized server writes its pidfile and starts listening a moment later.
            for _ in $(seq 1 100); do
                if [[ -s $dir/redis.pid ]] && redis_ping "$redis_port"; then
                    return 0
                fi
                port_taken "$log" "$seen" && break
                sleep 0.05
            done
        fi
        echo "test-services: Redis did not answer on port $redis_port" >&2
        log_tail "$log"
        stop_redis
        port_taken "$log" "$seen" || fail "Redis did not start"
        echo "test-services: port $redis_port was taken (attempt $attempt); trying another" >&2
    done
    fail "Redis did not start"
}

redis_ping() {
    [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

write_env() {
    local pgbin=$1
    {
        echo "# Written by scripts/test-services.sh; source it."
        printf 'export TEST_DATABASE_URL=%q\n' "postgresql+psycopg://board:board@127.0.0.1:$pg_port/board"
        printf 'export TEST_MIGRATIONS_DATABASE_URL=%q\n' "postgresql+psycopg://board:board@127.0.0.1:$pg_port/board_migrations"
        printf 'export TEST_REDIS_URL=%q\n' "redis://127.0.0.1:$redis_port/0"
        printf 'export TEST_PG_ADMIN_URL=%q\n' "postgresql://postgres@127.0.0.1:$pg_port/postgres"
        printf 'export TEST_PGBIN=%q\n' "$pgbin"
        printf 'export TEST_PGDATA=%q\n' "$dir/pgdata"
    } >"$dir/env"
    chmod a+r "$dir/env"
}

# True while $1 is a live process. A daemon's parent is PID 1, which may take a while to reap it,
# and kill -0 succeeds on a zombie, so look at the state in /proc too.
running() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

stop_redis() {
    local pid _
    [[ -s $dir/redis.pid ]] || return 0
    # Read the pid first: Redis deletes its pidfile as it exits.
    pid=$(<"$dir/redis.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 250); do
        running "$pid" || return 0
        sleep 0.02
    done
    echo "test-services: Redis (pid $pid) ignored SIGTERM for 5 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

stop_postgres() {
    local pgbin=$1 pgdata=$dir/pgdata
    [[ -f $pgdata/postmaster.pid ]] || return 0
    if ! as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w -t 30 -s stop </dev/null; then
        echo "test-services: pg_ctl stop -m fast failed; trying immediate" >&2
        as_pg "$pgbin/pg_ctl" -D "$pgdata" -m immediate -w -t 10 -s stop </dev/null || true
    fi
}

case $action in
start)
    [[ -d $dir ]] || fail "$dir is not a directory (create it with mktemp -d /tmp/tavlan-test.XXXXXX)"
    dir=$(cd "$dir" && pwd)
    (( ${#dir} < 90 )) || fail "$dir is too long for a Unix socket path; use mktemp -d /tmp/tavlan-test.XXXXXX"
    [[ -z $(ls -A "$dir") ]] || fail "$dir is not empty"
    touch "$dir/$marker"
    if is_root; then
        id postgres >/dev/null 2>&1 || fail "no postgres user (is the postgresql package installed?)"
        chown postgres: "$dir"
        chmod 0700 "$dir"
    fi
    cd "$dir"   # postgres cannot enter root's home; avoid "could not change directory" noise
    pgbin=$(find_pgbin)
    t0=$(now_ms)
    start_postgres "$pgbin"
    create_databases "$pgbin"
    t1=$(now_ms)
    start_redis
    t2=$(now_ms)
    write_env "$pgbin"
    echo "test-services: PostgreSQL on 127.0.0.1:$pg_port ($((t1 - t0)) ms)," \
        "Redis on 127.0.0.1:$redis_port ($((t2 - t1)) ms); env in $dir/env"
    ;;
stop)
    [[ -d $dir ]] || exit 0
    dir=$(cd "$dir" && pwd)
    [[ -e $dir/$marker ]] || fail "$dir was not set up by '$0 start'; not touching it"
    cd "$dir"
    t0=$(now_ms)
    stop_redis
    pgbin=$(grep -s '^export TEST_PGBIN=' "$dir/env" | cut -d= -f2- || true)
    [[ -n $pgbin ]] || pgbin=$(find_pgbin)
    stop_postgres "$pgbin"
    cd /
    rm -rf -- "$dir"
    echo "test-services: stopped and removed $dir ($(($(now_ms) - t0)) ms)"
    ;;
stop-redis | start-redis | stop-postgres | start-postgres)
    # One server of a running set, on the port written to $dir/env at start.
    [[ -d $dir ]] || fail "$dir is not a directory"
    dir=$(cd "$dir" && pwd)
    [[ -e $dir/$marker && -f $dir/env ]] || fail "$dir was not set up by '$0 start'"
    cd "$dir"
    pgbin=$(grep -s '^export TEST_PGBIN=' "$dir/env" | cut -d= -f2- || true)
    [[ -n $pgbin ]] || pgbin=$(find_pgbin)
    case $action in
    stop-redis) stop_redis ;;
    stop-postgres) stop_postgres "$pgbin" ;;
    start-redis)
        redis_port=$(sed -n 's|^export TEST_REDIS_URL=redis://127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/env")
        [[ -n $redis_port ]] || fail "no Redis port in $dir/env"
        redis_ping "$redis_port" && exit 0
        rm -f "$dir/redis.pid"
        redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log" </dev/null \
            || fail "Redis did not start"
        for _ in $(seq 1 100); do
            [[ -s $dir/redis.pid ]] && redis_ping "$redis_port" && exit 0
            sleep 0.05
        done
        log_tail "$dir/redis.log"
        fail "Redis did not answer on port $redis_port"
        ;;
    start-postgres)
        pg_port=$(sed -n 's|^export TEST_DATABASE_URL=.*@127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/env")
        [[ -n $pg_port ]] || fail "no PostgreSQL port in $dir/env"
        [[ -f $dir/pgdata/postmaster.pid ]] && exit 0
        as_pg "$pgbin/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -w -t 30 -s \
            -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start </dev/null || { log_tail "$dir/postgres.log"; fail "PostgreSQL did not start"; }
        ;;
    esac
    ;;
*)
    usage
    ;;
esac
