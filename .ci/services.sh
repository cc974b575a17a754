#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on loopback (start them if installed but stopped,
# install them from the OS packages if absent) and that Chromium is installed for the UI
# tests. Tests that need them fail when they are missing.
set -uo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

pg_up() { have pg_isready && pg_isready -h 127.0.0.1 -p 5432 -q; }
redis_up() { have redis-cli && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

if ! pg_up; then
  if ! ls /etc/postgresql >/dev/null 2>&1; then
    as_root apt-get update -qq && as_root apt-get install -y -qq postgresql >/dev/null
  fi
  for version in $(ls /etc/postgresql 2>/dev/null); do
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi

if ! redis_up; then
  if ! have redis-server; then
    as_root apt-get update -qq && as_root apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi

# The UI tests drive Debian's Chromium headless (no browser download at test time).
if ! have chromium; then
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

pg_up && echo "postgresql: up" || echo "postgresql: NOT reachable"
have chromium && echo "chromium: $(chromium --version 2>/dev/null)" || echo "chromium: NOT installed"
redis_up && echo "redis: up" || echo "redis: NOT reachable"
exit 0
