/** elf-exports: a file that defines SSL_write is a TLS target; one that only imports it is not. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLS_FUNCTIONS, elfFunctionOffsets, isLibsslPath } from '../../src/sensor/index.js';

/** The names the file defines, as a set. */
const defined = (file: string): Set<string> => new Set(elfFunctionOffsets(file, TLS_FUNCTIONS).keys());

describe('elfFunctionOffsets', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agentprov-elf-'));
    writeFileSync(join(dir, 'fake-ssl.c'), 'int SSL_write(void *s, const void *b, int n) { return n; }\nint SSL_read(void *s, void *b, int n) { return 0; }\n');
    writeFileSync(join(dir, 'user.c'), 'int SSL_write(void *s, const void *b, int n);\nint main(void) { return SSL_write(0, 0, 0); }\n');
    execFileSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'libfakessl.so'), join(dir, 'fake-ssl.c')]);
    execFileSync('cc', ['-o', join(dir, 'user'), join(dir, 'user.c'), `-L${dir}`, '-lfakessl']);
    execFileSync('cc', ['-rdynamic', '-o', join(dir, 'static-user'), join(dir, 'user.c'), join(dir, 'fake-ssl.c')]);
    // only the old .hash table: the lookup falls back to reading .dynsym whole
    execFileSync('cc', ['-rdynamic', '-Wl,--hash-style=sysv', '-o', join(dir, 'sysv-user'), join(dir, 'user.c'), join(dir, 'fake-ssl.c')]);
    writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\necho SSL_write\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds functions a shared library defines', () => {
    expect([...defined(join(dir, 'libfakessl.so'))].sort()).toEqual(['SSL_read', 'SSL_write']);
  });

  it('ignores a function an executable only imports, and finds one it links in and exports', () => {
    expect(defined(join(dir, 'user')).size).toBe(0);
    expect([...defined(join(dir, 'static-user'))]).toContain('SSL_write');
  });

  // what libbpf computes for a uprobe by name (symbol value - section address + section offset), from readelf
  const readelfOffset = (file: string, fn: string): number => {
    const sym = execFileSync('readelf', ['-sW', '--dyn-syms', file], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[7] === fn && f[3] === 'FUNC')!;
    const sections = execFileSync('readelf', ['-SW', file], { encoding: 'utf8' });
    const sec = new RegExp(`\\[\\s*${sym[6]}\\]\\s+\\S+\\s+\\S+\\s+([0-9a-f]+)\\s+([0-9a-f]+)`).exec(sections)!;
    return parseInt(sym[1]!, 16) - parseInt(sec[1]!, 16) + parseInt(sec[2]!, 16);
  };

  it.each(['libfakessl.so', 'static-user', 'sysv-user'])('gives the file offset libbpf would attach at, through .gnu.hash or without it (%s)', (file) => {
    const offsets = elfFunctionOffsets(join(dir, file), TLS_FUNCTIONS);
    expect([...offsets.keys()].sort()).toEqual(['SSL_read', 'SSL_write']);
    for (const fn of ['SSL_read', 'SSL_write']) expect(offsets.get(fn)).toBe(readelfOffset(join(dir, file), fn));
    expect(elfFunctionOffsets(join(dir, 'user'), TLS_FUNCTIONS).size).toBe(0);
  });

  it('returns nothing for files that are not ELF or do not exist', () => {
    expect(defined(join(dir, 'script.sh')).size).toBe(0);
    expect(defined(join(dir, 'missing')).size).toBe(0);
  });

  it('recognises libssl file names', () => {
    expect(isLibsslPath('/usr/lib/x86_64-linux-gnu/libssl.so.3')).toBe(true);
    expect(isLibsslPath('/opt/x/libssl.so')).toBe(true);
    expect(isLibsslPath('/usr/lib/libssl3.so')).toBe(false);
    expect(isLibsslPath('/usr/lib/libcrypto.so.3')).toBe(false);
  });
});
