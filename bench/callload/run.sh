#!/usr/bin/env bash
# Call set-up benchmark (docs/benchmarks.md, "Call set-up rate"): starts `hotline
# serve` with the bench configuration below in a scratch directory, runs one load
# (callload, or SIPp's peer scenario) against it and prints the load generator's
# summary, the server's CPU over the run and the machine's load.
#
#   bench/callload/run.sh ivr  RATE [SECONDS]   # INVITE → one 1 s prompt → server BYE
#   bench/callload/run.sh ext  RATE [SECONDS]   # extension → extension, 1 s, caller BYE
#   bench/callload/run.sh sipp RATE [SECONDS]   # the peer scenario (SIPp) on the IVR
#
# Run it in its own network namespace (ports 5060 and 20000-29999 are the bench's):
#   tests/system/netns-run bench/callload/run.sh ivr 300 60
# Environment: HOTLINE_BIN (default build/release/src/app/hotline), CALLLOAD_BIN
# (default next to it: ../../bench/callload/callload), BENCH_DIR (scratch directory,
# default a new one under /tmp), CALLLOAD_ARGS (more callload options),
# HOTLINE_WRAP (e.g. "valgrind --tool=callgrind" to profile the server).
set -euo pipefail
kind=${1:?ivr | ext | sipp}
rate=${2:?calls per second}
seconds=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
hotline=${HOTLINE_BIN:-$root/build/release/src/app/hotline}
callload=${CALLLOAD_BIN:-$(dirname "$hotline")/../../bench/callload/callload}
dir=${BENCH_DIR:-$(mktemp -d /tmp/callload.XXXXXX)}
mkdir -p "$dir/data" "$dir/www"

# A 1 s prompt: 8 kHz 16-bit mono, a 440 Hz tone.
python3 - "$dir/prompt-1s.wav" <<'EOF'
import math, struct, sys, wave
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                           for i in range(8000)))
EOF

cat >"$dir/one-prompt.yaml" <<EOF
flows:
  one-prompt:
    start: prompt
    nodes:
      prompt: { type: play, prompt: { file: $dir/prompt-1s.wav }, next: bye }
      bye: { type: hangup, cause: done }
EOF

{
  cat <<EOF
server: { data_dir: $dir/data, worker_threads: 2 }
log: { level: info }
http: { listen: 127.0.0.1:18080, static_dir: $dir/www }
storage: { url: "sqlite:$dir/data/hotline.db" }
sip:
  listen:
    - { transport: udp, address: 127.0.0.1:5060 }
  qualify_interval: 0s
  max_transactions: 200000
media: { address: 127.0.0.1, rtp_ports: 20000-29999, rtp_timeout: 30s }
# The load's callers send from 127.0.0.2: the carrier, no digest.
trunks:
  bench-carrier: { address: 127.0.0.2:5060, allow: [127.0.0.2/32] }
dialplan:
  - { name: one prompt, number: "500", to: { ivr: one-prompt } }
  - { name: extensions, number: { pattern: "[12]XXX" }, from: extension, to: extension }
ivr: { files: [$dir/one-prompt.yaml] }
extensions:
EOF
  for u in $(seq 1001 1050) $(seq 2001 2050); do echo "  - { user: '$u', password: bench-$u }"; done
} >"$dir/hotline.yaml"

${HOTLINE_WRAP:-} "$hotline" serve --config "$dir/hotline.yaml" 2>"$dir/hotline.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q "msg=ready" "$dir/hotline.log" 2>/dev/null && break
  sleep 0.1  # waiting for the server to come up, not for a result
done
grep -q "msg=ready" "$dir/hotline.log" || { cat "$dir/hotline.log"; exit 1; }
pid=$server
[[ -n "${HOTLINE_WRAP:-}" ]] && pid=$(pgrep -P "$server" || echo "$server")

cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }  # utime + stime, clock ticks
ticks=$(getconf CLK_TCK)
before=$(cpu)
start=$(date +%s.%N)
status=0
case $kind in
  ivr)
    "$callload" --scenario ivr --local 127.0.0.2 --number 500 --rate "$rate" \
      --duration "$seconds" --min-hold 900 ${CALLLOAD_ARGS:-} || status=$? ;;
  ext)
    "$callload" --scenario ext --local 127.0.0.1 --callers 1001-1050 --callees 2001-2050 \
      --password 'bench-{user}' --rate "$rate" --duration "$seconds" --hold 1000 \
      ${CALLLOAD_ARGS:-} || status=$? ;;
  sipp)
    sipp 127.0.0.1:5060 -sf "$root/../shared/bench/sipp/call-server-hangs-up.xml" -s 500 \
      -i 127.0.0.2 -p 6100 -mp 7000 -r "$rate" -m $((rate * seconds)) -l 4000 \
      -timeout $((seconds + 60))s -timeout_error -trace_stat -stf "$dir/calls.csv" -nostdin \
      >"$dir/sipp.out" 2>&1 || status=$?
    tail -1 "$dir/calls.csv" | awk -F';' '{print "sipp: call_rate=" $8 " successful=" $16 " failed=" $18}' ;;
  *) echo "unknown kind $kind" >&2; exit 2 ;;
esac
end=$(date +%s.%N)
after=$(cpu)
awk -v b="$before" -v a="$after" -v t="$ticks" -v s="$start" -v e="$end" \
  'BEGIN { printf "server CPU: %.1f s over %.1f s = %.0f%% of one core\n", (a-b)/t, e-s, 100*(a-b)/t/(e-s) }'
echo "uptime: $(uptime)"
echo "dir: $dir (hotline.log, data/hotline.db)"
exit $status
