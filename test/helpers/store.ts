/** A real evidence store in a temporary directory, new for each test of the describe block that asks. */
import { afterEach, beforeEach } from 'vitest';
import { EvidenceStore } from '../../src/store/index.js';
import { tempDir } from './cli.js';

export function freshStoreEachTest(): { readonly store: EvidenceStore } {
  const current = {} as { store: EvidenceStore };
  let dir: ReturnType<typeof tempDir> | undefined;
  beforeEach(() => {
    dir = tempDir();
    current.store = new EvidenceStore(dir.path);
  });
  afterEach(() => {
    current.store?.close();
    dir?.cleanup();
  });
  return current;
}
