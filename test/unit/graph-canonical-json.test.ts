import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash, edgeHash, sha256Hex } from '../../src/graph/index.js';

describe('canonicalJson', () => {
  it('sorts keys, drops undefined members, writes bigint as a decimal string and undefined array items as null', () => {
    const value = { b: [1, undefined, 'x', { d: 2n, c: null }], a: true, z: undefined, 'é': 1.5, A: -0 };
    expect(canonicalJson(value)).toBe('{"A":0,"a":true,"b":[1,null,"x",{"c":null,"d":"2"}],"é":1.5}');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson('line\n"q"')).toBe('"line\\n\\"q\\""');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
  });

  it('matches JSON.stringify of the key-sorted value', () => {
    const sortDeep = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortDeep)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]))
          : v;
    const sample = { event: { time_ns: '17', argv: ['sh', '-c', 'a b'], tls: { host: 'x', bytes: 3 } }, parents: ['b', 'a'], n: 1e21 };
    expect(canonicalJson(sample)).toBe(JSON.stringify(sortDeep(sample)));
  });

  it('hashes an edge exactly as the content hash of {name, from, to}', () => {
    const [from, to] = [sha256Hex('a'), sha256Hex('b')];
    expect(edgeHash('process_forked', from, to)).toBe(contentHash({ name: 'process_forked', from, to }));
  });
});

describe('canonicalJson of objects whose key lists join alike', () => {
  it('encodes each exactly, whichever shape was seen first', () => {
    const a = { 'a\u0000b': 1, c: 2 };
    const b = { a: 3, 'b\u0000c': 4 };
    expect(canonicalJson(a)).toBe('{"a\\u0000b":1,"c":2}');
    expect(canonicalJson(b)).toBe('{"a":3,"b\\u0000c":4}');
    expect(canonicalJson(a)).toBe('{"a\\u0000b":1,"c":2}');
    // same keys in another insertion order: the same text
    expect(canonicalJson({ c: 2, 'a\u0000b': 1 })).toBe(canonicalJson(a));
  });
});
