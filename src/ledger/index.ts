/** @module ledger: hash chain, chain verification, Ed25519 keys and signed heads, RFC 9162 Merkle anchors, DSSE. */
export * from './entry.js';
export * from './verify-chain.js';
export * from './verify-ledger.js';
export * from './keys.js';
export * from './signed-head.js';
export * from './merkle.js';
export * from './anchor.js';
export * from './dsse.js';
export {
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  hexToBytes,
  sha256Bytes,
  SHA256_HEX_RE,
} from './encoding.js';
