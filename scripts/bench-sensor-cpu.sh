#!/usr/bin/env bash
# bench-sensor-cpu.sh: `make bench` for issue 13's first target, the sensor's CPU per event. For each storm
# (openat, connect, exec) it runs `agentprov-sensor --all --no-tls --output jsonl:F`, counts the CPU the
# sensor process used (every thread, user + system) from just before the storm until its output stops
# growing, divides by the lines it wrote, and compares that with a minimal Node consumer measured in the same
# run (scripts/bench/minimal-consumer.mjs: the same number of objects of the same shape, as JSON lines to a
# file). Prints us/event for both and the ratio (target <= 2.5x). Root only; loopback only; bounded loops.
#
# Each sensor runs the storm twice. The first ("cold") also pays V8's compiling of the pipeline, once per
# sensor start: measured, ~90 ms of TurboFan on two worker threads plus the main thread's interpreted first
# thousands of events, which in a 3 s exec storm of 26k lines is ~2.5 us of every line; spread over a
# storm's lines it is not a per-event cost and shrinks as the storm grows. The second ("warm") is what each
# event costs a sensor that has been running, which is what a host pays for hours: the target is judged
# on it, and the cold figure is printed beside it.
#
#   BENCH_REPEAT=3 BENCH_CPU_OPENAT=200000 BENCH_CPU_CONNECT=20000 BENCH_CPU_EXEC=5000 scripts/bench-sensor-cpu.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
REPEAT=${BENCH_REPEAT:-3}
declare -A N=([openat]=${BENCH_CPU_OPENAT:-200000} [connect]=${BENCH_CPU_CONNECT:-20000} [exec]=${BENCH_CPU_EXEC:-5000})
declare -A TYPE=([openat]=file_open [connect]=network_connect [exec]=process_exec)
read -r -a STORMS <<<"${BENCH_STORMS:-openat connect exec}"
[ "$(id -u)" = 0 ] || { echo "bench-sensor-cpu: needs root" >&2; exit 1; }
mkdir -p "$OUT"
cc -O2 -Wall -Werror -pthread -o "$OUT/storm" "$ROOT/scripts/bench/storm.c"
WORK=$(mktemp -d /tmp/agentprov-bench-cpu.XXXXXX)
SENSOR=""
cleanup() { [ -n "$SENSOR" ] && kill -INT "$SENSOR" 2>/dev/null && wait "$SENSOR" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
lines() { wc -l <"$1"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
over() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Runs one storm under the sensor, twice; prints "events cold_us_per_event warm_us_per_event consumer_us_per_event"
measure() {
  local s=$1 out=$WORK/sensor-$1.jsonl log=$WORK/sensor-$1.log
  : >"$out"
  node "$ROOT/dist/src/bin/agentprov-sensor.js" --all --no-tls --output "jsonl:$out" 2>"$log" &
  SENSOR=$!
  for _ in $(seq 1 400); do grep -q watching "$log" && break; sleep 0.05; done
  grep -q watching "$log" || { cat "$log" >&2; exit 1; }
  sleep 0.3
  local us=() events=0 pass
  for pass in 1 2; do
    local l0 c0 l1 c1
    l0=$(lines "$out"); c0=$(cpu_ticks "$SENSOR")
    "$OUT/storm" "$s" "${N[$s]}" >/dev/null
    # Until the storm's own events are all written (at most 30 s). Not "until the output stops growing": the
    # processes this loop spawns are traced too, so the output never stops growing and the window filled with
    # idle time and the loop's own events (measured: connect 28 us/event that way, for 8.5 us of real work).
    local want=$(( pass * N[$s] )) got=0
    for _ in $(seq 1 300); do
      got=$(grep -c "\"type\":\"${TYPE[$s]}\"" "$out" || true)
      [ "$got" -ge "$want" ] && break
      sleep 0.1
    done
    c1=$(cpu_ticks "$SENSOR"); l1=$(lines "$out")
    [ "$got" -ge "$want" ] || echo "bench-sensor-cpu: $s: only $got of $want ${TYPE[$s]} events written in 30 s" >&2
    events=$(( l1 - l0 ))
    us+=("$(awk -v t=$(( c1 - c0 )) -v hz="$TCK" -v n="$events" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')")
  done
  kill -INT "$SENSOR"; wait "$SENSOR" || true; SENSOR=""
  local consumer
  consumer=$(node "$ROOT/scripts/bench/minimal-consumer.mjs" "$out" "${TYPE[$s]}" "$events" "$WORK/consumer.jsonl")
  local cus
  cus=$(node -e 'const c = JSON.parse(process.argv[1]); console.log((c.cpu_us / c.events).toFixed(2))' "$consumer")
  echo "$events ${us[0]} ${us[1]} $cus"
  rm -f "$out" "$WORK/consumer.jsonl"
}
printf '%-8s %-5s %9s %13s %13s %18s %7s %7s\n' storm round events cold_us/ev warm_us/ev consumer_us/event cold_x warm_x
declare -A COLD WARM SENS CONS
for round in $(seq "$REPEAT"); do
  for s in "${STORMS[@]}"; do
    read -r events cold warm cus < <(measure "$s")
    rc=$(over "$cold" "$cus"); rw=$(over "$warm" "$cus")
    printf '%-8s %-5s %9s %13s %13s %18s %7s %7s\n' "$s" "$round" "$events" "$cold" "$warm" "$cus" "$rc" "$rw"
    COLD[$s]+="$rc "; WARM[$s]+="$rw "; SENS[$s]+="$warm "; CONS[$s]+="$cus "
  done
done
echo
for s in "${STORMS[@]}"; do
  rw=$(tr ' ' '\n' <<<"${WARM[$s]}" | grep . | median)
  rc=$(tr ' ' '\n' <<<"${COLD[$s]}" | grep . | median)
  sus=$(tr ' ' '\n' <<<"${SENS[$s]}" | grep . | median)
  cus=$(tr ' ' '\n' <<<"${CONS[$s]}" | grep . | median)
  ok=$(awk -v r="$rw" 'BEGIN { print (r <= 2.5) ? "met" : "NOT met" }')
  echo "$s: sensor ${sus} us/event warm, minimal consumer ${cus} us/event: ${rw}x (cold, first storm after start: ${rc}x; medians of $REPEAT; target <= 2.5x: $ok)"
done
