/**
 * Kernel tests run only where eBPF can: root, BTF, the addon built. Elsewhere they are skipped with the reason,
 * unless AGENTPROV_REQUIRE_EBPF=1 (CI), where the same missing condition fails the run instead of hiding it.
 */
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';
import { addonPath, isAddonBuilt } from '../../src/sensor/index.js';

export function kernelSkipReason(): string | null {
  if (process.geteuid?.() !== 0) return 'not root';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'no BTF at /sys/kernel/btf/vmlinux';
  if (!isAddonBuilt()) return `addon not built (${addonPath()}): run make -C bpf && npx node-gyp rebuild -C native`;
  return null;
}

export function describeKernel(name: string, fn: () => void): void {
  const reason = kernelSkipReason();
  if (reason === null) {
    describe(name, fn);
  } else if (process.env['AGENTPROV_REQUIRE_EBPF'] === '1') {
    describe(name, () => {
      it('has what eBPF tests need', () => {
        throw new Error(`AGENTPROV_REQUIRE_EBPF=1 but ${reason}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${reason})`, fn);
  }
}
