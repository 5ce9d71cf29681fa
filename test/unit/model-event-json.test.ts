/**
 * An event's body text (model/event-json): JSON with the 64-bit ns fields as decimal strings, members in the
 * event's own order, and the event itself left exactly as it was, whatever happens during the encoding.
 */
import { describe, expect, it } from 'vitest';
import { encodeEventJson, type RuntimeEvent } from '../../src/model/index.js';

const event = (): RuntimeEvent =>
  ({
    type: 'network_connect',
    source: 'agentprov_ebpf',
    host: 'h',
    time_ns: 1_796_557_919_811_110_986n,
    pid: 7,
    process_start_ns: 9_007_199_254_740_993n,
    parent_start_ns: null,
    dst_ip: '127.0.0.1',
    dst_port: 8080,
    labels: { tid: '8' },
    time: '2026-12-06T11:51:59.811110986Z',
  }) as RuntimeEvent;

/** What the text must be: a copy with the bigints converted, stringified. */
function expected(e: RuntimeEvent): string {
  const copy: Record<string, unknown> = { ...e };
  for (const k of ['time_ns', 'process_start_ns', 'parent_start_ns']) if (typeof copy[k] === 'bigint') copy[k] = String(copy[k]);
  return JSON.stringify(copy);
}

describe('encodeEventJson', () => {
  it('writes the ns fields as decimal strings, in the event order, and leaves the event as it was', () => {
    const e = event();
    const text = encodeEventJson(e);
    expect(text).toBe(expected(event()));
    expect(JSON.parse(text)).toMatchObject({ time_ns: '1796557919811110986', process_start_ns: '9007199254740993', parent_start_ns: null });
    expect(e).toEqual(event());
    expect(typeof e.time_ns).toBe('bigint');
    expect(Object.keys(e)).toEqual(Object.keys(event()));
  });

  it('does not add a field the event lacks', () => {
    const e = event();
    delete (e as Partial<RuntimeEvent>).process_start_ns;
    encodeEventJson(e);
    expect('process_start_ns' in e).toBe(false);
  });

  it('encodes a frozen event the same, on a copy', () => {
    const e = Object.freeze(event());
    expect(encodeEventJson(e)).toBe(expected(event()));
    expect(e.time_ns).toBe(1_796_557_919_811_110_986n);
  });

  it('throws on a bigint elsewhere, with the event put back', () => {
    const e = { ...event(), labels: { n: 5n } } as unknown as RuntimeEvent;
    expect(() => encodeEventJson(e)).toThrow(TypeError);
    expect(e.time_ns).toBe(1_796_557_919_811_110_986n);
    expect(e.process_start_ns).toBe(9_007_199_254_740_993n);
  });
});
