/**
 * @module store/redaction-key: the data dir's key for redaction fingerprints, `<data-dir>/keys/redaction.hmac`
 * (32 random bytes as hex, mode 0600), created once on first use. Every opener of the data dir fingerprints
 * with it, so one secret redacted by a record, a sensor and an ingest gets one fingerprint there, and a
 * fingerprint means nothing outside the data dir.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import { keyedFingerprint } from '../model/index.js';
import { KEY_DIR } from './ledger-key.js';

export const REDACTION_KEY_FILE = 'redaction.hmac';

export function redactionKeyPath(dataDir: string): string {
  return join(dataDir, KEY_DIR, REDACTION_KEY_FILE);
}

function parseKey(text: string, path: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new StoreError(`redaction key ${path} is not 64 hex digits: remove it to make a new one (fingerprints then change)`);
  return Buffer.from(hex, 'hex');
}

/**
 * The data dir's redaction key: read, or created. Creation writes a private temporary file and hard-links it
 * into place, so a racing opener either wins or reads the winner's complete key, never half a file.
 */
export function loadOrCreateRedactionKey(dataDir: string): Buffer {
  const path = redactionKeyPath(dataDir);
  try {
    return parseKey(readFileSync(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err instanceof StoreError ? err : new StoreError(`cannot read redaction key ${path}: ${(err as Error).message}`, { cause: err });
  }
  mkdirSync(join(dataDir, KEY_DIR), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(tmp, 0o600);
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  } catch (err) {
    throw new StoreError(`cannot create redaction key ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
  return parseKey(readFileSync(path, 'utf8'), path);
}

/** The data dir's keyed fingerprint for model/redact. */
export function dataDirFingerprint(dataDir: string): (secret: string) => string {
  return keyedFingerprint(loadOrCreateRedactionKey(dataDir));
}
