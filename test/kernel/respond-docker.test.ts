/**
 * A real dockerd (scripts/setup-docker.sh installs docker.io, starts it and builds agentprov-busybox:test with
 * `docker import`): a container that reads a secret path is seen by the sensor, the policy quarantines it,
 * and the responder pauses it through dockerode; the record names the container. Manual release and kill
 * through `agentprov respond --container` follow.
 */
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cgroupIdAt, ownCgroup2Dir } from '../../src/host/index.js';
import { DockerControl } from '../../src/respond/index.js';
import { responsesOfRun } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { describeKernel } from './require-ebpf.js';
import { startPipeline, until, type Pipeline } from './respond-harness.js';

const IMAGE = 'agentprov-busybox:test';
const POLICY = `
version: 1
name: docker-test
rules:
  - id: container-secret-read
    severity: critical
    action: quarantine
    match:
      event_type: file_open
      path_glob: /secrets/**
`;

describeKernel('respond: Docker container', () => {
  let p: Pipeline;
  let docker: Docker;
  let container: Docker.Container | null = null;
  beforeAll(async () => {
    // Installs and starts dockerd when missing; a no-op when it already runs with the image.
    execFileSync('bash', ['scripts/setup-docker.sh'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
    docker = new Docker({ socketPath: '/var/run/docker.sock' });
    p = await startPipeline('docker', POLICY, { sensor: { enforce: false }, docker: new DockerControl() });
  }, 620_000);
  afterAll(async () => {
    await container?.remove({ force: true }).catch(() => {});
    await p?.close();
  });

  it('pauses a container that reads a secret path, through dockerode, and names it in the record', async () => {
    const name = `ap-secret-${process.pid}`;
    container = await docker.createContainer({
      Image: IMAGE,
      name,
      Cmd: ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done; cat /secrets/api-token; sleep 600'],
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    const info = await container.inspect();
    const dir = ownCgroup2Dir(info.State.Pid);
    expect(dir, 'the container has a cgroup v2 directory').not.toBeNull();
    p.sensor!.trackCgroup(BigInt(cgroupIdAt(dir!)!), `/docker/${info.Id}`);
    p.bind({ run_id: 'rd', tool_call_id: 'tc-docker', container_ids: [info.Id] });

    const exec = await container.exec({ Cmd: ['sh', '-c', 'echo > /tmp/go'] });
    await exec.start({ Detach: true });
    await until('the container to be paused', () => {
      const r = responsesOfRun(p.store.db, 'rd').find((x) => x.action === 'quarantine');
      return r !== undefined && r.result !== 'planned';
    }, 15_000);
    await p.live.settled();
    const state = (await container.inspect()).State;
    expect(state.Paused, JSON.stringify(responsesOfRun(p.store.db, "rd"), (_k, v) => (typeof v === "bigint" ? String(v) : v), 1)).toBe(true);
    const q = responsesOfRun(p.store.db, 'rd').find((x) => x.action === 'quarantine')!;
    expect(q).toMatchObject({ result: 'done', target_kind: 'container', target: info.Id, tool_call_id: 'tc-docker' });
    expect(q.detail).toContain(`container ${name} (${info.Id.slice(0, 12)})`);
    expect(q.detail).toContain('docker pause: paused');
    expect(q.latency_ns).toBeGreaterThan(0n);

    const cli = (args: string[]) => runCli(args, { dataDir: p.dataDir });
    const release = await cli(['respond', 'release', '--container', name, '--json']);
    expect(release.code, release.stderr).toBe(0);
    expect(release.json().items[0]).toMatchObject({ action: 'release', target: info.Id, result: 'done', run_id: 'rd' });
    expect((await container.inspect()).State.Paused).toBe(false);

    const kill = await cli(['respond', 'kill', '--container', name, '--json']);
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.json().items[0].detail).toContain(`docker kill container ${name}`);
    expect((await container.inspect()).State.Running).toBe(false);
    const again = await cli(['respond', 'kill', '--container', name, '--json']);
    expect(again.json().items[0].detail).toContain('not running');
  });
});
