/**
 * @module scripts/bench-ledger: ledger appends per second with signing, and the time to verify N (default
 * 1M) entries, each as a ratio against baselines measured in the same process on the same data:
 *   - sha256: building each entry's preimage and hashing it once (the floor any hash chain pays);
 *   - sqlite: plain INSERTs of the same rows into a table without the ledger (the floor of storing them).
 * Measured twice: the pure core (in memory) and the store (SQLite, one signed head per 5000-entry commit,
 * as an ingest batch does; verify streams the table and checks every head signature with the pinned key).
 * Prints numbers; asserts nothing. Run: npx tsc -p tsconfig.json && node dist/scripts/bench-ledger.js [N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../src/graph/index.js';
import {
  appendEntry,
  entryPreimage,
  generateKeyPair,
  headOf,
  signHead,
  verifyLedger,
  type LedgerEntry,
  type SignedHead,
} from '../src/ledger/index.js';
import { verifyStoreLedger } from '../src/store/ledger-verify.js';
import { EvidenceStore } from '../src/store/index.js';

const n = Number(process.argv[2] ?? 1_000_000);
const batch = 5000;
const T = 1_795_600_000_000_000_000n;
const objectHashes = Array.from({ length: 1024 }, (_, i) => sha256Hex(`object-${i}`));
const obj = (i: number): string => objectHashes[i % 1024] as string;

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function time(fn: () => void): Timing {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  fn();
  const u = process.cpuUsage(c);
  return { wallMs: Number(process.hrtime.bigint() - t) / 1e6, cpuMs: (u.user + u.system) / 1000 };
}

const fmt = (t: Timing): string => `${t.wallMs.toFixed(0)} ms (cpu ${t.cpuMs.toFixed(0)} ms)`;
const rate = (t: Timing): string => `${Math.round(n / (t.wallMs / 1000)).toLocaleString('en')}/s`;
const ratio = (t: Timing, base: Timing): string => `${(t.wallMs / base.wallMs).toFixed(2)}x`;

// Baseline 1: the same preimages, hashed once each (no signing, no checks).
let sink = '';
const sha = time(() => {
  let prev = '0'.repeat(64);
  for (let i = 0; i < n; i++) {
    prev = sha256Hex(entryPreimage({ seq: i + 1, prev_hash: prev, object_hash: obj(i), kind: 'put:events', time_ns: T + BigInt(i) }));
  }
  sink = prev;
});

// Core: append + a signed head per batch, then verify the chain and every head signature.
const key = generateKeyPair();
const entries = new Array<LedgerEntry>(n);
const heads: SignedHead[] = [];
const coreAppend = time(() => {
  let prev: LedgerEntry | null = null;
  for (let i = 0; i < n; i++) {
    prev = appendEntry(prev, { object_hash: obj(i), kind: 'put:events', time_ns: T + BigInt(i) });
    entries[i] = prev;
    if ((i + 1) % batch === 0 || i === n - 1) heads.push(signHead(headOf(prev), key.secretKey, T));
  }
});
let coreOk = false;
const coreVerify = time(() => {
  coreOk = verifyLedger(entries, { signedHeads: heads, pinnedPublicKey: key.publicKey }).ok;
});
entries.length = 0;

// Baseline 2: the same rows as plain SQLite INSERTs, batch by batch, no hashing or signing.
const dir = mkdtempSync(join(tmpdir(), 'agentprov-bench-ledger-'));
const store = new EvidenceStore(join(dir, 'store'), { env: {}, now: () => T });
const plain = new EvidenceStore(join(dir, 'plain'), { env: {} });
plain.db.exec('CREATE TABLE plain (seq INTEGER PRIMARY KEY, prev_hash TEXT, object_hash TEXT, kind TEXT, time_ns INTEGER, entry_hash TEXT)');
const ins = plain.db.prepare('INSERT INTO plain VALUES (?,?,?,?,?,?)');
const h = '0'.repeat(64);
const sqlite = time(() => {
  for (let i = 0; i < n; i += batch) {
    plain.db.transaction(() => {
      for (let j = i; j < Math.min(n, i + batch); j++) ins.run(j + 1, h, obj(j), 'put:events', T + BigInt(j), h);
    })();
  }
});
plain.close();

// Store: the real ledger writer inside real write transactions (one signed head per commit).
const storeAppend = time(() => {
  for (let i = 0; i < n; i += batch) {
    store.transaction(() => {
      for (let j = i; j < Math.min(n, i + batch); j++) store.ledger.append('put:events', obj(j));
    });
  }
});
const pair = store.signingKey().pair;
let storeOk = false;
let storeHeads = 0;
const storeVerify = time(() => {
  const v = verifyStoreLedger(store.db, { pinned: { publicKey: pair.publicKey, fingerprint: pair.fingerprint, source: 'bench' }, rows: 'none' });
  storeOk = v.ok && v.entries === n;
  storeHeads = v.signed_heads;
});
store.close();
rmSync(dir, { recursive: true, force: true });

console.log(`ledger: ${n.toLocaleString('en')} entries, a signed head per ${batch} (Ed25519, @noble/ed25519)`);
console.log(`  baseline sha256 of the same preimages:  ${fmt(sha)}, ${rate(sha)}${sink ? '' : '!'}`);
console.log(`  baseline plain SQLite INSERT of the rows: ${fmt(sqlite)}, ${rate(sqlite)}`);
console.log(`  core append + sign:    ${fmt(coreAppend)}, ${rate(coreAppend)} appends; ${ratio(coreAppend, sha)} the sha256 baseline`);
console.log(`  core verify (${heads.length} head signatures + chain): ${fmt(coreVerify)}; ${ratio(coreVerify, sha)} the sha256 baseline; ok=${coreOk}`);
console.log(
  `  store append + sign (SQLite): ${fmt(storeAppend)}, ${rate(storeAppend)} appends; ` +
    `${ratio(storeAppend, sqlite)} plain SQLite, ${ratio(storeAppend, sha)} sha256`,
);
console.log(
  `  store verify ${n.toLocaleString('en')} entries (${storeHeads} head signatures + chain, streamed from SQLite): ${fmt(storeVerify)}; ` +
    `${ratio(storeVerify, sha)} the sha256 baseline; ok=${storeOk}`,
);
if (!coreOk || !storeOk) process.exitCode = 1;
