#!/bin/sh
# Chooses the Gantry process by its first argument.
set -e
case "${1:-all}" in
  all) shift 2>/dev/null || true; exec node --import tsx /app/main.ts "$@" ;;
  server|drain|scheduler|worker) p="$1"; shift; exec node --import tsx "/app/$p/main.ts" "$@" ;;
  *) echo "usage: gantry [all|server|drain|scheduler|worker]" >&2; exit 2 ;;
esac
