#!/usr/bin/env bash
# Run the whole test suite in three steps and print a summary:
#   1. unit + integration on SQLite and the in-process broker (no services needed), in
#      TEST_WORKERS processes (pytest-xdist, default 2: this is a 2-core machine's suite), and the
#      30 slowest tests listed
#   2. what depends on the backend (marker `backend`, chosen in tests/conftest.py: brokers, live,
#      resilience, migrations, upserts and locks, rate limits in Redis, multiprocess) plus a smoke
#      set of every feature's pages, on a throwaway PostgreSQL and Redis
#   3. the browser tests (tests/e2e, real Chromium) on SQLite (tests/e2e/server.py), with the
#      Redis env still set, in TEST_WORKERS processes (each starts its own server and browser)
# Every step runs even when an earlier one failed; the exit status is 1 if any failed.
#
# Needs the dev venv (make dev) and the system packages (scripts/system-deps.sh); `make test`
# does all of that. Extra pytest arguments, given to every step:
#   PYTEST_ARGS='-x -k walls' make test      or      scripts/run-tests.sh -x -k walls
set -uo pipefail   # no -e: a failing step must not stop the others

cd "$(dirname "$0")/.." || exit 1
root=$PWD
python=$root/.venv/bin/python
if [[ ! -x $python ]] || ! "$python" -c 'import pytest' 2>/dev/null; then
    echo "No dev environment in .venv; run 'make dev' (or 'make test') first." >&2
    exit 1
fi

# Shell-style words, so quoting works: PYTEST_ARGS='-k "walls and not slow"'.
eval "extra=(${PYTEST_ARGS:-})" || { echo "Cannot parse PYTEST_ARGS: ${PYTEST_ARGS:-}" >&2; exit 2; }
extra+=("$@")   # arguments to this script are passed on too

# Tests must never reach a database or Redis named in the developer's own environment,
# and step 1 must run without any TEST_* service settings.
unset DATABASE_URL REDIS_URL
unset TEST_DATABASE_URL TEST_MIGRATIONS_DATABASE_URL TEST_REDIS_URL TEST_PG_ADMIN_URL TEST_PGBIN TEST_PGDATA

# Many SSE streams, browsers and worker processes at once: allow as many open files as we may.
hard=$(ulimit -Hn)
if [[ $hard == unlimited ]]; then
    ulimit -n 1048576 2>/dev/null || true
else
    ulimit -n "$hard" 2>/dev/null || true
fi

now_ms() {
    local t=${EPOCHREALTIME:-}
    if [[ -n $t ]]; then
        t=${t/[.,]/}
        echo $((t / 1000))
    else
        echo $(($(date +%s%N) / 1000000))
    fi
}

seconds() {   # milliseconds -> "12.3"
    printf '%d.%d' $(($1 / 1000)) $((($1 % 1000) / 100))
}

names=()
results=()
durations=()
failed=0
total_start=$(now_ms)

header() {
    echo
    echo "==== $* ===="
}

# Test files a step is meant to run: test_*.py / *_test.py under $1, not under $2 (if given).
count_test_files() {
    local skip=${2:-}
    [[ -e $1 ]] || { echo 0; return; }
    if [[ -n $skip ]]; then
        find "$1" -path "$skip" -prune -o \( -name 'test_*.py' -o -name '*_test.py' \) -print | wc -l
    else
        find "$1" \( -name 'test_*.py' -o -name '*_test.py' \) -print | wc -l
    fi
}

# run_step NAME PATH SKIP -- pytest arguments...
# PATH holds the step's tests, SKIP a folder under it that belongs to another step ("" if none).
# "No tests collected" (pytest exit 5) counts as success with a note while the project has no such
# test files yet (e.g. no browser tests). When test files exist it is a failure: every test was
# deselected, which usually means a marker is wrong (say, a conftest hook marking all tests e2e).
# With PYTEST_ARGS or arguments given, exit 5 is taken at its word (-k may select nothing here).
run_step() {
    local name=$1 path=$2 skip=$3 start rc result ms files
    shift 4
    header "$name"
    start=$(now_ms)
    if [[ ! -e $path ]]; then
        echo "note: $path does not exist yet; nothing to run"
        rc=5
    else
        echo "+ .venv/bin/python -m pytest$(printf ' %q' "$@" "${extra[@]}")"
        "$python" -m pytest "$@" "${extra[@]}"
        rc=$?
    fi
    ms=$(($(now_ms) - start))
    files=$(count_test_files "$path" "$skip")
    case $rc in
    0) result=passed ;;
    5) if [[ $files -gt 0 && ${#extra[@]} -eq 0 ]]; then
           echo "error: pytest selected no tests, but $path has $files test file(s) for this step;" \
                "check the markers (-m) and any pytest_collection_modifyitems hooks" >&2
           result="FAILED (none run)"; failed=1
       else
           result="passed (no tests)"
           [[ -e $path ]] && echo "note: pytest collected no tests in $path (exit 5); counted as success"
       fi ;;
    *) result="FAILED (exit $rc)"; failed=1 ;;
    esac
    echo "---- $name: $result in $(seconds "$ms") s"
    names+=("$name")
    results+=("$result")
    durations+=("$(seconds "$ms")")
}

record() {   # record NAME RESULT MS: a step that is not a pytest run
    names+=("$1")
    results+=("$2")
    durations+=("$(seconds "$3")")
}

# Always stop the servers: normal exit, a failing step, Ctrl-C or a kill. The INT trap is set
# before step 1 so that Ctrl-C stops the run (pytest handles SIGINT itself and exits 2, which
# bash alone would not treat as an interruption).
services_dir=
stop_services() {
    if [[ -n $services_dir ]]; then
        "$root/scripts/test-services.sh" stop "$services_dir" || true
        services_dir=
    fi
}
trap stop_services EXIT
trap 'echo; echo "Interrupted."; exit 130' INT
trap 'exit 143' TERM

# ---- 1. SQLite + memory broker -----------------------------------------------------------------
workers=${TEST_WORKERS:-2}
parallel=()
[[ $workers -gt 1 ]] && parallel=(-n "$workers" --dist loadfile)
run_step "1. SQLite + memory broker" tests tests/e2e -- tests -m "not e2e and not multiprocess" -q \
    --durations=30 "${parallel[@]}"

# ---- 2. PostgreSQL + Redis -----------------------------------------------------------------------
header "Starting PostgreSQL and Redis"
start=$(now_ms)
services_dir=$(mktemp -d /tmp/tavlan-test.XXXXXX)
if "$root/scripts/test-services.sh" start "$services_dir"; then
    # shellcheck source=/dev/null
    source "$services_dir/env"
    record "   services start" ok $(($(now_ms) - start))
    run_step "2. PostgreSQL + Redis" tests tests/e2e -- tests -m "backend and not e2e" -q
else
    record "   services start" FAILED $(($(now_ms) - start))
    failed=1
    echo "Could not start PostgreSQL/Redis; skipping step 2." >&2
    record "2. PostgreSQL + Redis" "NOT RUN" 0
fi

# ---- 3. Browser tests ----------------------------------------------------------------------------
run_step "3. Browser (Chromium)" tests/e2e "" -- tests/e2e -m e2e -q "${parallel[@]}"

start=$(now_ms)
stop_services
record "   services stop" ok $(($(now_ms) - start))

# ---- Summary -------------------------------------------------------------------------------------
header "Summary"
printf '%-28s %-20s %8s\n' step result seconds
for i in "${!names[@]}"; do
    printf '%-28s %-20s %8s\n' "${names[$i]}" "${results[$i]}" "${durations[$i]}"
done
printf '%-28s %-20s %8s\n' total "$([[ $failed -eq 0 ]] && echo passed || echo FAILED)" \
    "$(seconds $(($(now_ms) - total_start)))"
exit "$failed"
