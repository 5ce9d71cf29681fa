#!/usr/bin/env bash
# bench-sensor-stop.sh: `make bench` for issue 13's point 5, a stop on SIGINT under a storm. It runs
# `agentprov-sensor --all --no-tls` with `--output jsonl:F`, then with `--output store` (a fresh data dir: the
# slow consumer, far behind a storm), starts an openat storm that outlives the sensor, sends
# SIGINT after BENCH_STOP_AFTER seconds and reports the ms from the signal to the sensor's exit, with the
# final counts it printed; the baseline is the same stop on an idle host, measured in the same run
# (target: within 2 s under the storm). Root only; no network; the storm is killed at the end.
#
#   BENCH_REPEAT=3 BENCH_STOP_AFTER=2 scripts/bench-sensor-stop.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
REPEAT=${BENCH_REPEAT:-3}
AFTER=${BENCH_STOP_AFTER:-2}
[ "$(id -u)" = 0 ] || { echo "bench-sensor-stop: needs root" >&2; exit 1; }
mkdir -p "$OUT"
cc -O2 -Wall -Werror -pthread -o "$OUT/storm" "$ROOT/scripts/bench/storm.c"
WORK=$(mktemp -d /tmp/agentprov-bench-stop.XXXXXX)
SENSOR="" STORM=""
cleanup() {
  [ -n "$STORM" ] && kill -KILL "$STORM" 2>/dev/null
  [ -n "$SENSOR" ] && kill -INT "$SENSOR" 2>/dev/null && wait "$SENSOR" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }

# One stop; $1 = storm|idle, $2 = jsonl|store. Prints "ms final-line".
stop_once() {
  local out=$WORK/out.jsonl log=$WORK/sensor.log spec
  : >"$out"
  rm -rf "$WORK/data"
  if [ "$2" = store ]; then spec=store; else spec="jsonl:$out"; fi
  AGENTPROV_DATA_DIR=$WORK/data node "$ROOT/dist/src/bin/agentprov-sensor.js" --all --no-tls --output "$spec" 2>"$log" &
  SENSOR=$!
  for _ in $(seq 1 400); do grep -q watching "$log" && break; sleep 0.05; done
  grep -q watching "$log" || { cat "$log" >&2; exit 1; }
  if [ "$1" = storm ]; then
    "$OUT/storm" openat 10000000 >/dev/null &
    STORM=$!
  fi
  sleep "$AFTER"
  local t0 t1
  t0=$(now_ms)
  kill -INT "$SENSOR"
  wait "$SENSOR" || true
  t1=$(now_ms)
  SENSOR=""
  if [ -n "$STORM" ]; then kill -KILL "$STORM" 2>/dev/null || true; wait "$STORM" 2>/dev/null || true; STORM=""; fi
  echo "$(( t1 - t0 )) $(grep 'stopped after' "$log" | sed 's/.*stopped after //')"
  rm -f "$out"
}

for output in jsonl store; do
  for round in $(seq "$REPEAT"); do
    idle=$(stop_once idle "$output")
    storm=$(stop_once storm "$output")
    printf -- '--output %s, round %s: idle stop %s ms; stop under an openat storm %s ms (target 2000)\n  final counts: %s\n' \
      "$output" "$round" "${idle%% *}" "${storm%% *}" "${storm#* }"
  done
done
