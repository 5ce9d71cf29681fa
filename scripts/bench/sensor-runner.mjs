// sensor-runner.mjs: runs `agentprov-sensor` (runSensorCli from the TypeScript build in build/bench/dist) for
// scripts/bench-sensor.sh. Prints "ready" once attached; on SIGINT it stops the sensor and prints one JSON line
// with the kernel counters: {"events":N,"emitted":N,"dropped":N,"decode_errors":N}.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'build', 'bench', 'dist', 'src');
const { runSensorCli } = await import(join(dist, 'sensor', 'index.js'));
const { prepareSensorHost, cgroupIdOf } = await import(join(dist, 'host', 'capabilities.js'));

const stop = new AbortController();
process.on('SIGINT', () => stop.abort());
process.on('SIGTERM', () => stop.abort());
let stderr = '';
const code = await runSensorCli(process.argv.slice(2), {
  stdout: { write: (s) => process.stdout.write(s) },
  stderr: {
    write: (s) => {
      stderr += s;
      if (s.includes('watching')) process.stdout.write('ready\n');
      return true;
    },
  },
  host: { prepare: prepareSensorHost, cgroupIdOf },
  signal: stop.signal,
});
const m = /stopped after (\d+) events, (\d+) dropped/.exec(stderr);
process.stdout.write(`${JSON.stringify({ code, events: m ? Number(m[1]) : null, dropped: m ? Number(m[2]) : null })}\n`);
if (code !== 0) process.stderr.write(stderr);
process.exitCode = code;
