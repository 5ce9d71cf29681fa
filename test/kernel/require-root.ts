/**
 * @module test/kernel/require-root: describe() for suites that need root. Without root the suite is skipped
 * with the reason; with AGENTPROV_REQUIRE_EBPF=1 the same condition fails the run instead.
 */
import { describe, it } from 'vitest';

export function rootMissingReason(): string | null {
  return process.getuid?.() === 0 ? null : 'not root';
}

export function describeRoot(name: string, fn: () => void): void {
  const reason = rootMissingReason();
  if (reason === null) {
    describe(name, fn);
  } else if (process.env.AGENTPROV_REQUIRE_EBPF === '1') {
    describe(name, () => {
      it(`requires root (AGENTPROV_REQUIRE_EBPF=1): ${reason}`, () => {
        throw new Error(`${name}: ${reason}; run the kernel tests as root`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${reason})`, fn);
  }
}
