/** @module service/policy-files: reads rule files from disk and compiles them; fails closed on any problem. */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { sha256Hex } from '../graph/index.js';
import { loadPolicies, type CompiledPolicy } from '../policy/index.js';
import { assetPath } from '../assets.js';

export const DEFAULT_POLICY_FILE = 'policies/default.yaml';

export interface LoadedPolicy {
  policy: CompiledPolicy;
  files: { file: string; sha256: string }[];
}

/**
 * No file given means the shipped default policy. A file that cannot be read or does not compile is an error
 * that stops the command: agentprov never runs with no rules.
 */
export function loadPolicyFiles(paths: readonly string[] | undefined): LoadedPolicy {
  const chosen = paths && paths.length > 0 ? [...paths] : [assetPath(DEFAULT_POLICY_FILE)];
  const sources = chosen.map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'error';
      throw new InputError([{ file, message: `cannot read policy file (${code}): refusing to run without rules` }], {
        cause,
        code: 'AP_BAD_POLICY',
      });
    }
  });
  const policy = loadPolicies(sources);
  return { policy, files: sources.map((s) => ({ file: s.file, sha256: sha256Hex(s.text) })) };
}
