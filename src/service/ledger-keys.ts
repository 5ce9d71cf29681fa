/**
 * @module service/ledger-keys: the public key a verification pins, and where it came from.
 *
 * Verification never uses a key carried in the data it checks: the key comes from `--pub` (a file, the
 * `agentprov-ed25519-public:` text or 64 hex characters) or, by default, the data dir's own public key
 * file, and the output says which.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError, NotFoundError } from '../errors.js';
import { fingerprint, parsePublicKey, PUBLIC_KEY_PREFIX } from '../ledger/index.js';
import { dataDirPublicKeyPath, type PinnedKey } from '../store/index.js';

export type { PinnedKey } from '../store/index.js';

/** `--pub` given as a file path, the text format, or bare hex. */
export function readPublicKeyArg(arg: string): PinnedKey {
  const looksInline = arg.startsWith(PUBLIC_KEY_PREFIX) || /^[0-9a-f]{64}$/.test(arg);
  if (looksInline) {
    const publicKey = parsePublicKey(arg, '--pub');
    return { publicKey, fingerprint: fingerprint(publicKey), source: '--pub (inline key)' };
  }
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError([{ file: arg, field: '--pub', message: `cannot read public key file (${code})` }], {
      cause,
      code: 'AP_BAD_ARGS',
    });
  }
  const publicKey = parsePublicKey(text, arg);
  return { publicKey, fingerprint: fingerprint(publicKey), source: `--pub ${arg}` };
}

/** The key to pin: `--pub` if given, else the data dir's public key file. */
export function resolvePinnedKey(pub: string | undefined, dataDir: string): PinnedKey {
  if (pub) return readPublicKeyArg(pub);
  const path = dataDirPublicKeyPath(dataDir);
  if (!existsSync(path)) {
    throw new NotFoundError(`no public key to verify with: ${path} does not exist (pass --pub FILE|HEX)`);
  }
  const publicKey = parsePublicKey(readFileSync(path, 'utf8'), path);
  return { publicKey, fingerprint: fingerprint(publicKey), source: `data dir public key ${path}` };
}

/** Like resolvePinnedKey, but null (not an error) when no --pub was given and the data dir has no key. */
export function findPinnedKey(pub: string | undefined, dataDir: string): PinnedKey | null {
  if (!pub && !existsSync(dataDirPublicKeyPath(dataDir))) return null;
  return resolvePinnedKey(pub, dataDir);
}
