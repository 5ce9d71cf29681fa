/**
 * @module service/forensics-gzip: the bundle's gzip member (RFC 1952), written by hand around node:zlib's
 * raw deflate so every header byte is ours, with an Ed25519 signature over everything after the header.
 *
 * Header: 1f 8b 08 04 | mtime 0 | xfl 0 | os ff | XLEN 68 | subfield "AP" len 64 | signature (64 bytes).
 * The signature covers "agentprov.forensics-gzip/v1 " + sha256 hex of (deflate stream || CRC32 || ISIZE),
 * i.e. every byte after the header to the end of the file. So any changed, added or removed byte fails:
 * in the fixed header by comparison, in the signature or after it by verification. This matters because
 * deflate itself is malleable (padding bits after the last block are ignored by inflate). Any gzip reader
 * (`tar -xzf`) skips the extra field and reads the bundle as usual.
 */
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { VerifyError } from '../errors.js';
import { sha256Hex } from '../graph/index.js';
import { signBytes, verifyBytes } from '../ledger/index.js';

const FIXED = Uint8Array.from([0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0x00, 0xff, 68, 0, 0x41, 0x50, 64, 0]);
const HEADER_LEN = FIXED.byteLength + 64;
const DOMAIN = 'agentprov.forensics-gzip/v1';

function signedMessage(rest: Uint8Array): Uint8Array {
  return new TextEncoder().encode(`${DOMAIN} ${sha256Hex(rest)}`);
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

export function writeSignedGzip(content: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const deflated = deflateRawSync(content, { level: 9 });
  const rest = new Uint8Array(deflated.byteLength + 8);
  rest.set(deflated, 0);
  rest.set(u32le(crc32(content)), deflated.byteLength);
  rest.set(u32le(content.byteLength % 2 ** 32), deflated.byteLength + 4);
  const out = new Uint8Array(HEADER_LEN + rest.byteLength);
  out.set(FIXED, 0);
  out.set(signBytes(signedMessage(rest), secretKey), FIXED.byteLength);
  out.set(rest, HEADER_LEN);
  return out;
}

/** Checks the header and the signature with the pinned key, then inflates; returns the content. */
export function readSignedGzip(bytes: Uint8Array, pinnedPublicKey: Uint8Array, pinnedName: string): Uint8Array {
  if (bytes.byteLength < HEADER_LEN + 10) throw new VerifyError('bundle: too short to be an agentprov forensics bundle');
  const fixedAt = FIXED.findIndex((b, i) => bytes[i] !== b);
  if (fixedAt >= 0) {
    throw new VerifyError(`bundle: gzip header byte ${fixedAt} differs from the header agentprov writes (not a bundle, or changed)`);
  }
  const sig = bytes.subarray(FIXED.byteLength, HEADER_LEN);
  const rest = bytes.subarray(HEADER_LEN);
  if (!verifyBytes(sig, signedMessage(rest), pinnedPublicKey)) {
    throw new VerifyError(`bundle: the signature over the compressed bytes does not verify with the pinned key ${pinnedName} (changed bytes, or another key)`);
  }
  const deflated = rest.subarray(0, rest.byteLength - 8);
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    result = inflateRawSync(deflated, { info: true }) as unknown as typeof result;
  } catch (cause) {
    throw new VerifyError(`bundle: the deflate stream is corrupt: ${(cause as Error).message}`);
  }
  const content = new Uint8Array(result.buffer);
  const tail = new DataView(rest.buffer, rest.byteOffset + rest.byteLength - 8, 8);
  if (result.engine.bytesWritten !== deflated.byteLength) throw new VerifyError('bundle: bytes follow the end of the deflate stream');
  if (tail.getUint32(0, true) !== crc32(content) || tail.getUint32(4, true) !== content.byteLength % 2 ** 32) {
    throw new VerifyError('bundle: CRC32 or length of the content does not match the gzip trailer');
  }
  return content;
}
