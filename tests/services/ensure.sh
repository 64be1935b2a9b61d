#!/usr/bin/env bash
# Installs the servers the test suite starts for itself, when missing: Debian's
# postgresql (initdb, pg_ctl) and redis-server (for the WebSocket channel-layer
# tests). Run by `make test`; needs root or sudo on a machine that lacks them.
set -euo pipefail

have_postgres() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

have_redis() {
    command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]
}

if have_postgres && have_redis; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if ! have_postgres; then
    echo "==> Installing Debian's postgresql for the test suite"
    # Only the binaries: no system cluster left running on port 5432.
    $SUDO mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
    $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
if ! have_redis; then
    echo "==> Installing Debian's redis-server for the test suite"
    # The package's own service is not needed: the tests start their own server.
    $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
have_postgres && have_redis
