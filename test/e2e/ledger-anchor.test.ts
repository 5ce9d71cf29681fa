/**
 * Merkle anchors through the CLI: written to a directory or POSTed to a local HTTP server (loopback only),
 * a failed POST is an error the user sees (and nothing is recorded), `ledger verify` rebuilds every anchor
 * it finds, an external anchor catches a chain rewritten even with the stolen key, and `ledger prove SEQ`
 * gives an RFC 9162 inclusion proof that verifies offline.
 *
 * `ledger prove --event` reads the event layout of migration 007: an event is proven through its block (leaf
 * hash sha256(0x00||body), audit path to the block's Merkle root) to the block's `put:event_blocks` entry.
 */
import { createServer, type Server } from 'node:http';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import {
  anchorFromJson,
  computeEntryHash,
  parsePublicKey,
  parseSecretKey,
  signHead,
  verifyAnchorSignature,
  verifyEntryProof,
} from '../../src/ledger/index.js';
import Database from 'better-sqlite3';
import { blockRoot, eventLeaf } from '../../src/store/event-blocks.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { rowOf } from '../helpers/raw-event-rows.js';
import { attackerDb, copyDataDir, recordDemo } from './ledger-fixture.js';

describe('ledger anchors and proofs', () => {
  const origin = tempDir();
  let server: Server;
  let base = '';
  const posted: { path: string; body: string }[] = [];
  beforeAll(async () => {
    await recordDemo(origin.path);
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        posted.push({ path: req.url ?? '', body });
        res.statusCode = req.url === '/fail' ? 500 : 201;
        res.end(req.url === '/fail' ? 'anchor service down' : 'ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    origin.cleanup();
  });

  let store: ReturnType<typeof tempDir>;
  let out: ReturnType<typeof tempDir>;
  beforeEach(() => {
    store = copyDataDir(origin.path);
    out = tempDir();
  });
  afterEach(() => {
    store.cleanup();
    out.cleanup();
  });

  const pubFile = (): string => join(store.path, 'keys', 'ledger.ed25519.pub');
  const anchorsRecorded = async (): Promise<number> => (await runCli(['ledger', 'status', '--json'], { dataDir: store.path })).json().anchors;

  it('writes a signed anchor to a directory, records it, and ledger verify rebuilds it', async () => {
    const a = await runCli(['ledger', 'anchor', '--to', out.path, '--json'], { dataDir: store.path });
    expect(a.code, a.stderr).toBe(0);
    const files = readdirSync(out.path);
    expect(files).toHaveLength(1);
    const anchor = anchorFromJson(readFileSync(join(out.path, files[0]!), 'utf8'));
    expect(files[0]).toBe(`anchor-1-${anchor.to_seq}.json`);
    expect(verifyAnchorSignature(anchor, parsePublicKey(readFileSync(pubFile(), 'utf8')))).toEqual({ ok: true });
    expect(await anchorsRecorded()).toBe(1);
    const v = await runCli(['ledger', 'verify', '--anchor-dir', out.path, '--json'], { dataDir: store.path });
    expect(v.code, v.stdout).toBe(0);
    expect(v.json()).toMatchObject({ ok: true, anchors_checked: 1 });
  });

  it('POSTs the anchor to a URL; a failed POST is an error and records nothing', async () => {
    const ok = await runCli(['ledger', 'anchor', '--to', `${base}/anchors`], { dataDir: store.path });
    expect(ok.code, ok.stderr).toBe(0);
    const sent = posted.find((p) => p.path === '/anchors');
    expect(sent).toBeDefined();
    const anchor = anchorFromJson(sent!.body);
    expect(verifyAnchorSignature(anchor, parsePublicKey(readFileSync(pubFile(), 'utf8')))).toEqual({ ok: true });
    expect(await anchorsRecorded()).toBe(1);

    const fail = await runCli(['ledger', 'anchor', '--to', `${base}/fail`], { dataDir: store.path });
    expect(fail.code).toBe(8);
    expect(fail.stderr).toContain('HTTP 500: anchor service down');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await runCli(['ledger', 'anchor', '--to', `http://127.0.0.1:${port}/x`], { dataDir: store.path });
    expect(refused.code).toBe(8);
    expect(refused.stderr).toMatch(/cannot POST the anchor/);
    expect(await anchorsRecorded()).toBe(1);
  });

  it('an external anchor catches a chain rewritten and re-signed with the stolen key', async () => {
    expect((await runCli(['ledger', 'anchor', '--to', out.path], { dataDir: store.path })).code).toBe(0);
    const secret = parseSecretKey(readFileSync(join(store.path, 'keys', 'ledger.ed25519'), 'utf8'));
    const db = attackerDb(store.path);
    // drop the anchor's own record, edit entry 3, recompute every later hash, and sign a fresh head
    const anchorSeq = (db.prepare('SELECT ledger_seq FROM ledger_anchors').get() as { ledger_seq: number }).ledger_seq;
    db.prepare('DELETE FROM ledger_anchors').run();
    db.prepare('DELETE FROM ledger WHERE seq >= ?').run(anchorSeq);
    db.prepare('DELETE FROM ledger_heads').run();
    const rows = db.prepare('SELECT * FROM ledger ORDER BY seq').safeIntegers(true).all() as Record<string, bigint | string>[];
    let prev = '0'.repeat(64);
    const update = db.prepare('UPDATE ledger SET prev_hash = ?, kind = ?, entry_hash = ? WHERE seq = ?');
    for (const r of rows) {
      const e = { seq: Number(r.seq), prev_hash: prev, object_hash: r.object_hash as string, kind: Number(r.seq) === 3 ? 'put:forged' : (r.kind as string), time_ns: r.time_ns as bigint };
      prev = computeEntryHash(e);
      update.run(e.prev_hash, e.kind, prev, e.seq);
    }
    const head = signHead({ seq: rows.length, entry_hash: prev }, secret, 1n);
    db.prepare('INSERT INTO ledger_heads VALUES (?,?,?,?,?)').run(head.seq, head.entry_hash, head.key_fingerprint, head.signature, head.signed_at_ns);
    db.close();
    const local = await runCli(['ledger', 'verify', '--chain-only'], { dataDir: store.path });
    expect(local.code, local.stdout).toBe(0); // the store alone cannot tell: this is what anchors are for
    const v = await runCli(['ledger', 'verify', '--chain-only', '--anchor-dir', out.path, '--json'], { dataDir: store.path });
    expect(v.code, v.stdout).toBe(6);
    expect(v.json()).toMatchObject({ ok: false, problem: 'anchor_mismatch', first_bad_seq: 1 });
  });

  it('ledger prove SEQ gives an inclusion proof that verifies offline, and fails once changed', async () => {
    expect((await runCli(['ledger', 'anchor', '--to', out.path], { dataDir: store.path })).code).toBe(0);
    const proofFile = join(out.path, 'proof.json');
    const p = await runCli(['ledger', 'prove', '7', '--out', proofFile], { dataDir: store.path });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/entry 7 .* is leaf 6 of anchor 1\.\.\d+/);
    const doc = JSON.parse(readFileSync(proofFile, 'utf8'));
    const anchor = anchorFromJson(JSON.stringify(doc.anchor));
    expect(verifyEntryProof(doc.proof, anchor)).toBe(true);
    const ok = await runCli(['ledger', 'verify-proof', proofFile, '--pub', pubFile()], { dataDir: out.path });
    expect(ok.code, ok.stderr).toBe(0);
    doc.proof.path[0] = doc.proof.path[0].replace(/^./, (c: string) => (c === '0' ? '1' : '0'));
    writeFileSync(proofFile, JSON.stringify(doc));
    const bad = await runCli(['ledger', 'verify-proof', proofFile, '--pub', pubFile()], { dataDir: out.path });
    expect(bad.code).toBe(6);
    expect(bad.stderr).toContain('does not lead to the anchored root');
  });

  it('ledger prove --event gives one event\'s proof: its stored body, the entry that hashed it, the audit path', async () => {
    expect((await runCli(['ledger', 'anchor', '--to', out.path], { dataDir: store.path })).code).toBe(0);
    const items = (await runCli(['timeline', '--run', 'r1', '--json'], { dataDir: store.path })).json().items as { kind: string; id: string }[];
    const ev = items.find((i) => i.kind === 'event')!;
    const proofFile = join(out.path, 'event-proof.json');
    const p = await runCli(['ledger', 'prove', '--event', ev.id, '--out', proofFile], { dataDir: store.path });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain(`event ${ev.id}: entry`);
    const doc = JSON.parse(readFileSync(proofFile, 'utf8'));
    expect(doc.entry.kind).toBe('put:event_blocks');
    expect(JSON.parse(doc.event.body).event_id).toBe(ev.id);
    // the proof names the event's block and place in it, as stored; its entry records that block's root
    const db = new Database(join(store.path, 'evidence.db'), { readonly: true });
    const row = rowOf(db, ev.id);
    const block = db.prepare('SELECT ledger_seq, count, leaves FROM event_blocks WHERE block_id = ?').get(row.block_id) as { ledger_seq: number; count: number; leaves: Buffer };
    db.close();
    expect(doc.event.block).toMatchObject({ block_id: row.block_id, tree_size: block.count, leaf_index: row.pos });
    expect(doc.event.block.path).toHaveLength(Math.ceil(Math.log2(block.count)));
    expect(doc.event.leaf).toBe(eventLeaf(doc.event.body).toString('hex'));
    expect(doc.entry.seq).toBe(block.ledger_seq);
    expect(doc.entry.object_hash).toBe(blockRoot(block.leaves));
    const ok = await runCli(['ledger', 'verify-proof', proofFile, '--pub', pubFile()], { dataDir: out.path });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`proof ok: event ${ev.id}`);
    // a changed body, or a body hash the entry does not record, is caught offline
    const body = JSON.parse(doc.event.body);
    writeFileSync(proofFile, JSON.stringify({ ...doc, event: { ...doc.event, body: JSON.stringify({ ...body, pid: 1 }) } }));
    const changed = await runCli(['ledger', 'verify-proof', proofFile, '--pub', pubFile()], { dataDir: out.path });
    expect(changed.code).toBe(6);
    expect(changed.stderr).toContain('the body does not hash to the leaf');
    // a leaf the block does not hold, a changed audit path or another position: the path misses the root
    const notInBlock = { ...doc.event, leaf: '0'.repeat(64) };
    const flipped = (h: string) => (h[0] === '0' ? '1' : '0') + h.slice(1);
    const badPath = { ...doc.event, block: { ...doc.event.block, path: doc.event.block.path.map((h: string, i: number) => (i === 0 ? flipped(h) : h)) } };
    const moved = { ...doc.event, block: { ...doc.event.block, leaf_index: (doc.event.block.leaf_index + 1) % doc.event.block.tree_size } };
    for (const event of [notInBlock, badPath, moved]) {
      writeFileSync(proofFile, JSON.stringify({ ...doc, event }));
      const swapped = await runCli(['ledger', 'verify-proof', proofFile, '--pub', pubFile()], { dataDir: out.path });
      expect(swapped.code).toBe(6);
      expect(swapped.stderr).toContain('the audit path does not lead from the leaf to the block root the entry records');
    }
    const none = await runCli(['ledger', 'prove', '--event', 'ev-nope'], { dataDir: store.path });
    expect(none.code).toBe(5);
    expect(none.stderr).toContain('no event ev-nope');
    const both = await runCli(['ledger', 'prove', '3', '--event', ev.id], { dataDir: store.path });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('one of them');
  });

  it('prove without an anchor says how to make one', async () => {
    const p = await runCli(['ledger', 'prove', '3'], { dataDir: store.path });
    expect(p.code).toBe(5);
    expect(p.stderr).toContain('run agentprov ledger anchor');
  });
});
