/** Linking changed files to the processes whose write, rename or unlink events touched them. */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finalizeEvent } from '../../src/engine/index.js';
import type { RuntimeEvent, RuntimeEventInput } from '../../src/model/index.js';
import {
  attributeChanges,
  diffSnapshots,
  diffStat,
  fileChanges,
  MemoryBlobStore,
  mutatedPaths,
  snapshotDir,
  snapshotOptionsFor,
} from '../../src/record/index.js';
import { FileTouches } from '../../src/record/file-touches.js';

const base = mkdtempSync(join(tmpdir(), 'ap-attr-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let t = 1_000n;
function ev(fields: Partial<RuntimeEventInput> & { type: RuntimeEventInput['type'] }): RuntimeEvent {
  return finalizeEvent({ source: 'agentprov_ebpf', host: 'h', time_ns: (t += 10n), process_start_ns: 500n, ...fields } as RuntimeEventInput);
}

describe('mutatedPaths', () => {
  it('counts opens for writing, both ends of a rename and unlinks, and never failed syscalls', () => {
    expect(mutatedPaths(ev({ type: 'file_open', pid: 1, path: '/w/a', open_flags: ['read'] }))).toEqual([]);
    expect(mutatedPaths(ev({ type: 'file_open', pid: 1, path: '/w/a', open_flags: ['write', 'create'] }))).toEqual(['/w/a']);
    expect(mutatedPaths(ev({ type: 'file_open', pid: 1, path: '/w/a', open_flags: ['write'], result: -13 }))).toEqual([]);
    expect(mutatedPaths(ev({ type: 'file_rename', pid: 1, path: 'x.tmp', new_path: 'x' }))).toEqual(['x.tmp', 'x']);
    expect(mutatedPaths(ev({ type: 'file_unlink', pid: 1, path: 'gone' }))).toEqual(['gone']);
    expect(mutatedPaths(ev({ type: 'process_exec', pid: 1, path: '/bin/sh' }))).toEqual([]);
  });
});

describe('attributeChanges and fileChanges', () => {
  it('links created, modified and deleted files to the writing process, with absolute, relative and name-only matches', async () => {
    const work = join(base, 'w1');
    mkdirSync(join(work, 'src'), { recursive: true });
    writeFileSync(join(work, 'src/app.ts'), 'export const a = 1;\n');
    writeFileSync(join(work, 'old.txt'), 'bye\n');
    writeFileSync(join(work, 'untouched.txt'), 'same\n');
    const blobs = new MemoryBlobStore();
    const before = await snapshotDir(work, {}, blobs);
    writeFileSync(join(work, 'src/app.ts'), 'export const a = 2;\nexport const b = 3;\n');
    writeFileSync(join(work, 'src/new.ts'), 'new\n');
    unlinkSync(join(work, 'old.txt'));
    const after = await snapshotDir(work, {}, blobs);

    const events = [
      ev({ type: 'file_open', pid: 10, comm: 'node', path: join(work, 'src/app.ts'), open_flags: ['write', 'truncate'] }),
      // a read of the same file by someone else is not a write
      ev({ type: 'file_open', pid: 11, comm: 'cat', path: join(work, 'src/app.ts'), open_flags: ['read'] }),
      ev({ type: 'file_open', pid: 12, comm: 'sh', path: 'src/new.ts', open_flags: ['write', 'create', 'truncate'] }),
      ev({ type: 'file_unlink', pid: 13, comm: 'rm', path: 'elsewhere/old.txt', result: 0 }),
    ];
    const tool = new Map(events.map((e) => [e.event_id!, 'tc-1']));
    const out = attributeChanges({
      diff: diffSnapshots(before, after),
      root: after.root,
      workdir: work,
      events,
      toolCallOf: (id) => tool.get(id) ?? null,
      exeOf: (pid) => (pid === 12 ? '/usr/bin/sh' : null),
    });
    const by = Object.fromEntries(out.map((a) => [a.change.path, a]));
    expect(Object.keys(by).sort()).toEqual(['old.txt', 'src/app.ts', 'src/new.ts']);
    expect(by['src/app.ts']!.kind).toBe('modified');
    expect(by['src/app.ts']!.writers).toEqual([
      expect.objectContaining({ pid: 10, comm: 'node', match: 'exact', tool_call_id: 'tc-1', event_ids: [events[0]!.event_id], event_types: ['file_open'] }),
    ]);
    expect(by['src/new.ts']!.kind).toBe('created');
    expect(by['src/new.ts']!.writers[0]).toMatchObject({ pid: 12, match: 'cwd_relative', exe: '/usr/bin/sh', process_start_ns: '500' });
    expect(by['old.txt']!.kind).toBe('deleted');
    expect(by['old.txt']!.writers[0]).toMatchObject({ pid: 13, comm: 'rm', match: 'basename' });

    const records = await fileChanges({
      before,
      after,
      workdir: work,
      events: () => events,
      toolCallOf: (id) => tool.get(id) ?? null,
      exeOf: () => null,
      blobs,
      ids: { binding_id: 'b', run_id: 'r', tool_call_id: 'tc-1' },
      time_ns: 99n,
    });
    const app = records.find((r) => r.path === 'src/app.ts')!;
    expect(app.diff).toContain('-export const a = 1;\n+export const a = 2;\n+export const b = 3;');
    expect([app.added_lines, app.removed_lines]).toEqual([2, 1]);
    expect(app.abs_path).toBe(join(work, 'src/app.ts'));
    expect(records.find((r) => r.path === 'old.txt')).toMatchObject({ change: 'deleted', after_sha256: null, removed_lines: 1 });
  });

  it('reports a change no event explains with no writers', async () => {
    const work = join(base, 'w2');
    mkdirSync(work, { recursive: true });
    const blobs = new MemoryBlobStore();
    const before = await snapshotDir(work, {}, blobs);
    writeFileSync(join(work, 'ghost.txt'), 'x\n');
    const after = await snapshotDir(work, {}, blobs);
    const [only] = attributeChanges({ diff: diffSnapshots(before, after), root: after.root, workdir: work, events: [] });
    expect(only).toMatchObject({ kind: 'created', writers: [] });
  });
});

describe('snapshotOptionsFor', () => {
  it('leaves a data dir inside the workdir out of the snapshot', async () => {
    const work = join(base, 'w3');
    mkdirSync(join(work, 'store/blobs'), { recursive: true });
    writeFileSync(join(work, 'store/evidence.db'), 'db');
    writeFileSync(join(work, 'code.ts'), 'x');
    const snap = await snapshotDir(work, snapshotOptionsFor(work, join(work, 'store')), new MemoryBlobStore());
    expect(Object.keys(snap.files)).toEqual(['code.ts']);
    const same = await snapshotDir(join(work, 'store'), snapshotOptionsFor(join(work, 'store'), join(work, 'store')), new MemoryBlobStore());
    expect(Object.keys(same.files)).toEqual([]);
  });
});

describe('diffStat', () => {
  it('counts body lines, not the file headers', () => {
    expect(diffStat('--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n-a\n+b\n+c\n')).toEqual({ added: 2, removed: 1 });
  });
});

describe('FileTouches (the writes a recorder keeps as it judges)', () => {
  it('keeps only the events that changed a file, with what attribution reads, and gives the same writers', () => {
    const touches = new FileTouches(0, 0);
    const events = [
      ev({ type: 'file_open', pid: 7, comm: 'cat', path: '/w/read-only', open_flags: ['read'] }),
      ev({ type: 'file_open', pid: 7, comm: 'sh', path: 'out.txt', cwd: '/w', open_flags: ['write', 'create'] }),
      ev({ type: 'file_open', pid: 7, comm: 'sh', path: '/w/denied', open_flags: ['write'], result: -13 }),
      ev({ type: 'file_unlink', pid: 8, comm: 'rm', path: '/w/old.log' }),
      ev({ type: 'process_exec', pid: 9, comm: 'ls', path: '/bin/ls', argv: ['ls'] }),
    ];
    for (const e of events) touches.offer(e, 'tc-1');
    const kept = touches.current(0, 0)!;
    expect(kept.map((t) => t.event.event_id)).toEqual([events[1]!.event_id, events[3]!.event_id]);
    expect(kept.every((t) => t.tool_call_id === 'tc-1')).toBe(true);
    expect(kept[0]!.event).not.toHaveProperty('host', 'h'); // a trimmed copy, not the event itself
    const diff = {
      created: [{ path: 'out.txt', before: null, after: { sha256: 'a', size: 1, mode: 0o644 }, content_changed: true }],
      modified: [],
      deleted: [{ path: 'old.log', before: { sha256: 'b', size: 1, mode: 0o644 }, after: null, content_changed: true }],
    } as unknown as Parameters<typeof attributeChanges>[0]['diff'];
    const fromKept = attributeChanges({ diff, root: '/w', workdir: '/w', events: kept.map((t) => t.event) });
    const fromAll = attributeChanges({ diff, root: '/w', workdir: '/w', events });
    expect(fromKept).toEqual(fromAll);
    expect(fromKept.map((c) => c.writers.map((w) => w.comm))).toEqual([['sh'], ['rm']]);
  });

  it('gives nothing (read the store) once stored events were re-judged or judged events were lost', () => {
    const touches = new FileTouches(3, 1);
    touches.offer(ev({ type: 'file_unlink', pid: 8, path: '/w/x' }), null);
    expect(touches.current(3, 1)).toHaveLength(1);
    expect(touches.current(4, 1)).toBeNull();
    expect(touches.current(3, 2)).toBeNull();
  });
});
