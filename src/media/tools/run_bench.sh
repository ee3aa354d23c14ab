#!/usr/bin/env bash
# Runs one media relay benchmark: the engine harness with N bridged calls and rtpload
# against it, on loopback. Prints the harness line (engine CPU, memory) and the rtpload
# line (loss, jitter, delay).
#   src/media/tools/run_bench.sh <build-dir> <calls> [harness options...]
# e.g. src/media/tools/run_bench.sh build/release 2000
#      src/media/tools/run_bench.sh build/release 1000 --record-dir /var/tmp/rec
#      src/media/tools/run_bench.sh build/release 300 --codec-b opus
set -euo pipefail
build=$1 calls=$2
shift 2
bin=$build/src/media
ports=$(mktemp -u /tmp/rtpload-ports.XXXXXX)
codec_b=pcmu
for a in "$@"; do [[ $a == opus ]] && codec_b=opus; done
out=$(mktemp)
# The machine is shared with builds (and autogroup makes nice useless across sessions);
# like a production media server, run the media side with a real-time priority (root:
# SCHED_FIFO 10) so the figures measure the engine, not the scheduler. Both processes sleep
# every millisecond, and the kernel's RT throttle still leaves others 5%.
prio=()
[[ $(id -u) == 0 ]] && prio=(chrt -f 10)
"${prio[@]}" "$bin/media_bridge_harness" --calls "$calls" --ports-file "$ports" --warmup 5 --measure 15 "$@" \
  >"$out" &
harness=$!
while [[ ! -f $ports ]]; do
  kill -0 "$harness" 2>/dev/null || { echo "harness failed" >&2; exit 1; }
  sleep 0.1
done
"${prio[@]}" "$bin/rtpload" --targets "$ports" --seconds 25 --warmup 5 --codec-b "$codec_b"
kill -TERM "$harness"
wait "$harness" || true
cat "$out"
rm -f "$ports" "$out"
