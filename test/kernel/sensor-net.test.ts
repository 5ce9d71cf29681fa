/** connect to a loopback TCP listener (address, port, result) and to a unix socket. */
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeKernel } from './require-ebpf.js';
import { startHarness, type Harness } from './sensor-harness.js';

function listen(server: Server, where: number | string): Promise<void> {
  return new Promise((resolve) => server.listen(where as number, '127.0.0.1', () => resolve()));
}

describeKernel('sensor: connect hooks', () => {
  let h: Harness;
  let tcp: Server;
  let unix: Server;
  let dir: string;
  let port: number;
  let sock: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentprov-net-'));
    tcp = createServer((s) => s.end('hi\n'));
    await listen(tcp, 0);
    port = (tcp.address() as { port: number }).port;
    sock = join(dir, 's.sock');
    unix = createServer((s) => s.end('hi\n'));
    await new Promise<void>((r) => unix.listen(sock, () => r()));
    h = await startHarness('net');
  });
  afterAll(async () => {
    await h?.close();
    tcp?.close();
    unix?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports a TCP connect to 127.0.0.1 with port and result 0', async () => {
    const r = await h.run('/usr/bin/python3', ['-c', `import socket; s=socket.create_connection(('127.0.0.1', ${port})); print(s.recv(10).decode().strip())`]);
    expect(r.stdout.trim()).toBe('hi');
    const ev = await h.waitFor('connect to listener', (e) => e.type === 'network_connect' && e.pid === r.pid && e.dst_port === port);
    expect(ev.family).toBe('inet');
    expect(ev.dst_ip).toBe('127.0.0.1');
    expect(ev.result).toBe(0);
    expect(ev.cgroup_id).toBe(h.cgroupId.toString());
  });

  it('reports a refused connect with -ECONNREFUSED', async () => {
    const r = await h.run('/usr/bin/python3', ['-c', `import socket\ntry: socket.create_connection(('127.0.0.1', 1))\nexcept OSError as e: print(e.errno)`]);
    expect(r.stdout.trim()).toBe('111');
    const ev = await h.waitFor('refused connect', (e) => e.type === 'network_connect' && e.pid === r.pid && e.dst_port === 1);
    expect(ev.result).toBe(-111);
  });

  it('reports a unix socket connect with its path', async () => {
    const r = await h.run('/usr/bin/python3', ['-c', `import socket; s=socket.socket(socket.AF_UNIX); s.connect('${sock}'); print(s.recv(10).decode().strip())`]);
    expect(r.stdout.trim()).toBe('hi');
    const ev = await h.waitFor('unix connect', (e) => e.type === 'network_connect' && e.pid === r.pid && e.family === 'unix');
    expect(ev.path).toBe(sock);
    expect(ev.result).toBe(0);
  });
});
