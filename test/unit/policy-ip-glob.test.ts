import { describe, expect, it } from 'vitest';
import { normalizePath } from '../../src/policy/compile-match.js';
import { compileHostGlob, compilePathGlob, compileUrlPathGlob } from '../../src/policy/glob.js';
import type { PathGlob } from '../../src/policy/glob.js';
import { inCidr, parseCidr, parseIpInto } from '../../src/policy/ip.js';
import type { Cidr } from '../../src/policy/ip.js';

const words = new Uint32Array(4);
const inside = (ip: string, cidr: string) => inCidr(parseIpInto(ip, words), words, parseCidr(cidr) as Cidr);

describe('ip', () => {
  it('parses v4 strictly and v6 in every spelling', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1::2::3', ':::', '12345::', 'g::1'])
      expect(parseIpInto(bad, words), bad).toBe(0);
    expect(parseIpInto('0.0.0.0', words)).toBe(4);
    expect(parseIpInto('::', words)).toBe(6);
    expect(parseIpInto('::1', words)).toBe(6);
    expect(parseIpInto('1:2:3:4:5:6:7:8', words)).toBe(6);
    expect(parseIpInto('64:ff9b::192.0.2.33', words)).toBe(6);
    expect(Array.from(words)).toEqual([0x0064ff9b, 0, 0, 0xc0000221]);
  });

  it('tests prefixes at every boundary', () => {
    expect(inside('172.31.255.255', '172.16.0.0/12')).toBe(true);
    expect(inside('172.32.0.0', '172.16.0.0/12')).toBe(false);
    expect(inside('1.2.3.4', '0.0.0.0/0')).toBe(true);
    expect(inside('fdff:ffff::1', 'fc00::/7')).toBe(true);
    expect(inside('fe00::1', 'fc00::/7')).toBe(false);
    expect(inside('2001:db8::1:0:0:1', '2001:db8::/33')).toBe(true);
    expect(inside('2001:db8:8000::1', '2001:db8::/33')).toBe(false);
    expect(inside('1.2.3.4', '::/0')).toBe(false);
    expect(inside('::ffff:1.2.3.4', '1.2.3.0/24')).toBe(true);
  });

  it('explains bad CIDRs', () => {
    expect(parseCidr('10.0.0/8')).toBe('not a CIDR: "10.0.0/8"');
    expect(parseCidr('10.0.0.0/33')).toBe('not a CIDR: "10.0.0.0/33" (prefix must be 0..32)');
    expect(parseCidr('fc00::/7/1')).toMatch(/^not a CIDR/);
    expect(parseCidr('fc00::1/7')).toBe('not a CIDR: "fc00::1/7" (host bits set after /7)');
  });
});

describe('globs', () => {
  const path = (g: string, p: string) => (compilePathGlob(g) as PathGlob).re.test(p);

  it('path: * in a segment, ** across, {a,b}, relative patterns at any depth', () => {
    expect(path('/a/*/c', '/a/b/c')).toBe(true);
    expect(path('/a/*/c', '/a/b/x/c')).toBe(false);
    expect(path('/a/**/c', '/a/c')).toBe(true);
    expect(path('/a/**/c', '/a/b/x/c')).toBe(true);
    expect(path('/a/**', '/a/b/c')).toBe(true);
    expect(path('~/.aws/{credentials,config}', '/home/x/.aws/config')).toBe(true);
    expect(path('.kube/config', '/home/x/.kube/config')).toBe(true);
    expect(path('.kube/config', '/home/x/my.kube/config')).toBe(false);
    expect(path('*.pem', '/etc/ssl/private/k.pem')).toBe(true);
    expect(path('/etc/shadow', '/etc/shadow.bak')).toBe(false);
    expect(path('/a.b', '/aXb')).toBe(false);
    expect(compilePathGlob('/a/{b,{c}}')).toBe('bad glob "/a/{b,{c}}": nested "{" is not supported');
    expect(compilePathGlob('')).toBe('empty glob');
  });

  it('host: case-insensitive, * within a label, port ignored', () => {
    const host = (g: string, h: string) => (compileHostGlob(g) as RegExp).test(h);
    expect(host('*.openai.azure.com', 'Res.OpenAI.Azure.com:443')).toBe(true);
    expect(host('*.openai.azure.com', 'a.b.openai.azure.com')).toBe(false);
    expect(host('**.openai.azure.com', 'a.b.openai.azure.com')).toBe(true);
    expect(host('api.openai.com', 'api.openai.com.evil.example')).toBe(false);
    expect(compileHostGlob('a/b')).toMatch(/^bad host glob/);
  });

  it('URL path: query ignored, must start with /', () => {
    const url = compileUrlPathGlob('/v1beta/models/**') as RegExp;
    expect(url.test('/v1beta/models/gemini:generateContent?alt=sse')).toBe(true);
    expect(url.test('/v1/models')).toBe(false);
    expect(compileUrlPathGlob('v1/x')).toMatch(/must start with "\/"/);
  });
});

describe('normalizePath', () => {
  it('resolves dot segments and relative paths, leaving clean paths as they are', () => {
    expect(normalizePath('/work/repo/../../etc/passwd', null)).toBe('/etc/passwd');
    expect(normalizePath('/a//b/./c/', null)).toBe('/a/b/c');
    expect(normalizePath('/../..', null)).toBe('/');
    expect(normalizePath('src/../.env', '/work/repo')).toBe('/work/repo/.env');
    expect(normalizePath('rel', null)).toBe('rel');
    expect(normalizePath('', '/x')).toBe(null);
    const clean = '/usr/lib/x.so';
    expect(normalizePath(clean, null)).toBe(clean);
  });
});
