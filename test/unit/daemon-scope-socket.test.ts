import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { listenScopeSocket } from '../../src/daemon/scope-socket.js';
import { StoreEventSink } from '../../src/service/store-event-sink.js';
import { listScopes } from '../../src/store/index.js';
import { tempDir } from '../helpers/cli.js';

function ask(path: string, lines: string[]): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      const got = buf.split('\n').filter(Boolean);
      if (got.length === lines.length) {
        sock.end();
        resolve(got.map((l) => JSON.parse(l)));
      }
    });
    sock.on('error', reject);
    sock.write(lines.map((l) => `${l}\n`).join(''));
  });
}

describe('scope socket of a running sensor', () => {
  const dirs: { cleanup(): void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

  it('binds a scope into the store, is mode 0660, and rejects bad requests with the field named', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const sink = new StoreEventSink({ dataDir: join(dir.path, 'data'), now: () => 1_700_000_000_000_000_000n });
    const path = join(dir.path, 'sensor.sock');
    const server = await listenScopeSocket(path, sink);
    try {
      expect(statSync(path).mode & 0o777).toBe(0o660);
      const scope = { run_id: 'r9', tool_call_id: 'tc-1', started_at_ns: '1700000000000000000', own_cgroup_ids: ['4242'] };
      const [ok, bad, junk, unknown] = await ask(path, [
        JSON.stringify({ op: 'bind', scope }),
        JSON.stringify({ op: 'bind', scope: { ...scope, run_id: '' } }),
        '{not json',
        JSON.stringify({ op: 'drop_tables' }),
      ]);
      expect(ok).toMatchObject({ ok: true, run_id: 'r9', tool_call_id: 'tc-1' });
      expect(bad.ok).toBe(false);
      expect(bad.error).toContain('scope.run_id');
      expect(junk).toMatchObject({ ok: false });
      expect(junk.error).toContain('malformed JSON');
      expect(unknown.error).toContain('unknown op');
      const stored = listScopes(sink.store.db, 'r9');
      expect(stored).toHaveLength(1);
      expect(stored[0]!.own_cgroup_ids).toEqual(['4242']);
    } finally {
      server.close();
      await sink.close();
    }
  });
});
