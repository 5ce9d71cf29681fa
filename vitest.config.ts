import { defineConfig } from 'vitest/config';

// Two projects (hono's runtime projects): `unit` needs no privilege; `kernel` needs root + eBPF and runs
// its files one at a time because they share the kernel's tracepoints and the cgroup v2 mount.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/contract/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'kernel',
          include: ['test/kernel/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
