/** JsonlSink writes one parseable line per event, 64-bit times as decimal strings, with ISO time added. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeEventSchema, type RuntimeEventInput } from '../../src/model/index.js';
import { JsonlSink, MemoryEventSink, eventToJsonLine } from '../../src/sensor/index.js';

const ev: RuntimeEventInput = {
  type: 'process_exec',
  source: 'agentprov_ebpf',
  host: 'h',
  time_ns: 1_715_107_659_341_081_180n,
  pid: 10,
  argv: ['a', 'b c'],
  process_start_ns: 9_007_199_254_740_993n,
};

describe('JsonlSink', () => {
  it('appends lines that parse back to valid RuntimeEvents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentprov-jsonl-'));
    try {
      const file = join(dir, 'out.jsonl');
      const sink = new JsonlSink(file);
      sink.processBatch([ev, { ...ev, pid: 11 }]);
      sink.processBatch([]);
      sink.close();
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      const first = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(first['time_ns']).toBe('1715107659341081180');
      expect(first['process_start_ns']).toBe('9007199254740993');
      expect(first['time']).toBe('2024-05-07T18:47:39.341081180Z');
      const parsed = RuntimeEventSchema.parse(first);
      expect(parsed.time_ns).toBe(ev.time_ns);
      expect(sink.lines).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes batches larger than its buffer, lines longer than it and multi-byte text whole and in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentprov-jsonl-'));
    try {
      const file = join(dir, 'out.jsonl');
      const sink = new JsonlSink(file);
      const many = Array.from({ length: 5000 }, (_, i) => ({ ...ev, pid: i, argv: ['grüße', 'x'.repeat(400), '日本'] }));
      const huge = { ...ev, pid: 99_999, argv: ['é'.repeat(700_000)] };
      sink.processBatch(many);
      sink.processBatch([huge, { ...ev, pid: 100_000 }]);
      sink.close();
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(5002);
      const parsed = lines.map((l) => JSON.parse(l) as { pid: number; argv: string[] });
      expect(parsed.map((p) => p.pid)).toEqual([...many.map((e) => e.pid), 99_999, 100_000]);
      expect(parsed[4321]!.argv).toEqual(['grüße', 'x'.repeat(400), '日本']);
      expect(parsed[5000]!.argv[0]).toBe('é'.repeat(700_000));
      expect(sink.lines).toBe(5002);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps an explicit time and serialises in one line', () => {
    expect(eventToJsonLine({ ...ev, time: 'x' })).not.toContain('\n');
    expect(JSON.parse(eventToJsonLine({ ...ev, time: 'x' })).time).toBe('x');
  });

  it('writes members in the event order, time last, with bigints anywhere handled', () => {
    const line = eventToJsonLine({ ...ev, labels: { tid: '11' } });
    expect(Object.keys(JSON.parse(line) as object)).toEqual([...Object.keys(ev), 'labels', 'time']);
    expect(line.endsWith(',"time":"2024-05-07T18:47:39.341081180Z"}')).toBe(true);
    // a bigint outside the ns fields: JSON.stringify throws, the line is still written, time included
    const odd = JSON.parse(eventToJsonLine({ ...ev, extra: 5n } as RuntimeEventInput)) as Record<string, unknown>;
    expect(odd['extra']).toBe('5');
    expect(odd['time']).toBe('2024-05-07T18:47:39.341081180Z');
  });

  it('MemoryEventSink keeps batches in order', () => {
    const m = new MemoryEventSink();
    m.processBatch([ev]);
    m.processBatch([{ ...ev, pid: 2 }]);
    expect(m.events.map((e) => e.pid)).toEqual([10, 2]);
  });
});
