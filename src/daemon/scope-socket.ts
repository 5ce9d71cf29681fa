/**
 * @module daemon/scope-socket: the local API through which apps bind ToolCallScopes to a running sensor.
 * A unix socket, root-owned, mode 0660: only root and the socket's group can declare scopes, so an agent
 * running as an ordinary user cannot attribute its own actions to somebody else's tool call.
 * Protocol: one JSON object per line, `{"op":"bind","scope":{...ToolCallScope}}` or `{"op":"ping"}`;
 * each gets one JSON line back, `{"ok":true,...}` or `{"ok":false,"error":"..."}`.
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ToolCallScopeSchema, toJsonText, type ToolCallScope } from '../model/index.js';

export const DEFAULT_SCOPE_SOCKET = '/run/agentprov/sensor.sock';
const MAX_LINE = 64 * 1024;

export interface ScopeBinder {
  bind(scope: ToolCallScope): ToolCallScope;
}

function reply(sock: Socket, body: Record<string, unknown>): void {
  sock.write(`${toJsonText(body)}\n`);
}

function handleLine(line: string, binder: ScopeBinder, sock: Socket): void {
  let req: { op?: unknown; scope?: unknown };
  try {
    req = JSON.parse(line) as typeof req;
  } catch (err) {
    return reply(sock, { ok: false, error: `malformed JSON: ${(err as Error).message}` });
  }
  if (req.op === 'ping') return reply(sock, { ok: true });
  if (req.op !== 'bind') return reply(sock, { ok: false, error: `unknown op ${JSON.stringify(req.op)} (bind, ping)` });
  const parsed = ToolCallScopeSchema.safeParse(req.scope);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return reply(sock, { ok: false, error: `scope.${i.path.join('.')}: ${i.message}` });
  }
  try {
    const bound = binder.bind(parsed.data);
    reply(sock, { ok: true, binding_id: bound.binding_id, run_id: bound.run_id, tool_call_id: bound.tool_call_id });
  } catch (err) {
    reply(sock, { ok: false, error: (err as Error).message });
  }
}

export function listenScopeSocket(path: string, binder: ScopeBinder): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (existsSync(path)) unlinkSync(path); // a stale socket of a sensor that did not stop cleanly
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        reply(sock, { ok: false, error: `request line longer than ${MAX_LINE} bytes` });
        sock.destroy();
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) handleLine(line, binder, sock);
      }
    });
    sock.on('error', () => sock.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o660);
      resolve(server);
    });
  });
}
