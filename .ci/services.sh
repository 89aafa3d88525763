#!/usr/bin/env bash
# Starts what the test suites need when it is not running: PostgreSQL, Redis, MariaDB, and Debian's Chromium
# for the dashboard's browser tests. Each step is skipped when the thing is already there.
set -uo pipefail

wait_for() { # name, command: retry the command for up to 30 s
  for _ in $(seq 1 60); do
    if eval "$2" >/dev/null 2>&1; then echo "$1: ready"; return 0; fi
    sleep 0.5
  done
  echo "$1: not reachable after 30 s" >&2
  return 1
}

if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "PostgreSQL: starting"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
wait_for PostgreSQL "pg_isready -h 127.0.0.1 -p 5432"

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Redis: starting"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
wait_for Redis "redis-cli -h 127.0.0.1 -p 6379 ping"

if ! mysqladmin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; then
  echo "MariaDB: starting"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql || true
fi
wait_for MariaDB "mysqladmin -h 127.0.0.1 -P 3306 -uroot ping"

if ! command -v chromium >/dev/null 2>&1; then
  echo "Chromium: installing Debian's package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
command -v chromium >/dev/null && echo "Chromium: $(chromium --version 2>/dev/null | head -n 1)"
exit 0
