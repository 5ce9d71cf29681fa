import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventIdFor } from '../../src/graph/index.js';
import { containerIdsMatch, detectFormat, mapLine, mapNative, normalizeContainerId } from '../../src/ingest/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const line = (name: string) => readFileSync(`fixtures/native/${name}.jsonl`, 'utf8').trimEnd();
const map = (text: string, host?: string) => mapNative(JSON.parse(text), { line: 4, file: 'events.jsonl', rawSha256: sha(text), host });

describe('mapNative (--format native)', () => {
  it('accepts a RuntimeEvent line: ns as bigint, id and raw_ref from this line', () => {
    const text = line('process-exec');
    const r = map(text);
    expect(r.ok).toBe(true);
    const ev = r.ok ? r.events[0]! : undefined;
    expect(ev).toMatchObject({ type: 'process_exec', source: 'agentprov_ebpf', pid: 731002, cgroup_id: '8421' });
    expect(ev!.time_ns).toBe(1717319800987654321n);
    expect(ev!.event_id).toBe(eventIdFor('native_jsonl', sha(text)));
    expect(ev!.raw_ref).toEqual({ file: 'events.jsonl', line: 4, sha256: sha(text) });
  });

  it('normalizes a runtime-prefixed upper-case container id', () => {
    const r = map(line('network-connect'));
    expect(r.ok && r.events[0]!.container_id).toBe('3f1c2a9b7d44e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819');
    expect(r.ok && r.events[0]!.tool_call_id).toBe('call_7f3a');
  });

  it('rejects an unknown field naming it', () => {
    expect(map(line('unknown-field'))).toMatchObject({ ok: false, code: 'AP_SCHEMA', field: 'containerid' });
    const nested = { type: 'tls_request', source: 'native_jsonl', time_ns: '1', tls: { method: 'GET', hots: 'x' } };
    expect(map(JSON.stringify(nested))).toMatchObject({ ok: false, field: 'tls.hots' });
  });

  it('rejects a wrong type naming the field', () => {
    expect(map(line('wrong-type'))).toMatchObject({ ok: false, code: 'AP_SCHEMA', field: 'pid' });
  });

  it('fills an empty host from the context', () => {
    const r = map(JSON.stringify({ type: 'file_open', source: 'native_jsonl', time_ns: '5', path: '/x' }), 'node-9');
    expect(r.ok && r.events[0]!.host).toBe('node-9');
  });
});

describe('container ids', () => {
  it.each([
    ['docker://ABCDEF0123456789', 'abcdef0123456789'],
    ['containerd://19a02291e106ce62', '19a02291e106ce62'],
    ['cri-o://0123456789ab', '0123456789ab'],
    ['  ee97d9c4186f ', 'ee97d9c4186f'],
    ['host', null],
    ['', null],
    ['<NA>', null],
    [null, null],
    [42, null],
  ])('normalizeContainerId(%j) = %j', (raw, want) => {
    expect(normalizeContainerId(raw)).toBe(want);
  });

  it('matches by prefix of at least 12 characters only', () => {
    const full = '6b742e38ee3a212239e6d48b2954435a407af44b9a354bdf540db22f460ab40e';
    expect(containerIdsMatch('6b742e38ee3a', full)).toBe(true);
    expect(containerIdsMatch(full, 'DOCKER://6B742E38EE3A')).toBe(true);
    expect(containerIdsMatch('6b742e38ee3', full)).toBe(false);
    expect(containerIdsMatch('6b742e38ee3b', full)).toBe(false);
    expect(containerIdsMatch('host', 'host')).toBe(false);
    expect(containerIdsMatch(null, full)).toBe(false);
  });
});

describe('detectFormat', () => {
  it.each([
    [{ output: 'x', rule: 'r', priority: 'Notice', time: 't' }, 'falco'],
    [{ output_fields: {}, rule: 'r' }, 'falco'],
    [{ process_exec: {}, node_name: 'n', time: 't' }, 'tetragon'],
    [{ rate_limit_info: {} }, 'tetragon'],
    [{ process_exec: {}, process_exit: {} }, null],
    [{ type: 'file_open', source: 'native_jsonl' }, 'native'],
    [{ foo: 1 }, null],
    [[1], null],
    ['s', null],
  ])('%j -> %s', (obj, want) => {
    expect(detectFormat(obj)).toBe(want);
  });
});

describe('event ids', () => {
  it('an ingested line gets graph eventIdFor(source, sha256 of the line): the one definition of the id', () => {
    const text = readFileSync('fixtures/shared/falco-sample.jsonl', 'utf8').split('\n')[0]!;
    const raw = sha(text);
    const r = mapLine(text, 'falco', { line: 1, file: 'x.jsonl', rawSha256: raw });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.events[0]!.event_id).toBe(eventIdFor('falco', raw));
  });
});
