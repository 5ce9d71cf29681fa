/**
 * The issue's own scenario, with the eBPF sensor: `agentprov record -- sh -c "curl -H 'authorization: Bearer
 * …' -H 'x-api-key: AKIA…' https://user:pass@127.0.0.1:PORT/…?api_key=…; echo OPENAI_API_KEY=…"` against a
 * local TLS server. The exec events come from the kernel's argv, the TLS request from the SSL_write uprobe
 * (header and query in the plaintext). No planted secret may be in any file of the data dir, nor in any
 * `--json` output; a secret used twice (header and KEY=value) carries one fingerprint.
 *
 * Reads event bodies in the layout of migration 007: deflated in `event_blocks`, so a secret in a body would not
 * show in a grep of the files; every stored body is also inflated and searched.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttps, type Server } from 'node:https';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { rawBodies } from '../helpers/stored-events.js';
import { describeKernel } from './require-ebpf.js';

const rnd = (n: number): string => randomBytes(n).toString('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describeKernel('record with the eBPF sensor: secrets in argv and TLS are redacted before they are stored', () => {
  const dir = tempDir('agentprov-redact-tls-');
  const data = join(dir.path, 'data');
  let server: Server;
  let port = 0;
  let requests = 0;
  beforeAll(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir.path, 'key.pem'), '-out', join(dir.path, 'cert.pem'),
    ], { stdio: 'ignore' });
    server = createHttps({ key: readFileSync(join(dir.path, 'key.pem')), cert: readFileSync(join(dir.path, 'cert.pem')) }, (req, res) => {
      requests++;
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => {
    server?.close();
    dir.cleanup();
  });

  it('stores no planted secret anywhere, keeps names, and fingerprints a reused secret alike', async () => {
    const s = {
      bearer: `sk-proj-${rnd(14)}`, // used twice: the header and OPENAI_API_KEY=
      awsKeyId: `AKIA${rnd(8).toUpperCase()}`,
      urlPassword: `pw${rnd(8)}`,
      query: `q${rnd(10)}`,
      envOnly: `sk-live-${rnd(12)}`,
    };
    const script =
      `curl -sk --http1.1 -H 'authorization: Bearer ${s.bearer}' -H 'x-api-key: ${s.awsKeyId}' ` +
      `'https://deploy:${s.urlPassword}@127.0.0.1:${port}/v1/chat?api_key=${s.query}&x=1' -o /dev/null; ` +
      `env OPENAI_API_KEY=${s.bearer} ANTHROPIC_API_KEY=${s.envOnly} true`;
    const rec = await runCli(['record', '--run', 'r-tls', '--tool-call', 'tc-tls', '--no-snapshot', '--workdir', dir.path, '--json', '--', 'sh', '-c', script], {
      dataDir: data,
    });
    expect(rec.code, rec.stderr).toBe(0);
    expect(requests).toBe(1);

    const outputs = [rec];
    for (const args of [
      ['timeline', '--run', 'r-tls', '--json'],
      ['timeline', '--run', 'r-tls'],
      ['security', 'risks', '--run', 'r-tls', '--json'],
      ['graph', 'explain', '--run', 'r-tls', '--tool-call', 'tc-tls', '--json'],
      ['observe', 'summary', '--run', 'r-tls', '--json'],
    ]) {
      const r = await runCli(args, { dataDir: data });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      outputs.push(r);
    }

    const db = new Database(join(data, 'evidence.db'), { readonly: true });
    const bodies = (type: string): string => rawBodies(db, (e) => e.type === type).join('\n');
    const execs = bodies('process_exec');
    const tls = bodies('tls_request');
    const allBodies = rawBodies(db);
    db.close();
    // what the investigator keeps: the flag and key names, the host, the path, a fingerprint
    expect(execs).toContain('authorization: Bearer sk-proj-[REDACTED:fp=');
    expect(execs).toContain('x-api-key: AKIA[REDACTED:fp=');
    expect(execs).toContain('https://deploy:[REDACTED:fp=');
    expect(execs).toContain('ANTHROPIC_API_KEY=sk-live-[REDACTED:fp=');
    expect(tls).toContain('/v1/chat?api_key=[REDACTED');
    expect(tls).toContain(`127.0.0.1:${port}`);
    const fp = (before: string): string | undefined =>
      new RegExp(`${before}(?:sk-proj-)?\\[REDACTED:fp=([0-9a-f]{12})\\]`).exec(execs)?.[1];
    expect(fp('authorization: Bearer ')).toMatch(/^[0-9a-f]{12}$/);
    expect(fp('OPENAI_API_KEY=')).toBe(fp('authorization: Bearer '));
    expect(fp('ANTHROPIC_API_KEY=')).not.toBe(fp('authorization: Bearer '));

    const files = filesUnder(data);
    expect(files.some((f) => f.endsWith('evidence.db-wal'))).toBe(true);
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(s)) {
      for (const f of files) if (readFileSync(f).toString('latin1').includes(secret)) leaks.push(`${name} in ${f}`);
      allBodies.forEach((b, i) => {
        if (b.includes(secret)) leaks.push(`${name} in stored event body ${i} (inflated)`);
      });
      outputs.forEach((o, i) => {
        if (o.stdout.includes(secret) || o.stderr.includes(secret)) leaks.push(`${name} in output ${i}`);
      });
    }
    expect(leaks).toEqual([]);
  }, 60_000);

  it('sees the TLS request of a recorded node child (OpenSSL linked into node itself), its key redacted', async () => {
    // record finds TLS libraries at each exec of its leaf, not by walking every process at start: node's own
    // binary must be attached before the child's first SSL_write all the same
    const key = `sk-ant-${rnd(16)}`;
    const data2 = join(dir.path, 'data-node');
    const js =
      `const r = require('node:https').request({ host: '127.0.0.1', port: ${port}, path: '/v1/messages', method: 'POST', ` +
      `rejectUnauthorized: false, headers: { 'x-api-key': '${key}' } }, (res) => { res.resume(); res.on('end', () => process.exit(0)); }); ` +
      `r.on('error', (e) => { console.error(e.message); process.exit(3); }); r.end('{}');`;
    const before = requests;
    const rec = await runCli(['record', '--run', 'r-node-tls', '--tool-call', 'tc-node', '--no-snapshot', '--workdir', dir.path, '--json', '--', process.execPath, '-e', js], {
      dataDir: data2,
    });
    expect(rec.code, rec.stderr).toBe(0);
    expect(requests).toBe(before + 1);
    const db = new Database(join(data2, 'evidence.db'), { readonly: true });
    const tls = rawBodies(db, (e) => e.type === 'tls_request').join('\n');
    db.close();
    expect(tls).toContain('/v1/messages');
    expect(tls).toContain(`127.0.0.1:${port}`);
    expect(tls).not.toContain(key);
  }, 60_000);
});
