#!/usr/bin/env bash
# `make bench`: every benchmark, each reporting ratios against a baseline measured in the same run.
# Benchmarks are never part of `make test`; they print numbers, they do not assert timings.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/bench
status=0
section() { printf '\n== %s ==\n' "$1"; }

section "ingest: 1M Falco lines from a file into SQLite"
lines=${BENCH_INGEST_LINES:-1000000}
data=build/bench/falco-$lines.jsonl
[ -s "$data" ] || node scripts/gen-falco-lines.mjs "$data" "$lines" --seed 1 >/dev/null
node dist/scripts/bench-ingest.js "$data" || status=1

section "ingest floors: what any JSONL -> SQLite ingest costs on this machine"
node dist/scripts/bench-ingest-floors.js "$data" || status=1

section "policy evaluation per event, default policy"
node dist/scripts/bench-policy.js || status=1

section "redaction of hostile argv against plain text"
node dist/scripts/bench-redact.js || status=1

section "ledger: appends with signing, verify of 1M entries"
node dist/scripts/bench-ledger.js || status=1

section "record: agentprov record -- <openat storm>, bare vs recorded"
bash scripts/bench-record.sh || status=1

for extra in scripts/bench-sensor.sh; do
  [ -f "$extra" ] || continue
  section "sensor: syscall storms bare / agentprov-sensor / bpftrace / no-op BPF"
  bash "$extra" || status=1
done
section "sensor CPU per event: agentprov-sensor --all --output jsonl vs a minimal Node consumer"
bash scripts/bench-sensor-cpu.sh || status=1
section "sensor stop: SIGINT under an openat storm, idle stop as the baseline"
bash scripts/bench-sensor-stop.sh || status=1
if [ -f dist/scripts/bench-containment.js ]; then
  section "containment latency: offending syscall -> cgroup frozen/killed"
  node dist/scripts/bench-containment.js || status=1
fi
exit $status
