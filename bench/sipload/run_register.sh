#!/usr/bin/env bash
# Registrar benchmark: hotline serve (embedded demo configuration, users 1001-1010
# with passwords demo-100N) against sipload's register scenario, inside a private
# network namespace so nothing leaves loopback. Prints sipload's summary, the
# machine load, and the CPU each hotline thread used during the run.
#
#   bench/sipload/run_register.sh BUILD_DIR RATE DURATION [extra sipload args]
#   e.g. bench/sipload/run_register.sh build/release 20000 5
# HOTLINE_CONFIG=FILE serves that configuration instead (runs longer than ~5 s at
# 20,000/s need sip.max_transactions >= 32 x rate: each REGISTER's transaction
# lives Timer J = 32 s).
set -euo pipefail
if [[ "${1:-}" != --inside ]]; then
  exec unshare -n "$0" --inside "$@"
fi
shift
build=$(realpath "$1") rate=$2 duration=$3
shift 3
ip link set lo up
work=$(mktemp -d)
cd "$work"
"$build/src/app/hotline" serve ${HOTLINE_CONFIG:+--config "$HOTLINE_CONFIG"} > hotline.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  grep -q '"listening"' hotline.log 2>/dev/null && grep -q udp hotline.log && break
  sleep 0.1
done
cpu() {  # per-thread user+system CPU in ms
  for t in /proc/$pid/task/*; do
    awk '{print $1, $2, ($14+$15)*10}' "$t/stat"
  done | sort
}
cpu > before.txt
echo "uptime: $(uptime)"
/usr/bin/time -f "sipload CPU: user %U s, system %S s, wall %e s" "$build/bench/sipload" --scenario register --users 1001-1010 --password 'demo-{user}' \
  --rate "$rate" --duration "$duration" "$@" || true
cpu > after.txt
echo "hotline CPU during the run (ms, per thread):"
join before.txt after.txt | awk '{d=$5-$3; if (d>0) print "  tid " $1, $2, d " ms"}'
