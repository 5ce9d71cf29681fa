/**
 * @module sensor/elf-exports: which of some symbol names an ELF file defines in its dynamic symbol table —
 * how an executable that links OpenSSL statically but exports SSL_write (node) is told apart from one that only
 * imports it (curl, whose SSL_write lives in libssl.so), and where each one starts in the file. Reads the
 * section headers and, through .gnu.hash, a few entries of .dynsym and .dynstr (all of them without it).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const STT_FUNC = 2;
const MAX_SECTION = 64 * 1024 * 1024;

const SHT_GNU_HASH = 0x6ffffff6;

/** Where .dynsym and its string table are, for one open file. */
interface SymbolTable {
  fd: number;
  size: number;
  sh: Buffer;
  shentsize: number;
  shnum: number;
  symOff: number;
  symSize: number;
  entsize: number;
  strOff: number;
  strSize: number;
}

function findSection(sh: Buffer, shentsize: number, shnum: number, match: (type: number, link: number) => boolean): number {
  for (let i = 0; i < shnum; i++) if (match(sh.readUInt32LE(i * shentsize + 4), sh.readUInt32LE(i * shentsize + 0x28))) return i;
  return -1;
}

/** Records `name` at its file offset if the symbol `entry` defines it as a function. */
function addFunction(t: SymbolTable, entry: Buffer, name: string, found: Map<string, number>): void {
  if (entry.length < 16) return;
  const shndx = entry.readUInt16LE(6);
  if (((entry[4] ?? 0) & 0xf) !== STT_FUNC || shndx === SHN_UNDEF || shndx >= t.shnum) return;
  const sec = shndx * t.shentsize;
  const offset = Number(entry.readBigUInt64LE(8)) - Number(t.sh.readBigUInt64LE(sec + 0x10)) + Number(t.sh.readBigUInt64LE(sec + 0x18));
  if (offset >= 0 && offset < t.size) found.set(name, offset);
}

/**
 * Looks each name up through .gnu.hash: a few small reads per name instead of reading .dynstr and .dynsym
 * whole (node's are ~8 MB: 56 ms of every sensor start went to reading and scanning them).
 */
function lookUpByGnuHash(t: SymbolTable, hashOff: number, hashSize: number, names: readonly string[], found: Map<string, number>): void {
  const head = readAt(t.fd, hashOff, 16);
  if (head.length < 16) return;
  const nbuckets = head.readUInt32LE(0);
  const symoffset = head.readUInt32LE(4);
  const bloomWords = head.readUInt32LE(8);
  const bucketsAt = hashOff + 16 + bloomWords * 8;
  const chainAt = bucketsAt + nbuckets * 4;
  const nsyms = Math.floor(t.symSize / t.entsize);
  if (nbuckets === 0 || chainAt > hashOff + hashSize) return;
  for (const name of names) {
    let h = 5381;
    for (let c = 0; c < name.length; c++) h = (Math.imul(h, 33) + name.charCodeAt(c)) >>> 0;
    const bucket = readAt(t.fd, bucketsAt + (h % nbuckets) * 4, 4);
    let index = bucket.length === 4 ? bucket.readUInt32LE(0) : 0;
    if (index < symoffset) continue; // empty bucket
    const wanted = Buffer.from(`${name}\0`, 'latin1');
    // the chain of this bucket: each entry is a symbol's hash with bit 0 marking the chain's end
    for (; index < nsyms; index++) {
      const chain = readAt(t.fd, chainAt + (index - symoffset) * 4, 4);
      if (chain.length < 4) return;
      const ch = chain.readUInt32LE(0);
      if (((ch ^ h) >>> 1) === 0) {
        const entry = readAt(t.fd, t.symOff + index * t.entsize, t.entsize);
        const nameOff = entry.length >= 4 ? entry.readUInt32LE(0) : t.strSize;
        if (nameOff + wanted.length <= t.strSize && readAt(t.fd, t.strOff + nameOff, wanted.length).equals(wanted)) {
          addFunction(t, entry, name, found);
          break;
        }
      }
      if (ch & 1) break;
    }
  }
}

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
 * The subset of `names` that the 64-bit little-endian ELF at `path` defines as functions in .dynsym, each with
 * its file offset (symbol value - section address + section offset, as libbpf computes it): a uprobe attached
 * by offset spares libbpf a second parse of the file per function, which for node's 100 MB executable cost
 * ~55 ms of every sensor start. Anything that is not such a file (a script, a 32-bit binary, unreadable) gives
 * an empty map, never a throw.
 */
export function elfFunctionOffsets(path: string, names: readonly string[]): Map<string, number> {
  const found = new Map<string, number>();
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
      const sym: SymbolTable = { fd, size, sh, shentsize, shnum, symOff, symSize, entsize, strOff, strSize };
      const gnuHash = findSection(sh, shentsize, shnum, (t, l) => t === SHT_GNU_HASH && l === i);
      if (gnuHash >= 0) {
        const hashAt = gnuHash * shentsize;
        lookUpByGnuHash(sym, Number(sh.readBigUInt64LE(hashAt + 0x18)), Number(sh.readBigUInt64LE(hashAt + 0x20)), names, found);
        return found;
      }
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
        addFunction(sym, syms.subarray(at, at + entsize), name, found);
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
