import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EvidenceStore } from '../../src/store/index.js';
import { ingestFile } from '../../src/service/ingest-file.js';
import { loadPolicyFiles } from '../../src/service/policy-files.js';
import { tempDir } from '../helpers/cli.js';
import { eventCount } from '../helpers/stored-events.js';

// Counts stored events in the layout of migration 007 (one event_rows row each, written as each transaction ends).

describe('falco | agentprov telemetry ingest-falco --file -', () => {
  it('stores events as they arrive on a live pipe, before the pipe closes', async () => {
    const dir = tempDir();
    const store = new EvidenceStore(join(dir.path, 'data'));
    try {
      const lines = readFileSync('fixtures/demo/falco-agent-run.jsonl', 'utf8').split('\n').filter(Boolean);
      const pipe = new PassThrough();
      const done = ingestFile({
        store,
        loaded: loadPolicyFiles(undefined),
        input: { stream: pipe, name: '<stdin>' },
        format: 'falco',
        now: () => 1_800_000_000_000_000_000n,
      });
      pipe.write(`${lines[0]}\n${lines[1]}\n`);
      let seen = 0;
      for (let i = 0; i < 100 && seen < 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
        seen = eventCount(store.db);
      }
      expect(seen).toBe(2); // stored while the producer is still running
      pipe.end(`${lines.slice(2).join('\n')}\n`);
      const result = await done;
      expect(result.manifest.accepted).toBe(lines.length);
      expect(eventCount(store.db)).toBe(lines.length);
    } finally {
      store.close();
      dir.cleanup();
    }
  });
});
