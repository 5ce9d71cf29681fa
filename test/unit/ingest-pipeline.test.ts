import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventIdFor } from '../../src/graph/index.js';
import {
  type IngestFormat,
  type IngestOptions,
  type SourceFormat,
  ingestLines,
  manifestFromSummary,
  readNumberedLines,
} from '../../src/ingest/index.js';
import { IngestManifestSchema, type RuntimeEventInput, RuntimeEventSchema } from '../../src/model/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ap-ingest-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const ID_SOURCE: Record<SourceFormat, string> = { falco: 'falco', tetragon: 'tetragon', native: 'native_jsonl' };

async function ingest(path: string, format: IngestFormat, opts: IngestOptions & { chunkBytes?: number } = {}) {
  const events: RuntimeEventInput[] = [];
  const batches: number[] = [];
  const summary = await ingestLines(
    readNumberedLines({ path }, { chunkBytes: opts.chunkBytes }),
    format,
    (b) => {
      batches.push(b.length);
      events.push(...b);
    },
    opts,
  );
  return { summary, events, batches };
}

/** One case suite for all three mappers: each fixture file, what it must yield. */
const FIXTURES: Record<string, { format: SourceFormat; type?: string; reject?: { code: string; field?: string } }> = {
  'falco/terminal-shell-in-container.jsonl': { format: 'falco', type: 'process_exec' },
  'falco/read-sensitive-file-untrusted.jsonl': { format: 'falco', type: 'file_open' },
  'falco/run-shell-untrusted.jsonl': { format: 'falco', type: 'process_exec' },
  'falco/syscall-event-drop.jsonl': { format: 'falco', type: 'telemetry_loss' },
  'falco/contact-ec2-metadata.jsonl': { format: 'falco', type: 'network_connect' },
  'falco/outbound-connect-fd-name-only.jsonl': { format: 'falco', type: 'network_connect' },
  'falco/host-shell-with-pid.jsonl': { format: 'falco', type: 'process_exec' },
  'tetragon/process-exec.jsonl': { format: 'tetragon', type: 'process_exec' },
  'tetragon/process-exit.jsonl': { format: 'tetragon', type: 'process_exit' },
  'tetragon/process-exit-signal.jsonl': { format: 'tetragon', type: 'process_exit' },
  'tetragon/kprobe-commit-creds.jsonl': { format: 'tetragon', type: 'privilege_change' },
  'tetragon/kprobe-security-file-permission.jsonl': { format: 'tetragon', type: 'file_open' },
  'tetragon/kprobe-sys-openat-string-numbers.jsonl': { format: 'tetragon', type: 'file_open' },
  'tetragon/kprobe-tcp-connect.jsonl': { format: 'tetragon', type: 'network_connect' },
  'tetragon/rate-limit-info.jsonl': { format: 'tetragon', type: 'telemetry_loss' },
  'tetragon/process-uprobe-unsupported.jsonl': { format: 'tetragon', reject: { code: 'AP_UNSUPPORTED', field: 'process_uprobe' } },
  'native/process-exec.jsonl': { format: 'native', type: 'process_exec' },
  'native/network-connect.jsonl': { format: 'native', type: 'network_connect' },
  'native/unknown-field.jsonl': { format: 'native', reject: { code: 'AP_SCHEMA', field: 'containerid' } },
  'native/wrong-type.jsonl': { format: 'native', reject: { code: 'AP_SCHEMA', field: 'pid' } },
};

describe('every fixture, with its own format and with auto', () => {
  it('lists an expectation for every fixture file', () => {
    const files = ['falco', 'tetragon', 'native'].flatMap((d) => readdirSync(`fixtures/${d}`).filter((f) => f.endsWith('.jsonl')).map((f) => `${d}/${f}`));
    expect(files.sort()).toEqual(Object.keys(FIXTURES).sort());
  });

  for (const [name, want] of Object.entries(FIXTURES)) {
    it(name, async () => {
      const path = `fixtures/${name}`;
      const text = readFileSync(path, 'utf8').trimEnd();
      for (const format of [want.format, 'auto'] as const) {
        const { summary, events } = await ingest(path, format);
        expect(summary.lines).toBe(1);
        if (want.reject) {
          expect(summary.rejected_lines).toEqual([expect.objectContaining({ line: 1, ...want.reject })]);
          continue;
        }
        expect(summary).toMatchObject({ accepted: 1, rejected: 0, events: 1, input_sha256: sha(readFileSync(path)) });
        const ev = events[0]!;
        expect(ev.type).toBe(want.type);
        expect(ev.event_id).toBe(eventIdFor(ID_SOURCE[want.format], sha(text)));
        expect(ev.raw_ref).toEqual({ file: path, line: 1, sha256: sha(text) });
        const parsed = RuntimeEventSchema.safeParse(ev);
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
        if (format === 'auto') expect(summary.detected).toEqual({ [want.format]: 1 });
      }
    });
  }
});

/** mulberry32: a seeded PRNG so the mixed file is the same on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'valid' | 'random' | 'truncated' | 'array' | 'unknown' | 'wrongtype' | 'empty';

/** validLines[0] must be an alert with proc.pid (the wrong-type lines break exactly that field). */
function buildMixedFile(validLines: string[], bad: number): { path: string; kinds: Kind[] } {
  const rand = prng(20240507);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const kinds: Kind[] = [];
  const chunks: Buffer[] = [];
  let badLeft = bad;
  const falco = validLines[0]!;
  while (badLeft > 0 || kinds.length < 2) {
    const r = rand();
    let kind: Kind = kinds.length === 0 || r < 0.15 ? 'valid' : r < 0.18 ? 'empty' : pick(['random', 'truncated', 'array', 'unknown', 'wrongtype'] as const);
    let bytes: Buffer;
    switch (kind) {
      case 'valid':
        bytes = Buffer.from(pick(validLines));
        break;
      case 'empty':
        bytes = Buffer.alloc(0);
        break;
      case 'random': {
        const len = 1 + Math.floor(rand() * 200);
        bytes = Buffer.alloc(len);
        for (let i = 0; i < len; i++) {
          let b = Math.floor(rand() * 256);
          if (b === 0x0a || b === 0x0d) b = 0x20 + (b & 1);
          bytes[i] = b;
        }
        break;
      }
      case 'truncated': {
        const line = pick(validLines);
        bytes = Buffer.from(line.slice(0, 1 + Math.floor(rand() * (line.length - 2))));
        break;
      }
      case 'array':
        bytes = Buffer.from(rand() < 0.5 ? '[1,2,3]' : `[${falco}]`);
        break;
      case 'unknown':
        bytes = Buffer.from(JSON.stringify({ foo: rand(), bar: ['x'], nested: { process: 1 } }));
        break;
      case 'wrongtype': {
        const obj = JSON.parse(falco);
        obj.output_fields['proc.pid'] = 'not-a-pid';
        bytes = Buffer.from(JSON.stringify(obj));
        break;
      }
    }
    if (kind !== 'valid' && kind !== 'empty') badLeft--;
    kinds.push(kind);
    chunks.push(bytes, Buffer.from(rand() < 0.3 ? '\r\n' : '\n'));
  }
  chunks.pop(); // the last line ends without a newline
  const path = join(dir, `mixed-${bad}.jsonl`);
  writeFileSync(path, Buffer.concat(chunks));
  return { path, kinds };
}

describe('a file mixing 10k malformed lines with valid ones', () => {
  const withPid = 'contact-ec2-metadata.jsonl';
  const falcoLines = [withPid, ...readdirSync('fixtures/falco').filter((f) => f.endsWith('.jsonl') && f !== withPid)].map((f) =>
    readFileSync(`fixtures/falco/${f}`, 'utf8').trimEnd(),
  );
  const { path, kinds } = buildMixedFile(falcoLines, 10_000);
  const lineNos = (want: Kind) => kinds.flatMap((k, i) => (k === want ? [i + 1] : []));
  const badLines = kinds.flatMap((k, i) => (k === 'valid' || k === 'empty' ? [] : [i + 1]));

  it('gives exact counts and the line of every rejected line, never throwing', async () => {
    const { summary, events } = await ingest(path, 'falco', { maxRejectedLines: 20_000 });
    expect(summary.lines).toBe(kinds.length);
    expect(summary.accepted).toBe(lineNos('valid').length);
    expect(summary.empty_lines).toBe(lineNos('empty').length);
    expect(summary.rejected).toBe(10_000);
    expect(summary.accepted + summary.rejected + summary.empty_lines).toBe(summary.lines);
    expect(summary.rejected_lines.map((r) => r.line)).toEqual(badLines);
    expect(summary.rejected_lines_truncated).toBe(false);
    expect(events.map((e) => e.raw_ref!.line)).toEqual(lineNos('valid'));

    const byLine = new Map(summary.rejected_lines.map((r) => [r.line, r]));
    for (const n of lineNos('truncated')) expect(byLine.get(n)!.code).toBe('AP_JSON');
    for (const n of lineNos('array')) expect(byLine.get(n)!.message).toMatch(/got an array/);
    for (const n of lineNos('unknown')) expect(byLine.get(n)).toMatchObject({ code: 'AP_SCHEMA', field: 'rule' });
    for (const n of lineNos('wrongtype')) expect(byLine.get(n)).toMatchObject({ code: 'AP_SCHEMA', field: 'output_fields.proc.pid' });
    for (const n of lineNos('random')) expect(['AP_JSON', 'AP_SCHEMA']).toContain(byLine.get(n)!.code);
    expect(byLine.get(lineNos('truncated')[0]!)!.message).toMatch(/^not JSON: /);

    for (const ev of events) expect(RuntimeEventSchema.safeParse(ev).success).toBe(true);
    const manifest = manifestFromSummary(summary, { batch_id: 'b1', started_at: 's', finished_at: 'f' });
    expect(IngestManifestSchema.parse(manifest)).toMatchObject({ lines: kinds.length, rejected: 10_000, duplicates: 0 });
  });

  it('auto rejects unknown formats as such and agrees on everything else, at any chunk size', async () => {
    const falcoRun = await ingest(path, 'falco', { maxRejectedLines: 20_000 });
    const auto = await ingest(path, 'auto', { maxRejectedLines: 20_000, chunkBytes: 4096 });
    expect(auto.summary).toMatchObject({ lines: falcoRun.summary.lines, accepted: falcoRun.summary.accepted, rejected: 10_000 });
    expect(auto.summary.detected).toEqual({ falco: falcoRun.summary.accepted });
    const byLine = new Map(auto.summary.rejected_lines.map((r) => [r.line, r]));
    for (const n of lineNos('unknown')) expect(byLine.get(n)!.code).toBe('AP_UNKNOWN_FORMAT');
    expect(auto.events.map((e) => e.event_id)).toEqual(falcoRun.events.map((e) => e.event_id));
  });

  it('caps the stored rejected lines but keeps exact counts', async () => {
    const { summary } = await ingest(path, 'falco', { maxRejectedLines: 100 });
    expect(summary.rejected).toBe(10_000);
    expect(summary.rejected_lines.map((r) => r.line)).toEqual(badLines.slice(0, 100));
    expect(summary.rejected_lines_truncated).toBe(true);
  });

  it('hands events over in batches of at most batchSize and awaits an async sink', async () => {
    let inFlight = 0;
    const sizes: number[] = [];
    const summary = await ingestLines(readNumberedLines({ path }), 'falco', async (b) => {
      expect(inFlight).toBe(0);
      inFlight++;
      await new Promise((r) => setTimeout(r, 1));
      sizes.push(b.length);
      inFlight--;
    }, { batchSize: 500 });
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(summary.events);
    expect(summary.events).toBe(summary.accepted);
  });
});
