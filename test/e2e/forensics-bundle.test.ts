/**
 * Forensics bundles: `forensics export` writes a tar.gz any gzip/tar reads; `forensics verify` passes it on
 * a "machine" that has only the bundle and the public key (a fresh directory, no data dir), and fails on
 * every single changed byte (each byte of the gzip header, signature and trailer, and a dense sample of the
 * body), on appended or removed bytes, on another key, and on a re-wrapped archive with one file changed.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKey, parseSecretKey } from '../../src/ledger/index.js';
import { writeSignedGzip } from '../../src/service/forensics-gzip.js';
import { readTar, writeTar } from '../../src/service/forensics-tar.js';
import { verifyForensicsBundle } from '../../src/service/forensics-verify.js';
import { readPublicKeyArg } from '../../src/service/ledger-keys.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { recordDemo } from './ledger-fixture.js';

describe('forensics bundles', () => {
  const store = tempDir();
  const out = tempDir();
  let bundle = '';
  let pub = '';
  let bytes: Uint8Array;
  beforeAll(async () => {
    await recordDemo(store.path, 'sealed');
    bundle = join(out.path, 'run-r1.tar.gz');
    const e = await runCli(['forensics', 'export', '--run', 'r1', '--out', bundle, '--json'], { dataDir: store.path });
    expect(e.code, e.stderr).toBe(0);
    expect(e.json().subjects.map((s: { name: string }) => s.name)).toContain('events.jsonl');
    pub = join(store.path, 'keys', 'ledger.ed25519.pub');
    bytes = new Uint8Array(readFileSync(bundle));
  });
  afterAll(() => {
    store.cleanup();
    out.cleanup();
  });

  it('is a plain tar.gz with the evidence, the ledger entries, the signed head and the DSSE statement', () => {
    const names = execFileSync('tar', ['-tzf', bundle], { encoding: 'utf8' }).trim().split('\n');
    expect(names).toEqual(expect.arrayContaining([
      'events.jsonl', 'correlations.jsonl', 'decisions.jsonl', 'risks.jsonl', 'responses.jsonl', 'scopes.jsonl',
      'dag-nodes.jsonl', 'dag-edges.jsonl', 'ledger-entries.jsonl', 'ledger-head.json', 'statement.dsse.json',
    ]));
    const envelope = JSON.parse(execFileSync('tar', ['-xzOf', bundle, 'statement.dsse.json'], { encoding: 'utf8' }));
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicate.run_id).toBe('r1');
    expect(statement.subject).toHaveLength(names.length - 1);
  });

  it('verifies with nothing but the public key, in a fresh directory', async () => {
    const fresh = tempDir();
    try {
      copyFileSync(bundle, join(fresh.path, 'b.tar.gz'));
      copyFileSync(pub, join(fresh.path, 'signer.pub'));
      const v = await runCli(['forensics', 'verify', join(fresh.path, 'b.tar.gz'), '--pub', join(fresh.path, 'signer.pub')], {
        dataDir: join(fresh.path, 'no-store-here'),
      });
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout).toMatch(/^bundle ok: run r1, 11 files, signed by ed25519:[0-9a-f]{16}/);
      // the public key given inline works too
      const hex = readFileSync(pub, 'utf8').trim().split(':')[1]!;
      const inline = await runCli(['forensics', 'verify', join(fresh.path, 'b.tar.gz'), '--pub', hex, '--json'], { dataDir: fresh.path });
      expect(inline.code).toBe(0);
      expect(inline.json()).toMatchObject({ ok: true, run_id: 'r1' });
    } finally {
      fresh.cleanup();
    }
  });

  it('fails on any single changed byte', () => {
    const pinned = readPublicKeyArg(pub);
    expect(() => verifyForensicsBundle(bytes, pinned)).not.toThrow();
    const positions = new Set<number>();
    for (let i = 0; i < 100; i++) positions.add(i); // gzip header, extra field, signature, deflate start
    for (let i = bytes.byteLength - 100; i < bytes.byteLength; i++) positions.add(i); // deflate end, CRC32, ISIZE
    for (let i = 100; i < bytes.byteLength - 100; i += 5) positions.add(i);
    let checked = 0;
    for (const at of positions) {
      for (const mask of [0x01, 0x80]) {
        const changed = bytes.slice();
        changed[at] = (changed[at] as number) ^ mask;
        expect(() => verifyForensicsBundle(changed, pinned), `byte ${at} ^ ${mask}`).toThrow();
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    const appended = new Uint8Array([...bytes, 0]);
    expect(() => verifyForensicsBundle(appended, pinned)).toThrow(/signature/);
    expect(() => verifyForensicsBundle(bytes.slice(0, -1), pinned)).toThrow();
  });

  it('fails through the CLI with exit 6, and under another key', async () => {
    const changed = bytes.slice();
    const mid = Math.floor(bytes.byteLength / 2);
    changed[mid] = (changed[mid] as number) ^ 0x10;
    const bad = join(out.path, 'changed.tar.gz');
    writeFileSync(bad, changed);
    const v = await runCli(['forensics', 'verify', bad, '--pub', pub], { dataDir: out.path });
    expect(v.code).toBe(6);
    expect(v.stderr).toContain('does not verify with the pinned key');
    const other = join(out.path, 'other.key');
    expect((await runCli(['keys', 'generate', '--out', other], { dataDir: out.path })).code).toBe(0);
    const wrong = await runCli(['forensics', 'verify', bundle, '--pub', `${other}.pub`], { dataDir: out.path });
    expect(wrong.code).toBe(6);
    // and a bundle signed with --sign-key verifies with that key only
    const signed = join(out.path, 'signed.tar.gz');
    expect((await runCli(['forensics', 'export', '--run', 'r1', '--out', signed, '--sign-key', other], { dataDir: store.path })).code).toBe(0);
    const own = await runCli(['forensics', 'verify', signed, '--pub', `${other}.pub`], { dataDir: out.path });
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain('NOT verified (pass --ledger-pub)'); // the ledger head is by the store key
    const both = await runCli(['forensics', 'verify', signed, '--pub', `${other}.pub`, '--ledger-pub', pub], { dataDir: out.path });
    expect(both.stdout).toMatch(/signature verified with ed25519:/);
    expect((await runCli(['forensics', 'verify', signed, '--pub', pub], { dataDir: out.path })).code).toBe(6);
  });

  it('the signed statement catches a changed file even inside a correctly re-signed gzip', () => {
    const secret = parseSecretKey(readFileSync(join(store.path, 'keys', 'ledger.ed25519'), 'utf8'));
    const files = readTar(new Uint8Array(gunzipSync(bytes)));
    const risks = files.find((f) => f.name === 'risks.jsonl')!;
    risks.data = new TextEncoder().encode(new TextDecoder().decode(risks.data).replace('"critical"', '"low"'));
    const rewrapped = writeSignedGzip(writeTar(files), secret);
    const pinned = { publicKey: parsePublicKey(readFileSync(pub, 'utf8')), fingerprint: 'x', source: 'test' };
    expect(() => verifyForensicsBundle(rewrapped, pinned)).toThrow(/risks\.jsonl: sha256 .* differs from the signed/);
  });

  it('the tar reader accepts only the exact form the writer makes', () => {
    const tar = writeTar([{ name: 'a.jsonl', data: new TextEncoder().encode('{"x":1}\n') }]);
    expect(readTar(tar).map((f) => f.name)).toEqual(['a.jsonl']);
    for (const at of [0, 100, 136, 148, 156, 257, 263, 265, 345, 511, 520, 600, 1023, 1024, 1535, 2047]) { // headers, padding, end blocks
      const changed = tar.slice();
      changed[at] = (changed[at] as number) ^ 0x01;
      expect(() => readTar(changed), `byte ${at}`).toThrow();
    }
    expect(() => readTar(new Uint8Array([...tar, ...new Uint8Array(512)]))).toThrow();
  });
});
