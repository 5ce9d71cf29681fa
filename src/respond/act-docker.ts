/**
 * @module respond/act-docker: a container through the Docker Engine API: pause/unpause, kill, and quarantine
 * (network disconnect + pause, plus the sensor's flag on the container's cgroup v2 when a sensor runs here).
 * Docker calls are asynchronous: the synchronous step only starts them (`planned`); `confirmed` says how they ended.
 */
import { cgroupIdAt, ownCgroup2Dir } from '../host/index.js';
import { setQuarantineFlag, type ActContext } from './act-cgroup.js';
import type { DockerPort } from './docker-control.js';
import { settledEffect, type ContainmentState, type Effect, type Outcome } from './effect.js';
import type { ResponseTarget, ResponseVerb } from './target.js';

type Container = Extract<ResponseTarget, { kind: 'container' }>;

const OP: Record<ResponseVerb, string> = {
  kill: 'kill',
  freeze: 'pause',
  quarantine: 'network disconnect + pause',
  thaw: 'unpause',
  release: 'unpause + network reconnect',
};

export function actContainer(
  verb: ResponseVerb,
  t: Container,
  ctx: ActContext & { docker: DockerPort | null },
  prior: ContainmentState | null = null,
): Effect {
  const docker = ctx.docker;
  if (docker === null) return settledEffect(verb, t, 'failed', `no Docker connection in this responder: cannot ${OP[verb]} container ${t.id}`, null);
  if (ctx.dryRun) return settledEffect(verb, t, 'dry_run', `dry run: would docker ${OP[verb]} container ${t.id.slice(0, 12)}`, null);
  const confirmed = (async (): Promise<Outcome> => {
    const info = await docker.inspect(t.id);
    if (info === null) return { result: 'skipped', detail: `no container ${t.id} (removed?)`, at_ns: null };
    t.name = info.name;
    const who = `container ${info.name} (${info.id.slice(0, 12)})`;
    const done = (detail: string, state?: ContainmentState): Outcome => ({ result: 'done', detail, at_ns: ctx.clock(), ...(state ? { state } : {}) });
    switch (verb) {
      case 'kill':
        return done(`docker kill ${who}: ${await docker.kill(info.id)}`);
      case 'freeze':
        return done(`docker pause ${who}: ${await docker.pause(info.id)}`);
      case 'thaw':
        return done(`docker unpause ${who}: ${await docker.unpause(info.id)}`);
      case 'quarantine': {
        const state: ContainmentState = { networks: [] };
        const parts: string[] = [];
        if (ctx.sensor && info.pid > 0) {
          const dir = ownCgroup2Dir(info.pid);
          const id = dir === null ? null : cgroupIdAt(dir);
          if (id !== null) {
            const flag = setQuarantineFlag(ctx, id, true);
            if (flag.ok) state.sensor_cgroup_id = id;
            parts.push(flag.detail);
          }
        }
        // Disconnect before pausing: the network calls need the container's namespace to answer.
        for (const n of info.networks) {
          await docker.disconnect(info.id, n);
          state.networks!.push(n);
        }
        parts.push(info.networks.length > 0 ? `disconnected from ${info.networks.join(', ')}` : 'attached to no network');
        parts.push(`docker pause: ${await docker.pause(info.id)}`);
        return done(`quarantined ${who}: ${parts.join('; ')}`, state);
      }
      case 'release': {
        const parts = [`docker unpause: ${await docker.unpause(info.id)}`];
        for (const n of prior?.networks ?? []) await docker.connect(info.id, n);
        if (prior?.networks?.length) parts.push(`reconnected to ${prior.networks.join(', ')}`);
        if (prior?.sensor_cgroup_id) parts.push(setQuarantineFlag(ctx, prior.sensor_cgroup_id, false).detail);
        return done(`released ${who}: ${parts.join('; ')}`);
      }
    }
  })().catch((err: unknown): Outcome => ({ result: 'failed', detail: (err as Error).message ?? String(err), at_ns: null }));
  return { verb, target: t, result: 'planned', detail: `docker ${OP[verb]} of container ${t.id.slice(0, 12)} requested`, acted_ns: ctx.clock(), confirmed };
}
