/**
 * Secrets planted in a recorded command line (header, x-api-key, KEY=value, URL userinfo, --token flag) and in
 * ingested TLS and exec events never reach the data dir or any `--json` output: every file under the data dir
 * is read raw (SQLite main file, -wal, -shm, blobs, keys, an exported forensics bundle, gunzipped), and one
 * secret used twice carries one fingerprint. Runs with `--capture proc`, so it needs no privilege.
 *
 * Reads event bodies in the layout of migration 007: deflated in `event_blocks`, so a secret in a body would not
 * show in a grep of the files; every stored body is also inflated and searched.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { rawBodies } from '../helpers/stored-events.js';

const rnd = (n: number): string => randomBytes(n).toString('hex');
const upper = (n: number): string => randomBytes(n).toString('hex').toUpperCase().slice(0, n);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Raw bytes, and the inflated bytes of a gzip file (a bundle), as latin1 so any byte sequence is searchable. */
function contentOf(file: string): string {
  const raw = readFileSync(file);
  const parts = [raw.toString('latin1')];
  if (raw[0] === 0x1f && raw[1] === 0x8b) parts.push(gunzipSync(raw).toString('latin1'));
  return parts.join('\n');
}

describe('secrets in argv, KEY=value, URLs and TLS are redacted before they are stored', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  beforeEach(() => {
    dir = tempDir('agentprov-redact-');
    data = join(dir.path, 'data');
  });
  afterEach(() => dir.cleanup());

  it('leaves no planted secret in any file of the data dir or any --json output, and links a reused one', async () => {
    const secrets = {
      bearer: `sk-proj-${rnd(12)}Bearer`, // used twice: in the header and as a --token value
      awsKeyId: `AKIA${upper(16)}`,
      envKey: `sk-live-${rnd(12)}EnvKey`,
      dbPassword: `db-pw-${rnd(8)}`,
      urlPassword: `url-pw-${rnd(8)}`,
      tlsQuery: `tlsq${rnd(8)}`,
      ingestedBearer: `ingested${rnd(10)}`,
    };
    // A child with its own argv (KEY=value and --token as separate elements) lives long enough to be polled.
    const script =
      `true curl -H 'authorization: Bearer ${secrets.bearer}' -H 'x-api-key: ${secrets.awsKeyId}' ` +
      `https://deploy:${secrets.urlPassword}@127.0.0.1:9/repo.git; echo OPENAI_API_KEY=${secrets.envKey} >/dev/null; ` +
      `sh -c 'sleep 0.8; true' inner DB_PASSWORD=${secrets.dbPassword} --token ${secrets.bearer}; true`;
    const rec = await runCli(
      ['record', '--run', 'r-sec', '--tool-call', 'tc-sec', '--capture', 'proc', '--no-snapshot', '--json', '--', 'sh', '-c', script],
      { dataDir: data },
    );
    expect(rec.code, rec.stderr).toBe(0);

    const lines = [
      { type: 'tls_request', source: 'native_jsonl', time_ns: '1700000000000000000', pid: 4242, tls: { method: 'GET', host: 'api.example.com', path: `/v1/models?api_key=${secrets.tlsQuery}` } },
      { type: 'process_exec', source: 'native_jsonl', time_ns: '1700000000000000001', pid: 4243, exe: '/usr/bin/curl', argv: ['curl', '-H', `Authorization: Bearer ${secrets.ingestedBearer}`, 'http://169.254.169.254/latest/'] },
    ];
    const jsonl = join(dir.path, 'events.jsonl');
    writeFileSync(jsonl, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const ing = await runCli(['telemetry', 'ingest-jsonl', '--file', jsonl, '--json'], { dataDir: data });
    expect(ing.code, ing.stderr).toBe(0);

    const bundle = await runCli(['forensics', 'export', '--run', 'r-sec', '--out', join(data, 'bundle.tar.gz'), '--json'], { dataDir: data });
    expect(bundle.code, bundle.stderr).toBe(0);

    const outputs = [rec, ing, bundle];
    for (const args of [
      ['timeline', '--run', 'r-sec', '--json'],
      ['timeline', '--run', 'r-sec'],
      ['security', 'risks', '--run', 'r-sec', '--json'],
      ['security', 'responses', '--run', 'r-sec', '--json'],
      ['telemetry', 'correlations', '--run', 'r-sec', '--json'],
      ['graph', 'explain', '--run', 'r-sec', '--tool-call', 'tc-sec', '--json'],
      ['observe', 'summary', '--run', 'r-sec', '--json'],
    ]) {
      const r = await runCli(args, { dataDir: data });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      outputs.push(r);
    }

    // the command line was stored, redacted: names kept, the reused secret fingerprinted alike
    const db = new Database(join(data, 'evidence.db'), { readonly: true });
    const argvs = rawBodies(db, (e) => e.type === 'process_exec').join('\n');
    const allBodies = rawBodies(db);
    const tls = rawBodies(db, (e) => e.type === 'tls_request').join('\n');
    const command = (db.prepare('SELECT command FROM record_captures').get() as { command: string } | undefined)?.command ?? '';
    db.close();
    expect(argvs).toContain('authorization: Bearer sk-proj-[REDACTED:fp=');
    expect(argvs).toContain('x-api-key: AKIA[REDACTED:fp=');
    expect(argvs).toContain('https://deploy:[REDACTED:fp=');
    expect(argvs).toContain('OPENAI_API_KEY=sk-live-[REDACTED:fp=');
    expect(argvs).toContain('DB_PASSWORD=[REDACTED:fp=');
    expect(argvs).toContain('http://169.254.169.254/latest/');
    // the ingested TLS request was stored (its body inflated from its block), its query redacted
    expect(tls).toContain('/v1/models?api_key=[REDACTED');
    expect(command).toContain('[REDACTED:fp=');
    const fpAfter = (text: string, before: string): string[] =>
      [...text.matchAll(new RegExp(`${before.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:sk-proj-)?\\[REDACTED:fp=([0-9a-f]{12})\\]`, 'g'))].map((m) => m[1]!);
    const inHeader = fpAfter(argvs, 'authorization: Bearer ');
    const asFlag = fpAfter(argvs, '"--token","');
    expect(inHeader.length).toBeGreaterThan(0);
    expect(asFlag.length).toBeGreaterThan(0);
    expect(new Set([...inHeader, ...asFlag]).size).toBe(1);
    expect(fpAfter(argvs, 'OPENAI_API_KEY=')[0]).not.toBe(inHeader[0]);

    // the fingerprint key: private to the data dir's owner
    expect(statSync(join(data, 'keys', 'redaction.hmac')).mode & 0o777).toBe(0o600);
    const files = filesUnder(data);
    expect(files.some((f) => f.endsWith('evidence.db-wal'))).toBe(true);
    expect(files.some((f) => f.endsWith('bundle.tar.gz'))).toBe(true);
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(secrets)) {
      for (const f of files) if (contentOf(f).includes(secret)) leaks.push(`${name} in ${f}`);
      allBodies.forEach((b, i) => {
        if (b.includes(secret)) leaks.push(`${name} in stored event body ${i} (inflated)`);
      });
      outputs.forEach((o, i) => {
        if (o.stdout.includes(secret) || o.stderr.includes(secret)) leaks.push(`${name} in output ${i}`);
      });
    }
    expect(leaks).toEqual([]);
  });
});
