#!/usr/bin/env node
/**
 * @module scripts/bundle: after `tsc`, rewrites each entry point of dist/ (the two CLIs and the storage
 * worker) as one file holding our modules and the ESM libraries they import (zod, yaml, @noble/ed25519).
 *
 * Why: `agentprov --version` took 0.57 s, 0.12 s of it Node itself; the rest was resolving, reading and
 * linking ~420 ES modules (240 of ours, 180 of zod and yaml), and every command, `record` included, pays it
 * (make bench). One file per entry cuts it to ~0.28 s. Each bundle is written where tsc put the entry, so
 * every path a module finds from its own location (the package root, the sensor addon, the storage worker
 * beside the store) resolves as before; CommonJS packages (better-sqlite3 and its native binding,
 * commander, dockerode) stay external and load from node_modules. The per-module files tsc wrote stay in
 * dist/ for the library exports and the tests. Without rolldown (a devDependency) dist/ is left as tsc
 * made it, which runs the same, only slower to start.
 */
import { existsSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = ['dist/src/bin/agentprov.js', 'dist/src/bin/agentprov-sensor.js', 'dist/src/store/storage-worker.js'];
/** ESM packages worth inlining (most of the module count); everything else from node_modules stays external. */
const INLINE = /^(zod|yaml|@noble\/ed25519)(\/|$)/;

let rolldown;
try {
  ({ rolldown } = await import('rolldown'));
} catch (err) {
  process.stderr.write(`bundle: rolldown is not installed (${err.message}); dist/ keeps tsc's per-module output\n`);
  process.exit(0);
}

for (const rel of ENTRIES) {
  const file = join(root, rel);
  if (!existsSync(file)) {
    process.stderr.write(`bundle: ${rel} is missing: run tsc first\n`);
    process.exit(1);
  }
  const tmp = `${file}.bundle.tmp`;
  const build = await rolldown({
    input: file,
    platform: 'node',
    // bare imports that are not inlined, node: builtins and native addons load at run time as before
    external: (id) => id.startsWith('node:') || id.endsWith('.node') || (!id.startsWith('.') && !id.startsWith('/') && !INLINE.test(id)),
    logLevel: 'warn',
  });
  await build.write({ file: tmp, format: 'esm', sourcemap: false });
  await build.close();
  renameSync(tmp, file); // the entry is replaced whole or not at all
}
process.stderr.write(`bundle: ${ENTRIES.length} entry points bundled\n`);
