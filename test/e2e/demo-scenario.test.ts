import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { runCli, tempDir } from '../helpers/cli.js';
import { rawEvents, tamperBlock } from '../helpers/stored-events.js';

const FALCO = 'fixtures/demo/falco-agent-run.jsonl';
const TETRAGON = 'fixtures/demo/tetragon-agent-run.jsonl';
const BIND = [
  'telemetry', 'bind', '--run', 'r1', '--session', 's1', '--attempt', '1', '--tool-call', 'tc-7',
  '--tool-name', 'run_shell', '--pid', '4242',
  '--started-at', '2026-11-25T10:00:01Z', '--ended-at', '2026-11-25T10:00:10Z',
];

describe('Falco + Tetragon telemetry bound to a tool call', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  async function ingestAll(): Promise<void> {
    expect((await runCli(['telemetry', 'ingest-falco', '--file', FALCO], { dataDir: dir.path })).code).toBe(0);
    const t = await runCli(['telemetry', 'ingest-jsonl', '--format', 'tetragon', '--file', TETRAGON], { dataDir: dir.path });
    expect(t.code).toBe(0);
  }

  it('attributes a metadata connect with no tool_call_id through pid ancestry and explains the risk', async () => {
    await ingestAll();
    const bind = await runCli([...BIND, '--json'], { dataDir: dir.path });
    expect(bind.code, bind.stderr).toBe(0);

    const corr = (await runCli(['telemetry', 'correlations', '--run', 'r1', '--json'], { dataDir: dir.path })).json();
    expect(corr.schema_version).toBe('agentprov.correlations/v1');
    const connectCorr = corr.items.find((c: any) => c.keys_matched.some((k: string) => k.includes('4242')) && c.tier === 'pid_ancestry');
    expect(connectCorr).toBeDefined();
    expect(connectCorr.confidence).toBe(0.85);
    expect(connectCorr.tool_call_id).toBe('tc-7');

    const timeline = (await runCli(['timeline', '--run', 'r1', '--json'], { dataDir: dir.path })).json();
    expect(timeline.schema_version).toBe('agentprov.timeline/v1');
    const connect = timeline.items.find((i: any) => i.kind === 'event' && i.summary.includes('169.254.169.254'));
    expect(connect).toBeDefined();
    expect(timeline.items.some((i: any) => i.kind === 'telemetry_loss')).toBe(true);

    const risks = (await runCli(['security', 'risks', '--run', 'r1', '--json'], { dataDir: dir.path })).json();
    const meta = risks.items.find((r: any) => r.event_id === connect.id);
    expect(meta, JSON.stringify(risks.items.map((r: any) => r.rule_id))).toBeDefined();
    expect(meta.tool_call_id).toBe('tc-7');

    const responses = (await runCli(['security', 'responses', '--run', 'r1', '--json'], { dataDir: dir.path })).json();
    const resp = responses.items.find((r: any) => r.decision_id === meta.decision_id);
    expect(resp).toBeDefined();
    expect(resp.result).toBe('skipped');

    const explain = await runCli(['graph', 'explain', '--run', 'r1', '--risk', meta.risk_id, '--json'], { dataDir: dir.path });
    expect(explain.code, explain.stderr).toBe(0);
    const kinds: string[] = explain.json().items.map((n: any) => n.kind);
    const order = ['runtime_event', 'policy_decision', 'risk_signal', 'response_action'].map((k) => kinds.indexOf(k));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(kinds.indexOf('tool_call')).toBeLessThan(order[0]!);

    const verify = await runCli(['graph', 'verify', '--run', 'r1'], { dataDir: dir.path });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('late binding gives the same correlations and risks as binding first', async () => {
    await ingestAll();
    expect((await runCli(BIND, { dataDir: dir.path })).code).toBe(0);
    const late = tempDir();
    try {
      expect((await runCli(BIND, { dataDir: late.path })).code).toBe(0);
      expect((await runCli(['telemetry', 'ingest-falco', '--file', FALCO], { dataDir: late.path })).code).toBe(0);
      expect((await runCli(['telemetry', 'ingest-jsonl', '--file', TETRAGON], { dataDir: late.path })).code).toBe(0);
      for (const q of [['telemetry', 'correlations'], ['security', 'risks']]) {
        const a = (await runCli([...q, '--run', 'r1', '--json'], { dataDir: dir.path })).json().items;
        const b = (await runCli([...q, '--run', 'r1', '--json'], { dataDir: late.path })).json().items;
        expect(a.length).toBeGreaterThan(0);
        expect(b).toEqual(a);
      }
    } finally {
      late.cleanup();
    }
  });

  it('graph verify fails, naming the object, when a stored row is changed in SQLite', async () => {
    await ingestAll();
    expect((await runCli(BIND, { dataDir: dir.path })).code).toBe(0);
    const sql = (text: string) => (db: Database.Database): number => db.prepare(text).run().changes;
    // Event bodies live compressed in event_blocks (migration 007): the tamperer rewrites every block that holds
    // the metadata address, changing it in each body, and leaves leaves, rows and ledger as they were.
    const META = '169.254.169.254';
    const tamperedEvents: string[] = [];
    const eventBodies = (db: Database.Database): number => {
      const has = (e: Record<string, unknown>) => JSON.stringify(e).includes(META);
      tamperedEvents.push(...rawEvents(db).filter((r) => has(r.event)).map((r) => String(r.event.event_id)));
      while (rawEvents(db).some((r) => has(r.event))) {
        tamperBlock(db, has, (bodies) => bodies.map((b) => b.replaceAll(META, '169.254.169.253')));
      }
      return tamperedEvents.length;
    };
    const tamper: [string, (db: Database.Database) => number][] = [
      ['event body', eventBodies],
      ['dag node', sql(`UPDATE dag_nodes SET body = replace(body, 'run_shell', 'run_shel1') WHERE kind = 'tool_call'`)],
      ['dag edge', sql(`UPDATE dag_edges SET name = 'process_forked' WHERE rowid = (SELECT MIN(rowid) FROM dag_edges WHERE name <> 'process_forked')`)],
      ['risk row', sql(`UPDATE risks SET body = replace(body, '"critical"', '"low"')`)],
      // the end of a tool call is its own node (tool_call_end): a moved end is caught there
      ['scope end', sql(`UPDATE scopes SET body = replace(body, '"ended_at_ns":"1', '"ended_at_ns":"2') WHERE tool_call_id = 'tc-7'`)],
    ];
    for (const [what, change] of tamper) {
      const copy = tempDir();
      try {
        const db = new Database(join(dir.path, 'evidence.db'));
        db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        await db.backup(join(copy.path, 'evidence.db'));
        db.close();
        const t = new Database(join(copy.path, 'evidence.db'));
        const changed = change(t);
        t.close();
        expect(changed, what).toBeGreaterThan(0);
        const v = await runCli(['graph', 'verify', '--run', 'r1', '--json'], { dataDir: copy.path });
        expect(v.code, `${what}: ${v.stdout}`).toBe(6);
        const problems = v.json().problems as { hash: string; kind: string; detail: string }[];
        expect(problems.length, what).toBeGreaterThan(0);
        expect(problems[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
        if (what === 'scope end') {
          // named on the end node (and by the ledger's row check); the tool call as opened is unchanged
          expect(problems.map((p) => p.kind)).toContain('tool_call_end');
          expect(problems.map((p) => p.kind)).not.toContain('tool_call');
        }
        // a changed event body is named by its event id, on the runtime_event node that claims it
        if (what === 'event body') {
          for (const id of tamperedEvents) {
            expect(problems, `${what}: ${id}`).toContainEqual(expect.objectContaining({ kind: 'runtime_event', detail: expect.stringContaining(id) }));
          }
        }
      } finally {
        copy.cleanup();
      }
    }
  });
});

describe('a binding that takes events away from another run', () => {
  it('re-derives the run that lost them, so its DAG no longer claims them', async () => {
    const dir = tempDir();
    try {
      expect((await runCli(['telemetry', 'ingest-falco', '--file', FALCO], { dataDir: dir.path })).code).toBe(0);
      expect((await runCli(BIND, { dataDir: dir.path })).code).toBe(0);
      const connectOf = async (run: string) => {
        const g = await runCli(['graph', 'explain', '--run', run, '--tool-call', run === 'r1' ? 'tc-7' : 'tc-curl', '--json'], { dataDir: dir.path });
        return g.code === 0 && JSON.stringify(g.json().items).includes('169.254.169.254:80');
      };
      expect(await connectOf('r1')).toBe(true);
      // A later, more specific binding: the curl process itself belongs to run r2.
      const r2 = await runCli(
        ['telemetry', 'bind', '--run', 'r2', '--tool-call', 'tc-curl', '--pid', '4260', '--started-at', '2026-11-25T10:00:03Z', '--ended-at', '2026-11-25T10:00:09Z'],
        { dataDir: dir.path },
      );
      expect(r2.code, r2.stderr).toBe(0);
      expect(await connectOf('r2')).toBe(true);
      expect(await connectOf('r1')).toBe(false);
      for (const run of ['r1', 'r2']) {
        const v = await runCli(['graph', 'verify', '--run', run], { dataDir: dir.path });
        expect(v.code, v.stdout + v.stderr).toBe(0);
      }
    } finally {
      dir.cleanup();
    }
  });
});
