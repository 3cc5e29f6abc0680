#!/usr/bin/env bash
# Install the Debian packages the test suite needs, when they are missing:
#   chromium      the browser tests drive it (Playwright never downloads its own browser here)
#   postgresql    scripts/test-services.sh starts a throwaway server from its binaries
#   redis-server  likewise
#   nginx         tests/e2e/test_nginx.py runs deploy/nginx/tavlan.conf in front of gunicorn (its own
#                 process on free ports; the system service, if the package starts one, is not used)
#   openssl       the same test makes a throwaway TLS certificate with it
# Safe to run with no stdin (CI). A no-op taking milliseconds when everything is present.
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
# The client (psql) can be installed without the server, so look for the server's initdb.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || packages+=(postgresql)
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
[[ -x /usr/sbin/nginx ]] || packages+=(nginx)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)

if [[ ${#packages[@]} -eq 0 ]]; then
    echo "System packages: chromium, postgresql, redis-server, nginx, openssl present."
    exit 0
fi

echo "System packages missing: ${packages[*]}"

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    cat >&2 <<EOF
Cannot install them: not root, and sudo is not available without a password.
Install them yourself, then run the command again:

    sudo apt-get install ${packages[*]}
EOF
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "No apt-get here; install these packages with your system's package manager: ${packages[*]}" >&2
    exit 1
fi

started=$SECONDS
# No stdin, no questions; wait for a running apt (e.g. unattended-upgrades) instead of failing.
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
     -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
"${apt[@]}" update </dev/null
"${apt[@]}" install "${packages[@]}" </dev/null
echo "System packages installed in $((SECONDS - started)) s."

# Check the result the same way, so a partial install fails here and not in the middle of the tests.
still=()
command -v chromium >/dev/null 2>&1 || still+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || still+=(postgresql)
command -v redis-server >/dev/null 2>&1 || still+=(redis-server)
[[ -x /usr/sbin/nginx ]] || still+=(nginx)
command -v openssl >/dev/null 2>&1 || still+=(openssl)
if [[ ${#still[@]} -gt 0 ]]; then
    echo "Still missing after apt-get install: ${still[*]}" >&2
    exit 1
fi
