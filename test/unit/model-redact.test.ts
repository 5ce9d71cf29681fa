/**
 * The redaction module: every secret pattern is replaced by a keyed fingerprint while the names around it stay,
 * look-alikes are kept, and redacting twice changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { keyedFingerprint, redactArgv, redactEvent, redactText } from '../../src/model/redact.js';

const fp = keyedFingerprint(Buffer.alloc(32, 7));
const other = keyedFingerprint(Buffer.alloc(32, 8));
const FP = /\[REDACTED:fp=[0-9a-f]{12}\]/;
const fpOf = (s: string): string[] => [...s.matchAll(/\[REDACTED:fp=([0-9a-f]{12})\]/g)].map((m) => m[1]!);

/** [input, the secret that must be gone, what must stay] */
const CASES: [string, string, string][] = [
  ['Authorization: Bearer abcDEF123456ghiJKL', 'abcDEF123456ghiJKL', 'Authorization: Bearer '],
  ['authorization: Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA', 'authorization: Basic '],
  ["curl -H 'Bearer tok_0123456789abcdef' x", 'tok_0123456789abcdef', 'Bearer '],
  ['x-api-key: 9f8e7d6c5b4a39281706', '9f8e7d6c5b4a39281706', 'x-api-key: '],
  ['Cookie: session=a1b2c3d4e5; theme=dark', 'a1b2c3d4e5', 'Cookie: '],
  ['use sk-AbCdEfGhIjKlMnOpQrStUv12 now', 'AbCdEfGhIjKlMnOpQrStUv12', 'use sk-'],
  ['sk-proj-Zz09Yy18Xx27Ww36Vv45', 'Zz09Yy18Xx27Ww36Vv45', 'sk-proj-'],
  ['sk-ant-api03-Qq11Ww22Ee33Rr44Tt55', 'Qq11Ww22Ee33Rr44Tt55', 'sk-ant-api03-'],
  ['key AKIAIOSFODNN7EXAMPLE here', 'IOSFODNN7EXAMPLE', 'key AKIA'],
  ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG', 'AWS_SECRET_ACCESS_KEY='],
  ['ghp_0123456789abcdefghijABCDEFGHIJ012345', '0123456789abcdefghijABCDEFGHIJ012345', 'ghp_'],
  ['github_pat_11ABCDEFG0123456789_abcdefghijklmnop', '11ABCDEFG0123456789', 'github_pat_'],
  ['glpat-abcdefghij0123456789', 'abcdefghij0123456789', 'glpat-'],
  ['xoxb-1234567890-abcdefghijkl', '1234567890-abcdefghijkl', 'xoxb-'],
  ['https://hooks.slack.com/services/T000/B000/XXXXyyyyZZZZ', 'XXXXyyyyZZZZ', 'https://hooks.slack.com/services/'],
  [
    'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    'jwt eyJ',
  ],
  ['-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA', '-----END RSA PRIVATE KEY-----'],
  ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA', 'b3BlbnNzaC1rZXktdjEAAAA', '-----BEGIN OPENSSH PRIVATE KEY-----'],
  ['password=hunter2', 'hunter2', 'password='],
  ['DB_PASSWORD=s3cr3t!', 's3cr3t!', 'DB_PASSWORD='],
  ['GITHUB_TOKEN=abc123', 'abc123', 'GITHUB_TOKEN='],
  ['client_secret=xyz789&grant=1', 'xyz789', 'client_secret='],
  ['/v1/x?api_key=qwerty123&q=cats', 'qwerty123', '/v1/x?api_key='],
  ['/maps?key=AIzaSyA1234&z=3', 'AIzaSyA1234', '/maps?key='],
  ['git clone https://deploy:Tr0ub4dor@git.example.com/r.git', 'Tr0ub4dor', 'https://deploy:'],
  ['{"password": "p@ss w0rd", "user": "bob"}', 'p@ss w0rd', '"password": "'],
  ['sh -c "tool --password hunter22 --verbose"', 'hunter22', '--password '],
  ['sshpass -p Pa55word ssh host', 'Pa55word', 'sshpass -p '],
  ['mysql -u root -pS3cretPw db', 'S3cretPw', 'mysql -u root -p'],
  ['curl -u alice:wonderland https://x', 'wonderland', 'curl -u alice:'],
];

/** Must come back unchanged. */
const KEEP = [
  'mkdir -p build/output',
  'ssh -p 22 host',
  'max_tokens=100 TOKEN_COUNT=5 PWD=/home/dev',
  'git checkout da39a3ee5e6b4b0d3255bfef95601890afd80709',
  'password=$DB_PASSWORD token=${TOKEN}',
  'curl http://169.254.169.254/latest/meta-data/iam/',
  'https://example.com/a?q=1&page=2',
  'the sk-tool is great; task-manager-2024',
  'Authorization: [REDACTED:fp=0123456789ab]',
  '--token-file /run/secrets/t',
  'Bearer token',
];

describe('redactText', () => {
  it.each(CASES)('redacts %j', (input, secret, kept) => {
    const out = redactText(input, fp);
    expect(out).not.toContain(secret);
    expect(out).toContain(kept);
    expect(out).toMatch(FP);
    // idempotent: a redacted line ingested again is stored as it is
    expect(redactText(out, fp)).toBe(out);
  });

  it.each(KEEP)('keeps %j', (text) => {
    expect(redactText(text, fp)).toBe(text);
  });

  it('gives one secret one fingerprint wherever it appears, and another key another', () => {
    const secret = 'sk-proj-Same0Secret1Twice2Used3';
    const out = redactText(`Authorization: Bearer ${secret}; OPENAI_API_KEY=${secret} and ${secret}`, fp);
    const fps = fpOf(out);
    expect(fps).toHaveLength(3);
    expect(new Set(fps).size).toBe(1);
    expect(fpOf(redactText(secret, other))[0]).not.toBe(fps[0]);
    expect(fpOf(redactText('OPENAI_API_KEY=sk-proj-Different0Secret1Here', fp))[0]).not.toBe(fps[0]);
  });

  it('without a key marks the secret without a fingerprint', () => {
    expect(redactText('token=abcdef', null)).toBe('token=[REDACTED]');
  });

  // The shapes that made the KEY=value and URL rules rescan a run from every dot (scripts/bench-redact
  // measures the time): whatever precedes it, the secret at the end of a long name run still goes.
  it.each([
    ['a.b-c_d.'.repeat(1000) + 'db.password=s3cr3t-at-the-end', 's3cr3t-at-the-end', 'db.password='],
    ['a.b.c.'.repeat(1000) + ' x+api_key=k3y-after-a-plus', 'k3y-after-a-plus', 'x+api_key='],
    ['-'.repeat(3000) + 'GITHUB_TOKEN=tok3n-after-dashes', 'tok3n-after-dashes', 'GITHUB_TOKEN='],
    ['x.'.repeat(2000) + 'https://deploy:pa55word@git.example', 'pa55word', 'https://deploy:'],
    ['mysql '.repeat(500) + 'mysql -u root -pSup3rSecret db', 'Sup3rSecret', '-p'],
  ])('redacts a secret after a long run of name characters (%#)', (input, secret, kept) => {
    const out = redactText(input, fp);
    expect(out).not.toContain(secret);
    expect(out).toContain(kept);
    expect(out).toMatch(FP);
  });
});

describe('redactArgv', () => {
  it('redacts the value after a secret flag, keeping the flag', () => {
    expect(redactArgv(['tool', '--password', 'hunter2', '--api-key', 'k1', '--token=abc', '-v'], fp)).toEqual([
      'tool',
      '--password',
      expect.stringMatching(/^\[REDACTED:fp=[0-9a-f]{12}\]$/),
      '--api-key',
      expect.stringMatching(FP),
      expect.stringMatching(/^--token=\[REDACTED:fp=[0-9a-f]{12}\]$/),
      '-v',
    ]);
  });

  it('redacts -p only where it means password or the value looks like a secret', () => {
    expect(redactArgv(['mkdir', '-p', 'build2024output'], fp)).toEqual(['mkdir', '-p', 'build2024output']);
    expect(redactArgv(['ssh', '-p', '22', 'host'], fp)).toEqual(['ssh', '-p', '22', 'host']);
    expect(redactArgv(['/usr/bin/mysql', '-pS3cret', 'db'], fp)[1]).toMatch(/^-p\[REDACTED:fp=/);
    expect(redactArgv(['mysql', '-p', 'dbname'], fp)).toEqual(['mysql', '-p', 'dbname']); // mysql -p X: X is the database
    expect(redactArgv(['sshpass', '-p', 'pw', 'ssh', 'h'], fp)[2]).toMatch(FP);
    expect(redactArgv(['tool', '-p', 'Xy7Kq9Lm2Np4Rs6Tu8'], fp)[2]).toMatch(FP);
    expect(redactArgv(['redis-cli', '-a', 'pw1', 'ping'], fp)[2]).toMatch(FP);
    expect(redactArgv(['curl', '-u', 'alice:wonder', 'https://x'], fp)[2]).toMatch(/^alice:\[REDACTED:fp=/);
  });

  it('links the same secret as a flag value and as KEY=value', () => {
    const out = redactArgv(['env', 'API_TOKEN=Tw1ce-used-value', 'tool', '--token', 'Tw1ce-used-value'], fp);
    expect(out.join(' ')).not.toContain('Tw1ce');
    expect(fpOf(out[1]!)).toEqual(fpOf(out[4]!));
  });
});

describe('redactEvent', () => {
  it('redacts argv, the TLS path, labels and producer text, and leaves names alone', () => {
    const e = redactEvent(
      {
        argv: ['curl', '-H', 'Authorization: Bearer abcDEF123456ghiJKL', 'http://169.254.169.254/latest/'],
        exe: '/usr/bin/curl',
        path: '/home/dev/.aws/credentials',
        tls: { host: 'api.example.com', path: '/v1/q?token=qq11ww22' },
        labels: { 'proc.cmdline': 'tool --password hunter2' },
      },
      fp,
    );
    const text = JSON.stringify(e);
    for (const s of ['abcDEF123456ghiJKL', 'qq11ww22', 'hunter2']) expect(text).not.toContain(s);
    expect(e.argv![2]).toMatch(/^Authorization: Bearer \[REDACTED:fp=/);
    expect(e.argv![3]).toBe('http://169.254.169.254/latest/');
    expect(e.path).toBe('/home/dev/.aws/credentials');
    expect(e.tls.host).toBe('api.example.com');
  });
});
