#!/usr/bin/env bash
# bench-record.sh: `make bench` for `agentprov record` under an openat storm (issue 12's first target).
# Runs the storm bare, then under `agentprov record` (eBPF capture, default buffers, a fresh data dir, an
# empty workdir), and prints: events stored vs opened, events lost (kernel and userspace, as recorded),
# how long the command took and when `record` returned (as a ratio of 1.0 s + 1.5x the bare run), and the
# data dir's bytes per event; then the same storm plus one file written, and start-up (`--version`,
# `record -- true`) against `node -e 0`. Root only; no network. BENCH_RECORD_OPENS (default 100000), BENCH_REPEAT (3).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build/bench
N=${BENCH_RECORD_OPENS:-100000}
REPEAT=${BENCH_REPEAT:-3}
[ "$(id -u)" = 0 ] || { echo "bench-record: needs root" >&2; exit 1; }
mkdir -p "$OUT"
cc -O2 -Wall -Werror -pthread -o "$OUT/storm" "$ROOT/scripts/bench/storm.c"
WORK=$(mktemp -d /tmp/agentprov-bench-record.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ap() { node "$ROOT/dist/src/bin/agentprov.js" "$@"; }
# record_in WD DATA OUT CMD...: `agentprov record --json` of CMD started in WD; OUT.json and OUT.err (shown on failure)
record_in() {
  local wd=$1 dd=$2 out=$3
  shift 3
  mkdir -p "$wd"
  (cd "$wd" && ap --data-dir "$dd" record --json --capture ebpf -- "$@" >"$out.json" 2>"$out.err") || { cat "$out.err" >&2; exit 1; }
}

bare=()
for _ in $(seq "$REPEAT"); do t0=$(ms); "$OUT/storm" openat "$N" >/dev/null; bare+=($(( $(ms) - t0 ))); done
bare_ms=$(printf '%s\n' "${bare[@]}" | median)

printf '%-5s %10s %10s %10s %10s %10s %12s\n' run stored lost cmd_ms record_ms target_ms bytes/event
rows=()
for i in $(seq "$REPEAT"); do
  dd=$WORK/data-$i wd=$WORK/wd-$i
  t0=$(ms)
  record_in "$wd" "$dd" "$WORK/rec-$i" "$OUT/storm" openat "$N"
  rec_ms=$(( $(ms) - t0 ))
  run=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).run_id)' "$WORK/rec-$i.json")
  ap --data-dir "$dd" observe summary --run "$run" --json >"$WORK/sum-$i.json"
  cmd_ns=$(grep -o '"ns":[0-9]*' "$WORK/rec-$i.err" | head -1 | cut -d: -f2)
  bytes=$(du -sb "$dd" | cut -f1)
  row=$(node -e '
    const [rec, sum, n, bytes, cmdNs, recMs, bareMs] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(rec)).items[0];
    const s = JSON.parse(require("fs").readFileSync(sum)).items[0];
    const stored = r.events, lost = Math.max(Number(s.events_lost ?? 0), Number(n) - stored);
    const target = 1000 + 1.5 * Number(bareMs);
    console.log([stored, lost, Math.round(Number(cmdNs) / 1e6), recMs, Math.round(target), Math.round(Number(bytes) / Math.max(1, stored))].join(" "));
  ' "$WORK/rec-$i.json" "$WORK/sum-$i.json" "$N" "$bytes" "${cmd_ns:-0}" "$rec_ms" "$bare_ms")
  rows+=("$row")
  # shellcheck disable=SC2086
  printf '%-5s %10s %10s %10s %10s %10s %12s\n' "$i" $row
  rm -rf "$dd"
done
rec_med=$(printf '%s\n' "${rows[@]}" | awk '{ print $4 }' | median)
lost_max=$(printf '%s\n' "${rows[@]}" | awk '{ print $2 }' | sort -n | tail -1)
bpe_med=$(printf '%s\n' "${rows[@]}" | awk '{ print $6 }' | median)
target=$(awk -v b="$bare_ms" 'BEGIN { printf "%d", 1000 + 1.5 * b }')
echo "bare storm (median of $REPEAT): ${bare_ms} ms for $N opens"
echo "record returned (median): ${rec_med} ms = $(awk -v r="$rec_med" -v t="$target" 'BEGIN { printf "%.2f", r / t }')x the target (1.0 s + 1.5x bare = ${target} ms)"
echo "events lost (worst run): $lost_max (target 0)"
echo "data dir (median): $bpe_med bytes per event (target <= 300)"

# The same storm, then one file written in the workdir: the tool call's end attributes the change to its
# writer, which used to decode every file event of the tool call again (issue 12's "cp -r …" row).
wrote=()
for i in $(seq "$REPEAT"); do
  dd=$WORK/wdata-$i
  t0=$(ms)
  record_in "$WORK/wwd-$i" "$dd" "$WORK/wrec-$i" sh -c "'$OUT/storm' openat $N >/dev/null; echo done > out.txt"
  wrote+=($(( $(ms) - t0 )))
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1])).items[0];
    const f = r.files.items.find((x) => x.path === "out.txt");
    if (!f || !f.writers.some((w) => w.startsWith("sh["))) { console.error("bench-record: out.txt not attributed to sh:", JSON.stringify(r.files)); process.exit(1); }
  ' "$WORK/wrec-$i.json"
  rm -rf "$dd"
done
echo "record of the storm plus one file written (median): $(printf '%s\n' "${wrote[@]}" | median) ms (attributed to its writer)"

# Start-up: what every command pays before its work (module loading; scripts/bundle), and `record -- true`.
node_ms=() ver_ms=() true_ms=()
for i in $(seq "$REPEAT"); do
  t0=$(ms); node -e 0; node_ms+=($(( $(ms) - t0 )))
  t0=$(ms); ap --version >/dev/null; ver_ms+=($(( $(ms) - t0 )))
  t0=$(ms)
  record_in "$WORK/twd-$i" "$WORK/tdata-$i" "$WORK/trec-$i" true
  true_ms+=($(( $(ms) - t0 )))
  rm -rf "$WORK/tdata-$i"
done
echo "start-up (medians): node -e 0 $(printf '%s\n' "${node_ms[@]}" | median) ms, agentprov --version $(printf '%s\n' "${ver_ms[@]}" | median) ms, record -- true $(printf '%s\n' "${true_ms[@]}" | median) ms"
