#!/usr/bin/env bash
# Runs every vitest project and ends with the plain summary line `N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
rm -f build/test-results.json
./node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=build/test-results.json "$@"
status=$?
if [ ! -s build/test-results.json ]; then
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
node -e '
  const r = JSON.parse(require("fs").readFileSync("build/test-results.json", "utf8"));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) process.exit(1);
' || status=1
exit $status
