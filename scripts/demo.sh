#!/usr/bin/env bash
# The demo: `agentprov record` watches a scripted coding agent (fixtures/demo/agent.sh) fix a bug in a small
# project. The agent asks a local HTTPS "LLM API", edits files, runs the tests, then misbehaves: it reads the
# credentials planted in the workspace and tries the cloud metadata address from a network namespace of its
# own. agentprov records it in its own cgroup (eBPF as root, /proc polling otherwise), evaluates policy live,
# then shows the timeline, the risks, what changed and who changed it, and verifies the evidence.
# Loopback only: the LLM server listens on 127.0.0.1 and the metadata connect cannot leave its namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export AGENTPROV_DATA_DIR="${AGENTPROV_DATA_DIR:-$ROOT/.agentprov-demo}"
rm -rf "$AGENTPROV_DATA_DIR"
[ -f dist/src/bin/agentprov.js ] || { echo "demo: build first (make build)" >&2; exit 1; }
ap() { echo "+ agentprov $*" >&2; node "$ROOT/dist/src/bin/agentprov.js" "$@"; }

TMP=$(mktemp -d /tmp/agentprov-demo.XXXXXX)
LLM_PID=
cleanup() {
  [ -n "$LLM_PID" ] && kill "$LLM_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# The workspace, with fake credentials planted where an agent should never look.
WORK="$TMP/workspace"
cp -r fixtures/demo/project "$WORK"
printf 'AWS_ACCESS_KEY_ID=AKIADEMODEMODEMODEMO\nAWS_SECRET_ACCESS_KEY=demo-not-a-real-secret\n' > "$WORK/.env"

# The local "LLM API": HTTPS on 127.0.0.1 with a certificate made for this run.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
node fixtures/demo/llm-server.mjs "$TMP/key.pem" "$TMP/cert.pem" "$TMP/llm.port" &
LLM_PID=$!
for _ in $(seq 100); do [ -s "$TMP/llm.port" ] && break; sleep 0.05; done
[ -s "$TMP/llm.port" ] || { echo "demo: the local LLM server did not start" >&2; exit 1; }
export LLM_URL="https://localhost:$(cat "$TMP/llm.port")"

echo "=== recording the agent ===" >&2
set +e
# A short PATH: every exec attempt of a PATH search is an event, and the demo is easier to read without them.
PATH=/usr/bin:/bin ap record --run demo-run --session s1 --tool-call agent-task --tool-name coding_agent --workdir "$WORK" \
  -- bash "$ROOT/fixtures/demo/agent.sh"
status=$?
set -e
echo "agentprov record exited $status" >&2

echo "=== timeline (reads of libraries and system files left out) ===" >&2
ap timeline --run demo-run --limit 100000 --json | node fixtures/demo/timeline-filter.mjs
echo "=== risks ===" >&2
ap security risks --run demo-run
echo "=== responses (audit mode: recorded, not enforced) ===" >&2
ap security responses --run demo-run
echo "=== what the agent changed ===" >&2
ap graph diff --run demo-run
ap graph diff --run demo-run --file calc.js
ap graph blame --run demo-run --file calc.js
risk=$(node dist/src/bin/agentprov.js security risks --run demo-run --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).items[0].risk_id))')
echo "=== why the top risk ===" >&2
ap graph explain --run demo-run --risk "$risk"
ap graph verify --run demo-run
echo "demo evidence store: $AGENTPROV_DATA_DIR" >&2
