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
# KEY=VALUE lines read as systemd's EnvironmentFile= reads them (the units use the same
# file): no shell expansion, so a "$" or "&" in a secret stays itself; # comments; one
# pair of surrounding quotes removed.
while IFS= read -r line || [ -n "$line" ]; do
  case $line in '' | '#'* | ';'*) continue ;; esac
  key=${line%%=*}
  value=${line#*=}
  case $key in '' | *[!A-Za-z0-9_]*) echo "$0: ignored line: $key" >&2; continue ;; esac
  case $value in
    \"*\") value=${value#\"}; value=${value%\"} ;;
    \'*\') value=${value#\'}; value=${value%\'} ;;
  esac
  export "$key=$value"
done < "${KINDNET_ENV_FILE:-/etc/kindnet/env}"
exec flock -n "${KINDNET_LOCK_DIR:-/run/lock}/kindnet-$name.lock" .venv/bin/python manage.py "$@"
