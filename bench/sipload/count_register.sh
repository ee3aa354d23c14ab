#!/usr/bin/env bash
# Instructions per digest registration in hotline (all threads), counted by
# callgrind: load-independent, unlike CPU time on a shared machine. Runs hotline
# serve (embedded demo configuration) under valgrind in a private network
# namespace, drives N registrations at a gentle rate with sipload, and divides.
#
#   bench/sipload/count_register.sh BUILD_DIR [N=1000]
set -euo pipefail
if [[ "${1:-}" != --inside ]]; then
  exec unshare -n "$0" --inside "$@"
fi
shift
build=$(realpath "$1") n=${2:-1000}
ip link set lo up
work=$(mktemp -d)
cd "$work"
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
  "$build/src/app/hotline" serve > hotline.log 2>&1 &
pid=$!
trap '[[ -n "${KEEP:-}" ]] || rm -rf "$work"' EXIT
for _ in $(seq 600); do
  grep -q '"listening"' hotline.log 2>/dev/null && grep -q udp hotline.log && break
  sleep 0.1
done
# Warm-up (first contacts, first nonces), then the counted run.
"$build/bench/sipload" --scenario register --users 1001-1010 --password 'demo-{user}' \
  --rate 100 --duration 1 --timeout 30 > /dev/null
callgrind_control -z "$pid" > /dev/null
"$build/bench/sipload" --scenario register --users 1001-1010 --password 'demo-{user}' \
  --rate 200 --duration "$(echo "$n / 200" | bc -l)" --timeout 30
callgrind_control -d "$pid" > /dev/null
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "profiles in $work" >&2
total=0
for f in "$work"/cg.out.*; do  # the dump after the run; not the shutdown
  ir=$(grep -m1 '^summary:' "$f" | awk '{print $2}')
  [[ -n "$ir" ]] && total=$((total + ir))
done
echo "instructions since reset (dumps): $total; per registration: $((total / n))"
