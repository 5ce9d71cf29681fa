/**
 * A TCP listener that accepts and closes, for tests whose processes connect somewhere real. It listens on
 * 0.0.0.0 by default so that every 127.0.0.0/8 address reaches it (deny-list tests use 127.0.0.2 and up);
 * nothing outside the machine can, because the tests only ever connect to loopback.
 */
import { createServer, type Server } from 'node:net';

export async function listenLoopback(host = '0.0.0.0'): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { server, port: (server.address() as { port: number }).port };
}
