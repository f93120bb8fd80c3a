#!/bin/sh
# Runs one periodic command of Kindnet, as deploy/kindnet.cron does:
#   deploy/periodic.sh NAME COMMAND [ARGUMENTS…]
# with the service's environment (the file the systemd units read) and under the lock
# NAME, so that a run is skipped while the previous one is still busy (flock -n).
# KINDNET_HOME, KINDNET_ENV_FILE and KINDNET_LOCK_DIR change where it looks.
set -eu
[ "$#" -ge 2 ] || { echo "usage: $0 NAME COMMAND [ARGUMENTS...]" >&2; exit 64; }
name=$1
shift
cd "${KINDNET_HOME:-/srv/kindnet}"
set -a
. "${KINDNET_ENV_FILE:-/etc/kindnet/env}"
set +a
exec flock -n "${KINDNET_LOCK_DIR:-/run/lock}/kindnet-$name.lock" .venv/bin/python manage.py "$@"
