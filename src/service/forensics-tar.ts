/**
 * @module service/forensics-tar: a deterministic ustar writer and a strict reader for forensics bundles.
 *
 * Every header field is fixed except name, size and checksum (mode 0644, uid/gid 0, mtime 0, no user or
 * group names), files are written in the order given, and the archive ends with exactly two zero blocks.
 * The reader parses, then re-writes what it parsed and requires the identical bytes, so no header byte,
 * padding byte or trailing block can differ from what the writer makes.
 */
import { VerifyError } from '../errors.js';

export interface TarFile {
  name: string;
  data: Uint8Array;
}

const BLOCK = 512;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,98}$/;
const MAX_FILE = 8 * 1024 ** 3; // the 11 octal digits of a ustar size field

function putAscii(block: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) block[offset + i] = text.charCodeAt(i);
}

function octal(value: number, digits: number): string {
  return value.toString(8).padStart(digits, '0');
}

function header(name: string, size: number): Uint8Array {
  if (!NAME_RE.test(name)) throw new TypeError(`tar: unsupported file name ${JSON.stringify(name)}`);
  if (!Number.isSafeInteger(size) || size < 0 || size >= MAX_FILE) throw new RangeError(`tar: unsupported size ${size}`);
  const h = new Uint8Array(BLOCK);
  putAscii(h, 0, name);
  putAscii(h, 100, '0000644\0');
  putAscii(h, 108, '0000000\0');
  putAscii(h, 116, '0000000\0');
  putAscii(h, 124, `${octal(size, 11)}\0`);
  putAscii(h, 136, '00000000000\0');
  putAscii(h, 148, '        '); // checksum is computed with its own field as spaces
  h[156] = 0x30; // '0': regular file
  putAscii(h, 257, 'ustar\0');
  putAscii(h, 263, '00');
  putAscii(h, 329, '0000000\0');
  putAscii(h, 337, '0000000\0');
  let sum = 0;
  for (const b of h) sum += b;
  putAscii(h, 148, `${octal(sum, 6)}\0 `);
  return h;
}

export function writeTar(files: readonly TarFile[]): Uint8Array {
  const names = new Set<string>();
  let total = 2 * BLOCK;
  for (const f of files) {
    if (names.has(f.name)) throw new TypeError(`tar: duplicate file name ${f.name}`);
    names.add(f.name);
    total += BLOCK + Math.ceil(f.data.byteLength / BLOCK) * BLOCK;
  }
  const out = new Uint8Array(total); // zero-filled: padding and the two end blocks come for free
  let at = 0;
  for (const f of files) {
    out.set(header(f.name, f.data.byteLength), at);
    at += BLOCK;
    out.set(f.data, at);
    at += Math.ceil(f.data.byteLength / BLOCK) * BLOCK;
  }
  return out;
}

function bad(message: string): VerifyError {
  return new VerifyError(`bundle tar: ${message}`);
}

/** Reads an archive `writeTar` made; anything else (or any changed byte) is a VerifyError. */
export function readTar(bytes: Uint8Array): TarFile[] {
  const files: TarFile[] = [];
  let at = 0;
  for (;;) {
    if (at + BLOCK > bytes.byteLength) throw bad('the archive ends inside a header (no end-of-archive blocks)');
    const h = bytes.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const nameEnd = h.indexOf(0);
    const name = Buffer.from(h.subarray(0, nameEnd < 0 || nameEnd > 100 ? 100 : nameEnd)).toString('latin1');
    const sizeText = Buffer.from(h.subarray(124, 135)).toString('latin1');
    if (!/^[0-7]{11}$/.test(sizeText)) throw bad(`header at offset ${at}: the size field is not octal`);
    const size = Number.parseInt(sizeText, 8);
    const dataAt = at + BLOCK;
    if (dataAt + size > bytes.byteLength) throw bad(`${name}: the file runs past the end of the archive`);
    files.push({ name, data: bytes.slice(dataAt, dataAt + size) });
    at = dataAt + Math.ceil(size / BLOCK) * BLOCK;
  }
  let canonical: Uint8Array;
  try {
    canonical = writeTar(files);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (canonical.byteLength !== bytes.byteLength || !Buffer.from(canonical).equals(Buffer.from(bytes))) {
    const diff = canonical.findIndex((b, i) => b !== bytes[i]);
    throw bad(`the archive is not in the exact form agentprov writes (first difference at byte ${diff < 0 ? Math.min(canonical.byteLength, bytes.byteLength) : diff})`);
  }
  return files;
}
