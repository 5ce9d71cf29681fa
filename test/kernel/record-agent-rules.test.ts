/**
 * Issue 12 point 4 (one composition): a rule on the agent's registered owner or autonomy fires when its
 * tool call is recorded live (SDK, eBPF), as it already did for ingested telemetry.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRecorder, type Recorder } from '../../src/sdk/index.js';
import { EvidenceStore } from '../../src/store/index.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { describeKernel } from './require-ebpf.js';

const POLICY = `version: 1
name: agent-rules
default_action: audit
rules:
  - id: recommend-only-ran-a-program
    severity: high
    score: 70
    action: alert
    match: { event_type: process_exec, agent_autonomy: recommend-only }
  - id: owned-by-alice
    severity: low
    score: 10
    action: alert
    match: { event_type: process_exec, agent_owner: alice }
`;

describeKernel('record: rules on registered agents', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let recorder: Recorder;
  beforeAll(async () => {
    dir = tempDir('agentprov-agent-rules-');
    data = join(dir.path, 'data');
    const add = await runCli(['agents', 'add', 'coder-1', '--owner', 'alice', '--autonomy', 'recommend-only'], { dataDir: data });
    expect(add.code, add.stderr).toBe(0);
    writeFileSync(join(dir.path, 'policy.yaml'), POLICY);
    recorder = await openRecorder({ dataDir: data, policy: [join(dir.path, 'policy.yaml')] });
  });
  afterAll(async () => {
    await recorder?.close();
    dir?.cleanup();
  });

  it('an exec by a recommend-only agent owned by alice matches both rules', async () => {
    expect(recorder.capture.kind).toBe('ebpf');
    const run = recorder.run({ run_id: 'agent-run', agent_id: 'coder-1' });
    const tc = run.toolCall({ tool_call: 'tc-1', tool_name: 'bash' });
    expect(await tc.spawn('/bin/true', []).exited).toEqual({ code: 0, signal: null });
    await tc.end();
    const store = new EvidenceStore(data, { mustExist: true });
    try {
      const rules = new Set(store.query.risksOfRun('agent-run').map((r) => r.rule_id));
      expect([...rules].sort()).toEqual(['owned-by-alice', 'recommend-only-ran-a-program']);
    } finally {
      store.close();
    }
  });
});
