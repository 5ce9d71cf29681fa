/**
 * @module sensor/sensor-cli: `agentprov-sensor [--all | --cgroup PATH... | --pid N...] [--output store|jsonl:FILE|-]
 * [--policy FILE] [--enforce]`. Runs until SIGINT/SIGTERM (or io.signal), shows a live status line on a TTY,
 * detaches cleanly, and returns the exit code (EXIT_CODES) instead of exiting: src/bin/agentprov-sensor.ts sets
 * process.exitCode. Host access (root/BTF checks, mounts, cgroup ids) and the store sink come in through `io`,
 * so this module needs neither src/host nor the engine.
 */
import { Command, CommanderError, Option } from 'commander';
import { AgentprovError, EXIT_CODES, SensorError } from '../errors.js';
import { JsonlSink, type EventSink } from './event-sink.js';
import { DEFAULT_RING_BYTES, Sensor, type SensorOptions } from './sensor.js';

export interface SensorCliStream {
  write(text: string): unknown;
  isTTY?: boolean;
  fd?: number;
}

/** What the CLI needs from the host (implemented by src/host/capabilities.ts: prepareSensorHost, cgroupIdOf). */
export interface SensorCliHost {
  prepare(): Promise<{ cgroup2Root: string }>;
  cgroupIdOf(path: string): bigint;
}

export interface SensorCliIo {
  stdout: SensorCliStream;
  stderr: SensorCliStream;
  host: SensorCliHost;
  /** `--output store`: the engine + store sink, built by the caller. */
  openStore?: (opts: { policyFile?: string }) => EventSink | Promise<EventSink>;
  /** Aborting it stops the sensor. Default: SIGINT or SIGTERM of this process. */
  signal?: AbortSignal;
  /** Extra start options (tests pass a small ring, an addon). */
  sensorOptions?: Partial<SensorOptions>;
  /** Called once the sensor is attached, e.g. so a scope API can track the cgroups and pids it binds. */
  onStarted?: (sensor: Sensor) => void;
}

interface ParsedArgs {
  all: boolean;
  cgroup: string[];
  pid: number[];
  output: string;
  policy?: string;
  enforce: boolean;
  ringBytes: number;
  queueBytes?: number;
  stopWithin: number;
  tls: boolean;
}

function positiveInt(what: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n === 0) {
    throw new AgentprovError('AP_BAD_ARGS', `${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

const collectPid = (value: string, prev: number[]): number[] => [...prev, positiveInt('--pid', value)];
const ringBytesArg = (value: string): number => positiveInt('--ring-bytes', value);
const queueBytesArg = (value: string): number => positiveInt('--queue-bytes', value);
const stopWithinArg = (value: string): number => (value === '0' ? 0 : positiveInt('--stop-within', value));
/** Of a stop's budget: the share the sensor decodes what is left, and what closing the store needs after. */
const STOP_DECODE_SHARE = 0.3;
const STOP_CLOSE_MS = 500;

function parseArgs(argv: string[], io: SensorCliIo): ParsedArgs {
  const program = new Command('agentprov-sensor')
    .description('eBPF sensor: process, file, network, credential and TLS events, with in-kernel enforcement')
    .option('--all', 'watch every process on the host', false)
    .option('--cgroup <path...>', 'watch processes in these cgroup v2 directories', [])
    .addOption(new Option('--pid <pid...>', 'watch these processes and the children they fork').argParser(collectPid).default([]))
    .option('--output <spec>', 'store | jsonl:FILE | - (JSON lines on stdout)', io.openStore ? 'store' : '-')
    .option('--policy <file>', 'policy file for --output store')
    .option('--enforce', 'attach the enforcement programs (deny lists, quarantine, deny-exec) and act on decisions; connect rules the kernel can decide are refused in the kernel and contained by the ring thread', false)
    .addOption(new Option('--ring-bytes <n>', 'kernel ring buffer size, a power of two').argParser(ringBytesArg).default(DEFAULT_RING_BYTES))
    .addOption(
      new Option('--queue-bytes <n>', 'bytes of records held for decoding while it falls behind (default 512 MiB); past it records are drained from the ring and counted as lost in userspace, by kind')
        .argParser(queueBytesArg),
    )
    .addOption(
      new Option('--stop-within <ms>', 'how long a stop on SIGINT/SIGTERM may take; what is not decoded or stored by then is counted and recorded as telemetry_loss (0: wait for everything)')
        .argParser(stopWithinArg)
        .default(2000),
    )
    .option('--no-tls', 'do not attach TLS uprobes')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  program.parse(argv, { from: 'user' });
  const o = program.opts<ParsedArgs>();
  if (!o.all && o.cgroup.length === 0 && o.pid.length === 0) {
    throw new AgentprovError('AP_BAD_ARGS', 'nothing to watch: pass --all, --cgroup PATH or --pid N');
  }
  if (o.policy !== undefined && o.output !== 'store') throw new AgentprovError('AP_BAD_ARGS', '--policy applies to --output store only');
  return o;
}

async function openSink(o: ParsedArgs, io: SensorCliIo): Promise<EventSink> {
  if (o.output === '-') return new JsonlSink(io.stdout.fd ?? 1);
  if (o.output.startsWith('jsonl:') && o.output.length > 'jsonl:'.length) return new JsonlSink(o.output.slice('jsonl:'.length));
  if (o.output === 'store') {
    if (!io.openStore) throw new AgentprovError('AP_BAD_ARGS', '--output store is not available here: use --output jsonl:FILE or -');
    return io.openStore(o.policy === undefined ? {} : { policyFile: o.policy });
  }
  throw new AgentprovError('AP_BAD_ARGS', `bad --output ${JSON.stringify(o.output)}: use store, jsonl:FILE or -`);
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function describeError(err: unknown): { code: number; text: string } {
  if (err instanceof CommanderError) {
    // help and version are not errors; commander already printed its message
    return { code: err.exitCode === 0 ? 0 : EXIT_CODES.AP_BAD_ARGS, text: '' };
  }
  if (err instanceof AgentprovError) {
    let text = `agentprov-sensor: ${err.message}\n`;
    if (err instanceof SensorError && err.detail) {
      // the verifier log: its tail names the instruction and the reason
      text += `${err.detail.trimEnd().split('\n').slice(-40).join('\n')}\n`;
    }
    return { code: EXIT_CODES[err.code], text };
  }
  return { code: EXIT_CODES.AP_INTERNAL, text: `agentprov-sensor: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n` };
}

/** Runs the sensor until stopped; resolves with the process exit code. Never calls process.exit. */
export async function runSensorCli(argv: string[], io: SensorCliIo): Promise<number> {
  let sensor: Sensor | null = null;
  let sink: EventSink | null = null;
  let status: NodeJS.Timeout | null = null;
  try {
    const o = parseArgs(argv, io);
    const { cgroup2Root } = await io.host.prepare();
    const cgroupPaths = new Map(o.cgroup.map((p) => [io.host.cgroupIdOf(p), p] as const));
    sink = await openSink(o, io);
    const out = sink;
    let events = 0;
    sensor = Sensor.start({
      all: o.all,
      cgroupIds: [...cgroupPaths.keys()],
      cgroupPaths,
      pids: o.pid,
      enforce: o.enforce,
      cgroup2Root,
      ringBytes: o.ringBytes,
      ...(o.queueBytes !== undefined ? { userQueueBytes: o.queueBytes } : {}),
      tls: o.tls,
      onBatch: (batch) => {
        events += batch.length;
        out.processBatch(batch);
      },
      onError: (err) => io.stderr.write(`agentprov-sensor: ${err instanceof Error ? err.message : String(err)}\n`),
      ...io.sensorOptions,
    });
    io.onStarted?.(sensor);
    const what = o.all ? 'all processes' : [...o.cgroup.map((c) => `cgroup ${c}`), ...o.pid.map((p) => `pid ${p}`)].join(', ');
    io.stderr.write(`agentprov-sensor: watching ${what}${o.enforce ? ' (enforcing)' : ''}; output ${o.output}\n`);
    if (io.stderr.isTTY) {
      let last = 0;
      const running = sensor;
      status = setInterval(() => {
        const s = running.stats();
        io.stderr.write(`\r\x1b[K${events - last} events/s  ${events} events  ${s.totalDropped + s.totalUserDropped} dropped`);
        last = events;
      }, 1000);
      status.unref();
    }
    await waitForStop(io.signal);
    if (status) clearInterval(status);
    // stop quiesces the kernel side first: under a storm the ring never reads empty until it does
    const stopAt = performance.now();
    const budget = o.stopWithin === 0 ? null : o.stopWithin;
    await sensor.stop(budget === null ? Number.POSITIVE_INFINITY : budget * STOP_DECODE_SHARE);
    const final = sensor.stats();
    sensor = null;
    const left = budget === null ? undefined : Math.max(100, budget - (performance.now() - stopAt) - STOP_CLOSE_MS);
    await sink.close?.(left === undefined ? {} : { withinMs: left });
    const lost = sink.lost ? `, ${sink.lost} judged and not stored (storage queue full, or the stop's budget)` : '';
    sink = null;
    const counts =
      `${events} events, ${final.totalDropped} dropped in the kernel (ring full), ${final.totalUserDropped} in userspace (queue full), ` +
      `${final.totalStopDropped} not decoded at stop${lost}; every loss is in the output as telemetry_loss`;
    io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[K' : ''}agentprov-sensor: stopped after ${counts}\n`);
    return 0;
  } catch (err) {
    const { code, text } = describeError(err);
    if (text) io.stderr.write(text);
    return code;
  } finally {
    if (status) clearInterval(status);
    if (sensor) await sensor.stop().catch(() => {});
    if (sink) await Promise.resolve(sink.close?.()).catch(() => {});
  }
}
