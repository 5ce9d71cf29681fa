import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RuntimeEventSchema, type RuntimeEventInput } from '../../src/model/index.js';
import { ProcPoller } from '../../src/record/index.js';

// Needs no privilege: the poller only reads /proc entries of processes this test started.
const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'ap-poller-')));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs `sh -c script` under a poller until it exits, then returns everything the poller saw. */
async function record(script: string): Promise<{ root: number; events: RuntimeEventInput[]; poller: ProcPoller }> {
  const events: RuntimeEventInput[] = [];
  const child = spawn('/bin/sh', ['-c', script, tmp], { stdio: 'ignore', cwd: tmp });
  children.push(child);
  const exited = new Promise((r) => child.on('exit', r));
  const poller = new ProcPoller({ rootPid: child.pid!, intervalMs: 5, host: 'test', onEvents: (e) => events.push(...e) });
  poller.start();
  await exited;
  poller.stop();
  return { root: child.pid!, events, poller };
}

describe('ProcPoller', () => {
  it('sees a child exec with its argv, its exit, and the root exit; every event is a valid RuntimeEvent', async () => {
    const { root, events, poller } = await record('sleep 0.3 & wait');
    const exec = events.find((e) => e.type === 'process_exec' && e.argv?.[0] === 'sleep');
    expect(exec).toMatchObject({ argv: ['sleep', '0.3'], ppid: root, cwd: tmp, source: 'native_jsonl', host: 'test' });
    expect(exec?.exe).toMatch(/sleep$/);
    expect(exec?.labels).toMatchObject({ capture: 'proc_poll', may_miss: 'short_lived' });
    expect(['initial', 'new_pid']).toContain(exec?.labels?.reason); // present at the first poll, or found later
    expect(exec?.uid).toBe(process.getuid!());
    expect(typeof exec?.process_start_ns).toBe('bigint');
    expect(events.some((e) => e.type === 'process_exit' && e.pid === exec?.pid)).toBe(true);
    expect(events.some((e) => e.type === 'process_exit' && e.pid === root)).toBe(true);
    for (const e of events) expect(() => RuntimeEventSchema.parse(e)).not.toThrow();
    expect(poller.stats()).toMatchObject({ errors: 0, events: events.length });
  });

  it('reports exec in place (same pid, new argv)', async () => {
    const { root, events } = await record('sleep 0.2; exec sleep 0.25');
    const execs = events.filter((e) => e.type === 'process_exec' && e.pid === root);
    expect(execs.at(-1)).toMatchObject({ argv: ['sleep', '0.25'], labels: { reason: 'exec' } });
  });

  it('reads the exit code and the killing signal of zombies', async () => {
    const { events } = await record('(sleep 0.1; exit 3) & sleep 5 & kill -9 $!; exec sleep 0.4');
    const exits = events.filter((e) => e.type === 'process_exit' && e.labels?.reason === 'zombie');
    expect(exits.some((e) => e.exit_code === 3 && e.signal === null)).toBe(true);
    expect(exits.some((e) => e.signal === 9 && e.exit_code === null)).toBe(true);
  });

  it('reports files held open for writing, not those opened read-only', async () => {
    const { events } = await record('exec 3>"$0/w.log" 4<"$0/w.log"; sleep 0.2');
    const opens = events.filter((e) => e.type === 'file_open');
    expect(opens.some((e) => e.path === join(tmp, 'w.log') && e.result === 3)).toBe(true);
    expect(opens.every((e) => e.open_flags?.includes('write'))).toBe(true);
  });

  it('reports a loopback TCP connect with its destination', async () => {
    const server: Server = createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const js = `require('net').connect(${port}, '127.0.0.1', () => setTimeout(() => process.exit(0), 300))`;
      const { events } = await record(`"${process.execPath}" -e "${js}"`);
      const conn = events.find((e) => e.type === 'network_connect');
      expect(conn).toMatchObject({ family: 'inet', dst_ip: '127.0.0.1', dst_port: port, labels: { protocol: 'tcp' } });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
