#!/usr/bin/env bash
# The demo: an agent's tool call ran `bash -c "pytest -q && curl http://169.254.169.254/..."` and read a
# credentials file. Falco and Tetragon saw the processes (fixtures/demo/, real shapes, no tool_call_id in
# them); the agent declared the tool call. agentprov joins the two, judges it, and proves what it stored.
# Nothing here touches the network.
set -euo pipefail
cd "$(dirname "$0")/.."
export AGENTPROV_DATA_DIR="${AGENTPROV_DATA_DIR:-$PWD/.agentprov-demo}"
rm -rf "$AGENTPROV_DATA_DIR"
ap() { echo "+ agentprov $*" >&2; node dist/src/bin/agentprov.js "$@"; }

ap telemetry ingest-falco --file fixtures/demo/falco-agent-run.jsonl
ap telemetry ingest-jsonl --format tetragon --file fixtures/demo/tetragon-agent-run.jsonl
# The binding arrives after the telemetry (late binding): the agent says tool call tc-7 (run_shell) was pid 4242.
ap telemetry bind --run demo-run --session s1 --attempt 1 --tool-call tc-7 --tool-name run_shell \
  --pid 4242 --started-at 2026-11-25T10:00:01Z --ended-at 2026-11-25T10:00:10Z
ap timeline --run demo-run
ap security risks --run demo-run
ap security responses --run demo-run
risk=$(node dist/src/bin/agentprov.js security risks --run demo-run --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).items[0].risk_id))')
ap graph explain --run demo-run --risk "$risk"
ap graph verify --run demo-run
echo "demo evidence store: $AGENTPROV_DATA_DIR" >&2
