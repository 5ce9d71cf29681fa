/** @module cli/sensor-main: composes `agentprov-sensor`: the sensor CLI, the store sink and the scope socket. */
import type { Server } from 'node:net';
import { cgroupIdOf, prepareSensorHost } from '../host/index.js';
import { runSensorCli, type Sensor } from '../sensor/index.js';
import type { ToolCallScope } from '../model/index.js';
import { resolveDataDir } from '../store/index.js';
import { StoreEventSink } from '../service/store-event-sink.js';
import { DEFAULT_SCOPE_SOCKET, listenScopeSocket } from '../daemon/scope-socket.js';
import { processIo } from './io.js';

export async function runSensorMain(argv: string[]): Promise<number> {
  const io = processIo();
  let server: Server | undefined;
  let sensor: Sensor | undefined;
  // A scope bound while the sensor runs in --cgroup/--pid mode must also be watched by the kernel filter.
  const track = (scope: ToolCallScope): void => {
    for (const id of [...scope.own_cgroup_ids, ...scope.cgroup_ids]) sensor?.trackCgroup(BigInt(id));
    for (const p of scope.pids) sensor?.trackPid(p.pid);
  };
  return runSensorCli(argv, {
    onStarted: (s) => {
      sensor = s;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    host: { prepare: prepareSensorHost, cgroupIdOf },
    openStore: async ({ policyFile }) => {
      // --enforce: decisions act through the sensor once it runs (quarantine flag, deny list) and on cgroups.
      const enforceWith = argv.includes('--enforce')
        ? {
            quarantine: (id: bigint, on?: boolean) => sensor?.quarantine(id, on),
            denyCidr: (id: bigint, cidr: string, rule?: number) => sensor?.denyCidr(id, cidr, rule),
          }
        : undefined;
      const sink = new StoreEventSink({
        dataDir: resolveDataDir(undefined, io.env),
        ...(policyFile ? { policyFiles: [policyFile] } : {}),
        now: io.now,
        env: io.env,
        ...(enforceWith ? { enforceWith } : {}),
      });
      const socketPath = io.env.AGENTPROV_SENSOR_SOCKET ?? DEFAULT_SCOPE_SOCKET;
      server = await listenScopeSocket(socketPath, {
        bind: (scope) => {
          const bound = sink.bind(scope);
          track(bound);
          return bound;
        },
      });
      process.stderr.write(`agentprov-sensor: scope API on ${socketPath} (mode 0660); store ${sink.store.dataDir}\n`);
      return {
        processBatch: (events) => sink.processBatch(events),
        get lost() {
          return sink.lost;
        },
        close: async (opts) => {
          server?.close();
          await sink.close(opts?.withinMs !== undefined ? { storeWithinMs: opts.withinMs } : {});
        },
      };
    },
  });
}
