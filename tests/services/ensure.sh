#!/usr/bin/env bash
# Installs the database servers the test suite starts for itself, when missing:
# Debian's postgresql (initdb, pg_ctl). Run by `make test`; needs root or sudo on
# a machine that lacks them.
set -euo pipefail

have_postgres() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

if have_postgres; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
echo "==> Installing Debian's postgresql for the test suite"
export DEBIAN_FRONTEND=noninteractive
# Only the binaries: no system cluster left running on port 5432.
$SUDO mkdir -p /etc/postgresql-common
echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
have_postgres
