/**
 * Modes, keys and soft forget through the CLI on the demo run: a sealed store refuses UPDATE and DELETE
 * through a raw better-sqlite3 connection and refuses to be unsealed; late binding in a sealed or
 * revisioned store appends versions and still verifies; a redacted event disappears from every query and
 * export while `ledger verify` and `graph verify` still pass; keys are made once per data dir.
 *
 * Reads the event layout of migration 007: events in event_blocks + event_rows, correlations as
 * correlation_kinds plus one correlation_batches row (its versions) per transaction that set kinds.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventLeaf } from '../../src/store/event-blocks.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { batches } from '../helpers/raw-event-rows.js';
import { eventCount, rawBodies } from '../helpers/stored-events.js';
import { BIND, recordDemo } from './ledger-fixture.js';

const META_IP = '169.254.169.254';

describe('storage modes, keys and redaction through the CLI', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());
  const cli = (args: string[]) => runCli(args, { dataDir: dir.path });

  it('sealed: raw SQL cannot UPDATE or DELETE evidence, the mode cannot be left, and re-binding appends versions', async () => {
    await recordDemo(dir.path, 'sealed');
    const db = new Database(join(dir.path, 'evidence.db'));
    const sets: [string, string][] = [
      ['event_blocks', `body = body || x'00'`], ['event_rows', 'time_ns = time_ns + 1'], ['strings', `value = value || 'x'`],
      ['correlation_kinds', `reason = reason || 'x'`], ['correlation_batches', `pairs = pairs || x'00'`],
      ['risks', `body = body || 'x'`], ['dag_nodes', `body = body || 'x'`], ['scopes', `body = body || 'x'`],
    ];
    for (const [table, set] of sets) {
      expect(db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get(), table).toBeGreaterThan(0);
      expect(() => db.prepare(`UPDATE ${table} SET ${set}`).run()).toThrow(`sealed store: UPDATE on ${table} refused`);
      expect(() => db.prepare(`DELETE FROM ${table}`).run()).toThrow(`sealed store: DELETE on ${table} refused`);
    }
    expect(() => db.prepare(`UPDATE meta SET value = 'mutable' WHERE key = 'mode'`).run()).toThrow(/cannot be changed/);
    db.close();
    const leave = await cli(['init', '--mode', 'mutable']);
    expect(leave.code).toBe(7);
    expect(leave.stderr).toContain('the store is sealed; going back to mutable is refused');
    expect((await cli(['ledger', 'status', '--json'])).json().mode).toBe('sealed');

    // bind the same tool call with a narrower window: events move out of the scope, new versions appear
    const raw0 = new Database(join(dir.path, 'evidence.db'), { readonly: true });
    const batchesBefore = batches(raw0);
    raw0.close();
    const narrow = BIND.map((a) => (a === '2026-11-25T10:00:10Z' ? '2026-11-25T10:00:02Z' : a));
    expect((await cli(narrow)).code).toBe(0);
    const raw = new Database(join(dir.path, 'evidence.db'), { readonly: true });
    const batchesAfter = batches(raw);
    const events = eventCount(raw);
    const revised = (raw.prepare(`SELECT COUNT(*) AS n FROM ledger WHERE kind LIKE 'revise:%'`).get() as { n: number }).n;
    raw.close();
    // the earlier attributions are kept as they were (a re-binding can only append batches)
    expect(batchesAfter.slice(0, batchesBefore.length)).toEqual(batchesBefore);
    // every attribution an event ever had is on record: more (event, kind) pairs than events
    expect(batchesAfter.flatMap((b) => b.pairs).length).toBeGreaterThan(events);
    expect(revised).toBeGreaterThan(0);
    expect((await cli(['ledger', 'verify'])).code).toBe(0);
    const g = await cli(['graph', 'verify', '--run', 'r1']);
    expect(g.code, g.stdout).toBe(0);
  });

  it('revisioned: keeps the old versions and tombstones, and both verify', async () => {
    await recordDemo(dir.path, 'revisioned');
    const before = (await cli(['security', 'risks', '--run', 'r1', '--json'])).json().items.length;
    // re-bind under a policy that only knows one rule: every other decision and risk is re-derived away
    const policy = join(dir.path, 'only-secrets.yaml');
    writeFileSync(
      policy,
      ['version: 1', 'name: only-secrets', 'default_action: audit', 'rules:', '  - id: secret-file-read', '    description: secret read',
        '    severity: high', '    score: 75', '    tags: []', '    action: alert', '    match:', '      event_type: file_open',
        '      path_glob: [~/.aws/credentials]', ''].join('\n'),
    );
    expect((await cli([...BIND, '--policy', policy])).code).toBe(0);
    const raw = new Database(join(dir.path, 'evidence.db'), { readonly: true });
    const kinds = (raw.prepare(`SELECT DISTINCT kind FROM ledger`).all() as { kind: string }[]).map((r) => r.kind);
    const kept = (raw.prepare('SELECT COUNT(*) AS n FROM risks WHERE run_id = ?').get('r1') as { n: number }).n;
    raw.close();
    expect(kinds).toEqual(expect.arrayContaining(['mode:revisioned', 'put:policies', 'tombstone:risks', 'tombstone:decisions', 'revise:run_graphs']));
    const now = (await cli(['security', 'risks', '--run', 'r1', '--json'])).json().items;
    expect(now.map((r: { rule_id: string }) => r.rule_id)).toEqual(['secret-file-read']);
    expect(before).toBeGreaterThan(1);
    expect(kept).toBeGreaterThan(before); // the old versions are still there, live ones, revisions and tombstones
    expect((await cli(['ledger', 'verify'])).code).toBe(0);
    const g = await cli(['graph', 'verify', '--run', 'r1']);
    expect(g.code, g.stdout).toBe(0);
  });

  it('soft forget: a redacted event disappears from queries and exports; verification still passes', async () => {
    await recordDemo(dir.path, 'sealed');
    const before = (await cli(['timeline', '--run', 'r1', '--json'])).json();
    const connect = before.items.find((i: { kind: string; summary: string }) => i.kind === 'event' && i.summary.startsWith('network_connect'));
    expect(connect).toBeDefined();
    const r = await cli(['ledger', 'redact', '--event', connect.id, '--reason', 'GDPR request 42', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ row_key: connect.id, reason: 'GDPR request 42' });
    // the redacted object is the event's leaf in its block: sha256(0x00 || stored body)
    const rdb = new Database(join(dir.path, 'evidence.db'), { readonly: true });
    const [stored] = rawBodies(rdb, (e) => e.event_id === connect.id);
    rdb.close();
    expect(r.json().object_hash).toBe(eventLeaf(stored!).toString('hex'));

    const after = (await cli(['timeline', '--run', 'r1', '--json'])).json();
    const masked = after.items.find((i: { id: string }) => i.id === connect.id);
    expect(masked).toBeDefined();
    expect(connect.summary).toContain(META_IP);
    expect(masked.summary).not.toContain(META_IP);
    const explain = await cli(['graph', 'explain', '--run', 'r1', '--event', connect.id, '--json']);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).not.toContain(META_IP);
    const bundle = join(dir.path, 'b.tar.gz');
    expect((await cli(['forensics', 'export', '--run', 'r1', '--out', bundle])).code).toBe(0);
    const { gunzipSync } = await import('node:zlib');
    const tar = gunzipSync(readFileSync(bundle)).toString('latin1');
    const line = tar.split('\n').find((l) => l.includes(`"event_id":"${connect.id}"`) && l.includes('"type":"network_connect"'));
    expect(line).toBeDefined();
    expect(line).not.toContain(META_IP);
    expect(line).toContain('agentprov.redacted');

    expect((await cli(['ledger', 'verify'])).code).toBe(0);
    expect((await cli(['graph', 'verify', '--run', 'r1'])).code).toBe(0);
    const again = await cli(['ledger', 'redact', '--event', connect.id]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already redacted');
    expect((await cli(['ledger', 'redact', '--event', 'f'.repeat(64)])).code).toBe(5);
  });

  it('keys: generated once per data dir, shown with fingerprint and source; env key wins', async () => {
    const g = await cli(['keys', 'generate', '--json']);
    expect(g.code, g.stderr).toBe(0);
    const fp = g.json().fingerprint;
    expect(existsSync(join(dir.path, 'keys', 'ledger.ed25519'))).toBe(true);
    const twice = await cli(['keys', 'generate']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`already has its ledger key ${fp}`);
    const show = await cli(['keys', 'show']);
    expect(show.stdout).toContain(fp);
    expect(show.stdout).toMatch(/agentprov-ed25519-public:[0-9a-f]{64}/);
    expect(show.stdout).toContain('data dir key');
    // a standalone pair, used through the environment
    const alt = join(dir.path, 'alt.key');
    expect((await cli(['keys', 'generate', '--out', alt])).code).toBe(0);
    const envShow = await runCli(['keys', 'show', '--json'], { dataDir: dir.path, env: { AGENTPROV_LEDGER_KEY: readFileSync(alt, 'utf8') } });
    expect(envShow.json()).toMatchObject({ source: 'env AGENTPROV_LEDGER_KEY' });
    expect(envShow.json().fingerprint).not.toBe(fp);
    // ...but a store already signed with the data dir key refuses to mix keys
    expect((await cli(['init'])).code).toBe(0);
    const mixed = await runCli(['init', '--mode', 'revisioned'], { dataDir: dir.path, env: { AGENTPROV_LEDGER_KEY_FILE: alt } });
    expect(mixed.code).toBe(7);
    expect(mixed.stderr).toContain(`signed with key ${fp}`);
  });
});
