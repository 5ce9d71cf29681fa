/**
 * @module sensor/elf-exports: which of some symbol names an ELF file defines in its dynamic symbol table —
 * how an executable that links OpenSSL statically but exports SSL_write (node) is told apart from one that only
 * imports it (curl, whose SSL_write lives in libssl.so). Reads the section headers, .dynsym and .dynstr only.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const STT_FUNC = 2;
const MAX_SECTION = 64 * 1024 * 1024;

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * The subset of `names` that the 64-bit little-endian ELF at `path` defines as functions in .dynsym.
 * Anything that is not such a file (a script, a 32-bit binary, unreadable) gives an empty set, never a throw.
 */
export function elfDefinedFunctions(path: string, names: readonly string[]): Set<string> {
  const found = new Set<string>();
  let fd = -1;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const eh = readAt(fd, 0, 64);
    // \x7fELF, ELFCLASS64, ELFDATA2LSB
    if (eh.length < 64 || eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) return found;
    const shoff = Number(eh.readBigUInt64LE(0x28));
    const shentsize = eh.readUInt16LE(0x3a);
    const shnum = eh.readUInt16LE(0x3c);
    if (shentsize < 64 || shnum === 0 || shoff + shnum * shentsize > size) return found;
    const sh = readAt(fd, shoff, shnum * shentsize);
    for (let i = 0; i < shnum; i++) {
      const s = i * shentsize;
      if (sh.readUInt32LE(s + 4) !== SHT_DYNSYM) continue;
      const symOff = Number(sh.readBigUInt64LE(s + 0x18));
      const symSize = Number(sh.readBigUInt64LE(s + 0x20));
      const link = sh.readUInt32LE(s + 0x28);
      const entsize = Number(sh.readBigUInt64LE(s + 0x38)) || 24;
      if (link >= shnum) return found;
      const str = link * shentsize;
      const strOff = Number(sh.readBigUInt64LE(str + 0x18));
      const strSize = Number(sh.readBigUInt64LE(str + 0x20));
      if (symSize > MAX_SECTION || strSize > MAX_SECTION) return found;
      const strtab = readAt(fd, strOff, strSize);
      // find each name's string-table offset first: one indexOf per name instead of decoding every symbol
      const wanted = new Map<number, string>();
      for (const name of names) {
        const needle = Buffer.from(`\0${name}\0`, 'latin1');
        let at = strtab.indexOf(needle);
        while (at >= 0) {
          wanted.set(at + 1, name);
          at = strtab.indexOf(needle, at + 1);
        }
      }
      if (wanted.size === 0) return found;
      const syms = readAt(fd, symOff, symSize);
      for (let at = 0; at + entsize <= syms.length; at += entsize) {
        const name = wanted.get(syms.readUInt32LE(at));
        if (name === undefined) continue;
        const info = syms[at + 4] ?? 0;
        const shndx = syms.readUInt16LE(at + 6);
        if ((info & 0xf) === STT_FUNC && shndx !== SHN_UNDEF) found.add(name);
      }
      return found;
    }
    return found;
  } catch {
    return found;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
