/** `agentprov agents add|list|show`: what a user registers is what the store keeps and the gate reads. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

describe('agents add|list|show', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());
  const cli = (args: string[]) => runCli(args, { dataDir: dir.path });

  it('registers an agent with owner, tools and autonomy and shows it back', async () => {
    const add = await cli(['agents', 'add', 'coder-1', '--owner', 'alice', '--autonomy', 'act-with-approval', '--tool', 'run_shell', '--tool', 'read_file', '--description', 'repo helper', '--json']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.json()).toMatchObject({ schema_version: 'agentprov.agent/v1', agent_id: 'coder-1', owner: 'alice', autonomy: 'act-with-approval', allowed_tools: ['run_shell', 'read_file'] });
    await cli(['agents', 'add', 'bot-2', '--owner', 'bob', '--autonomy', 'autonomous']);

    const list = (await cli(['agents', 'list', '--json'])).json();
    expect(list.items.map((a: any) => [a.agent_id, a.owner, a.allowed_tools])).toEqual([
      ['bot-2', 'bob', ['*']],
      ['coder-1', 'alice', ['run_shell', 'read_file']],
    ]);
    const show = await cli(['agents', 'show', 'coder-1']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('owner alice');
    expect(show.stdout).toContain('run_shell, read_file');
  });

  it('refuses a second registration unless --replace, and keeps the first registration time', async () => {
    const first = (await cli(['agents', 'add', 'a1', '--owner', 'alice', '--autonomy', 'autonomous', '--json'])).json();
    const again = await cli(['agents', 'add', 'a1', '--owner', 'mallory', '--autonomy', 'autonomous']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already registered (owner alice)');
    const replaced = await cli(['agents', 'add', 'a1', '--owner', 'carol', '--autonomy', 'recommend-only', '--replace', '--json']);
    expect(replaced.code).toBe(0);
    expect(replaced.json()).toMatchObject({ owner: 'carol', autonomy: 'recommend-only', created_at_ns: first.created_at_ns });
  });

  it('rejects an unknown autonomy level and an empty owner, and says a missing agent is missing', async () => {
    const bad = await cli(['agents', 'add', 'a2', '--owner', 'alice', '--autonomy', 'yolo']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('autonomy: one of recommend-only, act-with-approval, autonomous');
    const noOwner = await cli(['agents', 'add', 'a3', '--owner', ' ', '--autonomy', 'autonomous']);
    expect(noOwner.code).toBe(2);
    expect(noOwner.stderr).toContain('human owner');
    await cli(['agents', 'list']);
    const missing = await cli(['agents', 'show', 'nobody']);
    expect(missing.code).toBe(5);
  });
});
