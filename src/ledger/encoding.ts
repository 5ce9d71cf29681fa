/** @module ledger/encoding: strict hex and base64 codecs and the sha256 primitives the ledger hashes with. */
import { hash } from 'node:crypto';

const HEX_RE = /^(?:[0-9a-f]{2})*$/;
const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export const SHA256_HEX_RE = /^[0-9a-f]{64}$/;

/** Lowercase hex only: an uppercase or odd-length string is another text with the same bytes, so refuse it. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (!HEX_RE.test(hex)) return undefined;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Strict base64 (RFC 4648, with padding): Buffer's decoder ignores stray characters and unused trailing bits,
 * so two different texts would decode to the same bytes and a flipped character could go unnoticed. Only
 * the one canonical spelling of the bytes is accepted.
 */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !B64_RE.test(text)) return undefined;
  const buf = Buffer.from(text, 'base64');
  if (buf.toString('base64') !== text) return undefined;
  return new Uint8Array(buf);
}

export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function sha256Bytes(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', data, 'buffer'));
}

/** One-shot sha256 to hex (crypto.hash avoids building a Hash object per call: it matters at 1M entries). */
export function sha256HexFast(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
