#!/usr/bin/env bash
# bench-sensor.sh: `make bench` for the eBPF sensor. Runs three syscall storms (exec, openat, connect) bare,
# under a do-nothing BPF program on the sensor's hooks, under agentprov-sensor tracking an unrelated cgroup,
# under the C libbpf reference (the sensor's own BPF programs read by a C consumer that only counts:
# bpf/bench-reference.c), under agentprov-sensor --all --output jsonl:FILE, and under bpftrace on the same
# three tracepoints; prints slowdown ratios and events lost, and checks the targets of issues 5 and 13
# (--all within 1.1x of the reference's slowdown). Root only; loopback only; bounded loops.
#
#   BENCH_REPEAT=5 BENCH_EXEC=2000 BENCH_OPENAT=200000 BENCH_CONNECT=20000 scripts/bench-sensor.sh
#   BENCH_STRICT=1 makes a missed target exit 1. BENCH_STORMS / BENCH_CONFIGS pick a subset (the table and the
#   checks then cover what was measured).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
REPEAT=${BENCH_REPEAT:-7}
declare -A N=([exec]=${BENCH_EXEC:-2000} [openat]=${BENCH_OPENAT:-200000} [connect]=${BENCH_CONNECT:-20000})
read -r -a STORMS <<<"${BENCH_STORMS:-exec openat connect}"
read -r -a CONFIGS <<<"${BENCH_CONFIGS:-bare noop untracked reference all bpftrace}"

die() { echo "bench-sensor: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root: run it with sudo"
command -v bpftrace >/dev/null || die "bpftrace is not installed: apt-get install -y bpftrace"
mkdir -p "$OUT"

echo "== build" >&2
make -s -C "$ROOT/bpf" all bench
[ -f "$ROOT/native/build/Release/agentprov_sensor.node" ] || (cd "$ROOT" && npx node-gyp rebuild -C native --nodedir="$(dirname "$(dirname "$(command -v node)")")" >/dev/null)
cc -O2 -Wall -Werror -pthread -o "$OUT/storm" "$ROOT/scripts/bench/storm.c"
# the TypeScript build the runner imports; type errors elsewhere in the tree do not stop the emit
(cd "$ROOT" && npx tsc -p tsconfig.json --outDir build/bench/dist >/dev/null 2>&1 || true)
[ -f "$OUT/dist/src/sensor/sensor-cli.js" ] || die "TypeScript build failed: run npx tsc -p tsconfig.json"
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

# an empty cgroup v2 leaf for the "tracking an unrelated cgroup" case
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$CG2" ]; then mkdir -p /run/agentprov/cgroup2 && mount -t cgroup2 none /run/agentprov/cgroup2 && CG2=/run/agentprov/cgroup2; fi
LEAF=$CG2/agentprov-bench-$$
mkdir -p "$LEAF"

TRACER_PID=""
TRACER_LOG=""
cleanup() {
  [ -n "$TRACER_PID" ] && kill -INT "$TRACER_PID" 2>/dev/null && wait "$TRACER_PID" 2>/dev/null || true
  rmdir "$LEAF" 2>/dev/null || true
  rm -f "$OUT/all.jsonl"
}
trap cleanup EXIT

wait_ready() { # $1 log file, $2 what to wait for
  for _ in $(seq 1 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  cat "$1" >&2; die "tracer did not start"
}

start_tracer() {
  TRACER_LOG=$OUT/tracer-$1.log
  : >"$TRACER_LOG"
  case $1 in
    bare) TRACER_PID="" ; return ;;
    noop) "$ROOT/build/bpf/bench-noop-loader" >"$TRACER_LOG" 2>&1 & TRACER_PID=$!; wait_ready "$TRACER_LOG" ready ;;
    untracked) node "$ROOT/scripts/bench/sensor-runner.mjs" --cgroup "$LEAF" --no-tls --output jsonl:/dev/null >"$TRACER_LOG" 2>&1 & TRACER_PID=$!; wait_ready "$TRACER_LOG" ready ;;
    reference) "$ROOT/build/bpf/bench-reference" >"$TRACER_LOG" 2>&1 & TRACER_PID=$!; wait_ready "$TRACER_LOG" ready ;;
    # a real file, as a user would write it (truncated per round: the bench measures, it does not keep)
    all) : >"$OUT/all.jsonl"; node "$ROOT/scripts/bench/sensor-runner.mjs" --all --no-tls --output "jsonl:$OUT/all.jsonl" >"$TRACER_LOG" 2>&1 & TRACER_PID=$!; wait_ready "$TRACER_LOG" ready ;;
    bpftrace)
      bpftrace -e '
        tracepoint:syscalls:sys_enter_execve { printf("%d %d %s %s\n", pid, uid, comm, str(args->filename)); }
        tracepoint:syscalls:sys_enter_openat { printf("%d %d %s %s\n", pid, uid, comm, str(args->filename)); }
        tracepoint:syscalls:sys_enter_connect { printf("%d %d %s connect\n", pid, uid, comm); }' >"$TRACER_LOG.out" 2>"$TRACER_LOG" &
      TRACER_PID=$!
      for _ in $(seq 1 400); do grep -q "Attaching" "$TRACER_LOG" "$TRACER_LOG.out" 2>/dev/null && break; sleep 0.05; done
      sleep 0.5 ;;
  esac
}

stop_tracer() { # prints events lost
  local lost=0
  if [ -n "$TRACER_PID" ]; then
    kill -INT "$TRACER_PID"; wait "$TRACER_PID" || true; TRACER_PID=""
  fi
  case $1 in
    untracked|all|reference) lost=$(grep -o '"dropped":[0-9]*' "$TRACER_LOG" | tail -1 | cut -d: -f2) ;;
    bpftrace) lost=$(cat "$TRACER_LOG" "$TRACER_LOG.out" 2>/dev/null | grep -oE 'Lost [0-9]+ events' | awk '{s += $2} END {print s + 0}'); rm -f "$TRACER_LOG.out" ;;
  esac
  echo "${lost:-0}"
}

# Rounds outer, configurations inner: load from elsewhere on the machine then hits every configuration alike,
# and the best of the rounds is kept per configuration and storm.
declare -A T LOST
for cfg in "${CONFIGS[@]}"; do LOST[$cfg]=0; done
for round in $(seq 1 "$REPEAT"); do
  echo "== round $round/$REPEAT" >&2
  for cfg in "${CONFIGS[@]}"; do
    start_tracer "$cfg"
    for s in "${STORMS[@]}"; do
      [ "$round" = 1 ] && "$OUT/storm" "$s" "$(( N[$s] / 10 ))" >/dev/null # warm-up
      t=$("$OUT/storm" "$s" "${N[$s]}" | sed 's/.*"ns":\([0-9]*\).*/\1/')
      if [ -z "${T[$cfg,$s]:-}" ] || [ "$t" -lt "${T[$cfg,$s]}" ]; then T[$cfg,$s]=$t; fi
    done
    LOST[$cfg]=$(( LOST[$cfg] + $(stop_tracer "$cfg") ))
  done
done

ratio() { # time ratio of two configurations for a storm, or "-" if either was not measured
  if [ -z "${T[$2,$1]:-}" ] || [ -z "${T[$3,$1]:-}" ]; then echo "-"; return; fi
  awk -v a="${T[$2,$1]}" -v b="${T[$3,$1]}" 'BEGIN { printf "%.3f", a / b }'
}
fail=0
check() { # $1 ok(0/1/-), $2 text
  case $1 in 1) echo "PASS  $2" ;; 0) echo "FAIL  $2"; fail=1 ;; *) echo "SKIP  $2 (not measured)" ;; esac
}
le() { [ "$1" = - ] || [ "$2" = - ] && { echo -; return; }; awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }

printf '\n%-10s %14s %10s %10s %10s %10s %10s   (best of %s rounds; ratio = time / bare)\n' storm "bare ns/op" noop untracked reference all bpftrace "$REPEAT"
for s in "${STORMS[@]}"; do
  printf '%-10s %14s %10s %10s %10s %10s %10s\n' "$s" "$(awk -v t="${T[bare,$s]:-0}" -v n="${N[$s]}" 'BEGIN{printf "%.0f", t/n}')" \
    "$(ratio "$s" noop bare)" "$(ratio "$s" untracked bare)" "$(ratio "$s" reference bare)" "$(ratio "$s" all bare)" "$(ratio "$s" bpftrace bare)"
done
printf '%-10s %14s %10s %10s %10s %10s %10s\n' "lost" "-" "-" "${LOST[untracked]:--}" "${LOST[reference]:--}" "${LOST[all]:--}" "${LOST[bpftrace]:--}"
echo
for s in "${STORMS[@]}"; do
  ours=$(ratio "$s" all bare); bt=$(ratio "$s" bpftrace bare)
  check "$(le "$ours" "$bt")" "$s: agentprov-sensor --all slowdown $ours <= bpftrace $bt"
  # Issue 13: "<= 0.5x bpftrace's slowdown". Read on the overhead above bare (ratio - 1): on the ratio itself
  # half of bpftrace's 1.1-1.5x would be faster than running bare.
  half=$( [ "$ours" = - ] || [ "$bt" = - ] && echo - || awk -v a="$ours" -v b="$bt" 'BEGIN { printf "%.2f", (b > 1) ? (a - 1) / (b - 1) : 99 }')
  check "$(le "$half" 0.5)" "$s: agentprov-sensor --all overhead above bare is ${half}x bpftrace's (<= 0.5)"
  ref=$(ratio "$s" reference bare)
  vs=$( [ "$ours" = - ] || [ "$ref" = - ] && echo - || awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.3f", a / b }')
  check "$(le "$vs" 1.1)" "$s: agentprov-sensor --all slowdown $ours is ${vs}x the C reference's $ref (<= 1.1)"
  un=$(ratio "$s" untracked noop)
  check "$(le "$un" 1.03)" "$s: untracked processes cost $un x a do-nothing program (<= 1.03)"
done
if [ -n "${LOST[all]:-}" ]; then
  check "$([ "${LOST[all]}" = 0 ] && echo 1 || echo 0)" "events lost by agentprov-sensor --all at default buffer sizes: ${LOST[all]}"
fi

{
  printf '{"repeat":%s,"n":{"exec":%s,"openat":%s,"connect":%s},"ns":{' "$REPEAT" "${N[exec]}" "${N[openat]}" "${N[connect]}"
  first=1; for k in "${!T[@]}"; do [ $first = 1 ] || printf ','; first=0; printf '"%s":%s' "$k" "${T[$k]}"; done
  printf '},"lost":{'
  first=1; for k in "${!LOST[@]}"; do [ $first = 1 ] || printf ','; first=0; printf '"%s":%s' "$k" "${LOST[$k]}"; done
  printf '}}\n'
} >"$OUT/report.json"
echo "report: $OUT/report.json"
[ "${BENCH_STRICT:-0}" = 1 ] && exit $fail
exit 0
