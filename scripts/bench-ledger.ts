/**
 * @module scripts/bench-ledger: appends/s (with a signed head every 1000 entries) and the time to verify
 * a 1M-entry chain. Prints numbers; asserts nothing (timings do not belong in unit tests).
 * Run: npx tsc --outDir /tmp/lb --module NodeNext --moduleResolution NodeNext --target ES2022 \
 *        --skipLibCheck --esModuleInterop scripts/bench-ledger.ts && ln -sfn "$PWD/node_modules" /tmp/lb/ \
 *        && node /tmp/lb/scripts/bench-ledger.js [N]      (the link lets /tmp/lb resolve @noble/ed25519)
 */
import { createHash } from 'node:crypto';
import {
  appendEntry,
  generateKeyPair,
  headOf,
  signHead,
  verifyChain,
  verifyHeadSignature,
  type LedgerEntry,
  type SignedHead,
} from '../src/ledger/index.js';

const n = Number(process.argv[2] ?? 1_000_000);
const batch = 1000;
const key = generateKeyPair();
const objectHashes = Array.from({ length: 1024 }, (_, i) => createHash('sha256').update(`object-${i}`).digest('hex'));

const entries: LedgerEntry[] = new Array<LedgerEntry>(n);
const heads: SignedHead[] = [];
let prev: LedgerEntry | null = null;
// CPU time is printed beside wall time: on a shared 2-core machine wall time mostly measures the neighbours.
const cpuMs = (since: NodeJS.CpuUsage): string => {
  const u = process.cpuUsage(since);
  return ((u.user + u.system) / 1000).toFixed(0);
};
let c = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  prev = appendEntry(prev, { object_hash: objectHashes[i % 1024] as string, kind: 'event', time_ns: 1_700_000_000_000_000_000n + BigInt(i) });
  entries[i] = prev;
  if ((i + 1) % batch === 0) heads.push(signHead(headOf(prev), key.secretKey, process.hrtime.bigint()));
}
const appendNs = Number(process.hrtime.bigint() - t0);
const appendCpu = cpuMs(c);
c = process.cpuUsage();

const t1 = process.hrtime.bigint();
const last = heads[heads.length - 1];
const result = verifyChain(entries, last ? { expectedHead: last } : {});
const verifyNs = Number(process.hrtime.bigint() - t1);
const verifyCpu = cpuMs(c);
c = process.cpuUsage();

const t2 = process.hrtime.bigint();
const allHeads = verifyChain(entries, { checkpoints: heads });
const verifyHeadsNs = Number(process.hrtime.bigint() - t2);
const verifyHeadsCpu = cpuMs(c);
c = process.cpuUsage();

const t3 = process.hrtime.bigint();
let badSigs = 0;
for (const h of heads) if (!verifyHeadSignature(h, key.publicKey).ok) badSigs++;
const sigNs = Number(process.hrtime.bigint() - t3);
const sigCpu = cpuMs(c);

const ms = (ns: number): string => (ns / 1e6).toFixed(0);
console.log(`entries: ${n}, signed heads: ${heads.length} (one per ${batch})`);
console.log(`append + sign: ${ms(appendNs)} ms (cpu ${appendCpu} ms), ${Math.round(n / (appendNs / 1e9))} appends/s`);
console.log(`verify chain (1 head): ${ms(verifyNs)} ms (cpu ${verifyCpu} ms), ${Math.round(n / (verifyNs / 1e9))} entries/s, ok=${result.ok}`);
console.log(`verify chain (all ${heads.length} heads as checkpoints): ${ms(verifyHeadsNs)} ms (cpu ${verifyHeadsCpu} ms), ok=${allHeads.ok}`);
console.log(`verify ${heads.length} head signatures: ${ms(sigNs)} ms (cpu ${sigCpu} ms), failures=${badSigs}`);
if (!result.ok || !allHeads.ok || badSigs > 0) process.exitCode = 1;
