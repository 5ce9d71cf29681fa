/**
 * `agentprov record` of an agent whose HOME is a sandbox dir (as agent runners set it): with the shipped
 * default policy, reading $HOME/.aws/credentials, a relative .netrc from cd $HOME and `cp` of a private key are
 * risks; reading the public key is not.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { describeKernel } from './require-ebpf.js';

describeKernel('agentprov record with HOME outside /home and /root', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir('agentprov-sandbox-home-');
  });
  afterAll(() => dir?.cleanup());

  it('flags the credential reads and the key copy, not the public key read', async () => {
    const home = join(dir.path, 'x');
    const work = join(dir.path, 'work');
    for (const d of [join(home, '.aws'), join(home, '.ssh'), work]) mkdirSync(d, { recursive: true });
    writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id=fake-for-test\n');
    writeFileSync(join(home, '.ssh', 'id_ed25519'), 'fake private key\n');
    writeFileSync(join(home, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 fake\n');
    writeFileSync(join(home, '.netrc'), 'machine example.com password fake\n');
    const script = 'cat "$HOME/.aws/credentials" > /dev/null; cp "$HOME/.ssh/id_ed25519" ./k; cat "$HOME/.ssh/id_ed25519.pub" > /dev/null; (cd "$HOME" && cat .netrc > /dev/null)';
    const data = join(dir.path, 'data');
    const r = await runCli(['record', '--run', 'home', '--tool-call', 'tc-1', '--tool-name', 'shell', '--workdir', work, '--json', '--', 'sh', '-c', script], {
      dataDir: data,
      env: { HOME: home },
    });
    expect(r.code, r.stderr).toBe(0);

    const timeline = (await runCli(['timeline', '--run', 'home', '--json'], { dataDir: data })).json();
    const risks = (await runCli(['security', 'risks', '--run', 'home', '--json'], { dataDir: data })).json();
    const summaryOf = new Map<string, string>(timeline.items.filter((i: any) => i.kind === 'event').map((i: any) => [i.id, i.summary]));
    const flagged = risks.items.map((x: any) => `${x.rule_id} ${summaryOf.get(x.event_id) ?? x.event_id}`);
    const has = (rule: string, needle: string) => flagged.some((f: string) => f.startsWith(`${rule} `) && f.includes(needle));
    expect(has('secret-file-read', `${home}/.aws/credentials`), flagged.join('\n')).toBe(true);
    expect(has('secret-file-read', `${home}/.ssh/id_ed25519`), flagged.join('\n')).toBe(true); // cp's open of the key
    expect(has('private-key-copy', 'cp '), flagged.join('\n')).toBe(true);
    expect(has('secret-file-read', '.netrc'), flagged.join('\n')).toBe(true);
    expect(flagged.some((f: string) => f.includes('id_ed25519.pub')), flagged.join('\n')).toBe(false);
  });
});
