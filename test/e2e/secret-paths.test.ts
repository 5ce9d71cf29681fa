import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventIdFor } from '../../src/graph/index.js';
import { runCli, tempDir } from '../helpers/cli.js';

// An agent run with HOME=/tmp/x: the shipped default policy must flag its credential reads and key copies.
const T0 = BigInt(Date.parse('2026-11-25T10:00:02Z')) * 1_000_000n;
const line = (i: number, fields: Record<string, unknown>) =>
  JSON.stringify({ source: 'native_jsonl', host: 'runner', time_ns: String(T0 + BigInt(i) * 1_000_000n), pid: 4242 + i, ppid: 4242, uid: 1000, ...fields });
const EVENTS = [
  line(0, { type: 'file_open', comm: 'cat', exe: '/usr/bin/cat', path: '/tmp/x/.aws/credentials', open_flags: ['read'] }),
  line(1, { type: 'file_open', comm: 'python3', exe: '/usr/bin/python3', path: '.ssh/id_ed25519', cwd: '/tmp/x', open_flags: ['read'] }),
  line(2, { type: 'process_exec', comm: 'cp', exe: '/usr/bin/cp', argv: ['cp', '/tmp/x/.ssh/id_ed25519', './k'], cwd: '/tmp/x/work' }),
  line(3, { type: 'file_open', comm: 'cat', exe: '/usr/bin/cat', path: '/tmp/x/.ssh/id_ed25519.pub', open_flags: ['read'] }),
  line(4, { type: 'file_open', comm: 'cat', exe: '/usr/bin/cat', path: '/tmp/x/work/.env.example', open_flags: ['read'] }),
];

describe('secret files under a sandbox HOME, through the CLI with the default policy', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  it('ingest-jsonl --format native, then security risks --json names each secret read and the key copy', async () => {
    const file = join(dir.path, 'events.jsonl');
    writeFileSync(file, `${EVENTS.join('\n')}\n`);
    const ingest = await runCli(['telemetry', 'ingest-jsonl', '--format', 'native', '--file', file, '--strict'], { dataDir: dir.path });
    expect(ingest.code, ingest.stderr).toBe(0);
    const pids = EVENTS.map((_, i) => ['--pid', String(4242 + i)]).flat();
    const bind = await runCli(
      ['telemetry', 'bind', '--run', 'r1', '--tool-call', 'tc-1', '--tool-name', 'bash', ...pids,
        '--started-at', '2026-11-25T10:00:01Z', '--ended-at', '2026-11-25T10:00:10Z'],
      { dataDir: dir.path },
    );
    expect(bind.code, bind.stderr).toBe(0);

    const risks = await runCli(['security', 'risks', '--run', 'r1', '--json'], { dataDir: dir.path });
    expect(risks.code, risks.stderr).toBe(0);
    // A native line's event id is derived from the line itself, so each risk can be traced to its line.
    const idOf = (i: number) => eventIdFor('native_jsonl', createHash('sha256').update(EVENTS[i]!).digest('hex'));
    const rulesOf = (i: number) => risks.json().items.filter((r: any) => r.event_id === idOf(i)).map((r: any) => r.rule_id);

    expect(rulesOf(0)).toEqual(['secret-file-read']); // /tmp/x/.aws/credentials
    expect(rulesOf(1)).toEqual(['secret-file-read']); // .ssh/id_ed25519 from cwd /tmp/x
    expect(rulesOf(2)).toEqual(['private-key-copy']); // cp /tmp/x/.ssh/id_ed25519 ./k
    expect(rulesOf(3)).toEqual([]); // id_ed25519.pub
    expect(rulesOf(4)).toEqual([]); // .env.example
    expect(risks.json().items.map((r: any) => r.rule_id).sort()).toEqual(['private-key-copy', 'secret-file-read', 'secret-file-read']);
  });
});
