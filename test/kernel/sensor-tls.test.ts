/**
 * HTTPS requests to a local TLS server (127.0.0.1 only) with curl (SSL_write in libssl.so.3) and with node
 * (its static OpenSSL exports SSL_write): the plaintext becomes tls_request events with method, host, path and
 * content type, and no credential survives into the event.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttps, type Server } from 'node:https';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RuntimeEventInput } from '../../src/model/index.js';
import { describeKernel } from './require-ebpf.js';
import { startHarness, type Harness } from './sensor-harness.js';

const BEARER = 'sk-test-0123456789abcdefghijABCDEFGHIJ';
const ANTHROPIC = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345';

function noSecrets(e: RuntimeEventInput): void {
  const text = JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  expect(text).not.toContain(BEARER);
  expect(text).not.toContain(ANTHROPIC);
  expect(text).not.toContain('querysecret');
}

describeKernel('sensor: TLS uprobes', () => {
  let h: Harness;
  let dir: string;
  let server: Server;
  let h2: Http2SecureServer;
  let port: number;
  let h2port: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentprov-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const tlsOpts = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    server = createHttps(tlsOpts, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
    h2 = createSecureServer(tlsOpts, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', () => r()));
    h2port = (h2.address() as { port: number }).port;
    h = await startHarness('tls');
  });
  afterAll(async () => {
    await h?.close();
    server?.close();
    h2?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('captures a curl request through libssl.so.3 and redacts its credentials', async () => {
    const r = await h.run('curl', [
      '-sk', '--http1.1', `https://127.0.0.1:${port}/v1/chat/completions?api_key=querysecret&x=1`,
      '-H', `Authorization: Bearer ${BEARER}`, '-H', 'Content-Type: application/json',
      '-d', `{"model":"gpt","api_key":"${BEARER}"}`,
    ]);
    expect(r.stdout).toBe('{"ok":true}');
    const w = await h.waitFor('curl SSL_write', (e) => e.type === 'tls_request' && e.pid === r.pid && e.tls?.direction === 'write' && e.tls?.method === 'POST');
    expect(w.tls?.host).toBe(`127.0.0.1:${port}`);
    expect(w.tls?.path).toBe('/v1/chat/completions?api_key=[REDACTED]&x=1');
    expect(w.tls?.content_type).toBe('application/json');
    expect(w.tls?.http2).toBe(false);
    expect(w.tls?.redacted).toEqual(expect.arrayContaining(['header:authorization', 'query:api_key']));
    expect(w.comm).toBe('curl');
    expect(w.cgroup_id).toBe(h.cgroupId.toString());
    noSecrets(w);
    const rd = await h.waitFor('curl SSL_read of the response', (e) => e.type === 'tls_request' && e.pid === r.pid && e.tls?.direction === 'read' && e.labels?.['http_kind'] === 'response');
    expect(rd.labels?.['http_status']).toBe('200');
    expect(rd.tls?.content_type).toBe('application/json');
    expect(h.sensor.stats().tlsTargets.some((t) => t.path.endsWith('libssl.so.3'))).toBe(true);
  });

  it('captures a request from node, whose OpenSSL is linked in statically', async () => {
    const script = `
      const req = require('https').request({ host: '127.0.0.1', port: ${port}, path: '/v1/messages', method: 'POST',
        rejectUnauthorized: false, headers: { 'x-api-key': '${ANTHROPIC}', 'content-type': 'application/json' } },
        (res) => { res.resume(); res.on('end', () => process.exit(0)); });
      req.end('{"max_tokens":1}');`;
    const r = await h.run(process.execPath, ['-e', script]);
    expect(r.code).toBe(0);
    const w = await h.waitFor('node SSL_write', (e) => e.type === 'tls_request' && e.pid === r.pid && e.tls?.method === 'POST');
    expect(w.tls?.path).toBe('/v1/messages');
    expect(w.tls?.host).toBe(`127.0.0.1:${port}`);
    expect(w.tls?.redacted).toContain('header:x-api-key');
    expect(w.labels?.['tls_func']).toMatch(/^SSL_write/);
    noSecrets(w);
  });

  it('detects HTTP/2 from the client preface', async () => {
    const r = await h.run('curl', ['-sk', '--http2', `https://127.0.0.1:${h2port}/h2`]);
    expect(r.stdout).toBe('ok');
    const w = await h.waitFor('HTTP/2 preface', (e) => e.type === 'tls_request' && e.pid === r.pid && e.tls?.http2 === true);
    expect(w.tls?.direction).toBe('write');
  });
});
