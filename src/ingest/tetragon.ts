/**
 * @module ingest/tetragon: Tetragon JSON export (one GetEventsResponse per line) -> RuntimeEvent.
 *
 * Each line has one event key (process_exec, process_kprobe, ...) plus node_name and time. process_exec
 * lines of older exports carry no top-level time: the exec time is then the process start_time.
 * rate_limit_info and process_throttle say Tetragon dropped or held back events: telemetry_loss.
 */
import type { RuntimeEventInput } from '../model/index.js';
import {
  type MapContext,
  type MapResult,
  REJECT,
  describeJsonType,
  isRecord,
  problem,
  readInt,
  readIsoNs,
  readString,
  runMapper,
  stampEvents,
} from './mapper.js';
import { addHookFields, hookEventType, unsupportedHook } from './tetragon-hooks.js';
import { baseEvent, readTetragonProcess } from './tetragon-process.js';

/** Top-level keys that name a Tetragon event. */
export const TETRAGON_EVENT_KEYS = [
  'process_exec',
  'process_exit',
  'process_kprobe',
  'process_tracepoint',
  'process_lsm',
  'process_uprobe',
  'process_usdt',
  'process_loader',
  'process_throttle',
  'rate_limit_info',
] as const;
export type TetragonEventKey = (typeof TETRAGON_EVENT_KEYS)[number];

/** The single event key of a Tetragon line, or null if there is none or more than one. */
export function tetragonEventKey(obj: Record<string, unknown>): TetragonEventKey | null {
  let found: TetragonEventKey | null = null;
  for (const key of TETRAGON_EVENT_KEYS) {
    if (obj[key] === undefined) continue;
    if (found !== null) return null;
    found = key;
  }
  return found;
}

const SIGNALS = new Map<string, number>([
  ['SIGHUP', 1],
  ['SIGINT', 2],
  ['SIGQUIT', 3],
  ['SIGILL', 4],
  ['SIGTRAP', 5],
  ['SIGABRT', 6],
  ['SIGBUS', 7],
  ['SIGFPE', 8],
  ['SIGKILL', 9],
  ['SIGUSR1', 10],
  ['SIGSEGV', 11],
  ['SIGUSR2', 12],
  ['SIGPIPE', 13],
  ['SIGALRM', 14],
  ['SIGTERM', 15],
  ['SIGCHLD', 17],
  ['SIGCONT', 18],
  ['SIGSTOP', 19],
  ['SIGTSTP', 20],
  ['SIGXCPU', 24],
  ['SIGSYS', 31],
]);

function requireTime(time: bigint | null, fallback: bigint | null = null): bigint {
  const t = time ?? fallback;
  if (t === null) throw problem('time', 'no event time: the line has no `time` (ISO-8601)');
  return t;
}

function lossEvent(host: string, time_ns: bigint, lost: number | null, labels: Record<string, string>): RuntimeEventInput {
  return { type: 'telemetry_loss', source: 'tetragon', host, time_ns, lost_events: lost, labels };
}

function hookLabels(body: Record<string, unknown>, ev: RuntimeEventInput, fn: string): void {
  const labels = ev.labels!;
  labels['tetragon.function'] = fn;
  if (typeof body.action === 'string') labels['tetragon.action'] = body.action;
  if (typeof body.message === 'string') labels['tetragon.message'] = body.message;
  if (Array.isArray(body.tags) && body.tags.length > 0) labels['tetragon.tags'] = body.tags.join(',');
}

function buildEvent(obj: unknown, ctx: MapContext): RuntimeEventInput[] {
  if (!isRecord(obj)) throw problem(undefined, `a Tetragon event is a JSON object, got ${describeJsonType(obj)}`);
  const key = tetragonEventKey(obj);
  if (key === null) {
    throw problem(undefined, `expected exactly one Tetragon event key (${TETRAGON_EVENT_KEYS.join(', ')})`);
  }
  const body = obj[key];
  if (!isRecord(body)) throw problem(key, `expected an object, got ${describeJsonType(body)}`);
  const nodeName = readString(obj.node_name, 'node_name');
  const time = readIsoNs(obj.time, 'time');

  if (key === 'rate_limit_info') {
    const lost = readInt(body.number_of_dropped_process_events, `${key}.number_of_dropped_process_events`) ?? 0;
    return [lossEvent(nodeName || ctx.host || '', requireTime(time), lost, { 'tetragon.notice': key })];
  }
  if (key === 'process_throttle') {
    // Tetragon stops sending a cgroup's exec/exit events between THROTTLE_START and THROTTLE_STOP.
    const labels: Record<string, string> = { 'tetragon.notice': key };
    const kind = readString(body.type, `${key}.type`);
    const cgroup = readString(body.cgroup, `${key}.cgroup`);
    if (kind !== null) labels['tetragon.throttle'] = kind;
    if (cgroup !== null) labels.cgroup = cgroup;
    const ev = lossEvent(nodeName || ctx.host || '', requireTime(time), null, labels);
    ev.cgroup_path = cgroup;
    return [ev];
  }
  if (key === 'process_uprobe' || key === 'process_usdt' || key === 'process_loader') {
    throw problem(key, `Tetragon ${key} events have no RuntimeEvent mapping`, REJECT.unsupported);
  }

  const p = readTetragonProcess(body, key);
  const host = nodeName || p.host || ctx.host || '';
  const policy = readString(body.policy_name, `${key}.policy_name`);

  if (key === 'process_exec') {
    return [baseEvent('process_exec', host, requireTime(time, p.process_start_ns), p, policy)];
  }
  if (key === 'process_exit') {
    const ev = baseEvent('process_exit', host, requireTime(time, readIsoNs(body.time, `${key}.time`)), p, policy);
    ev.exit_code = readInt(body.status, `${key}.status`) ?? 0;
    const sig = readString(body.signal, `${key}.signal`);
    ev.signal = sig === null ? null : (SIGNALS.get(sig) ?? null);
    if (sig !== null) ev.labels!.signal = sig;
    return [ev];
  }

  let fn: string;
  if (key === 'process_tracepoint') {
    const subsys = readString(body.subsys, `${key}.subsys`) ?? '';
    const event = readString(body.event, `${key}.event`) ?? '';
    // Only syscall tracepoints name what they trace: syscalls/sys_enter_openat -> openat.
    const m = subsys === 'syscalls' ? /^sys_(?:enter|exit)_(\w+)$/.exec(event) : null;
    if (!m) unsupportedHook(`${subsys}/${event}`, `${key}.event`);
    fn = m[1]!;
  } else {
    const name = readString(body.function_name, `${key}.function_name`);
    if (name === null) throw problem(`${key}.function_name`, 'missing: the hooked function names the event');
    fn = name;
  }
  const type = hookEventType(fn);
  if (type === undefined) unsupportedHook(fn, key === 'process_tracepoint' ? `${key}.event` : `${key}.function_name`);
  const ev = baseEvent(type, host, requireTime(time), p, policy);
  hookLabels(body, ev, fn);
  return [addHookFields(ev, type, fn, body, key, p.creds)];
}

/** Maps one Tetragon export line (already JSON-parsed). */
export function mapTetragon(obj: unknown, ctx: MapContext): MapResult {
  return runMapper(() => stampEvents(buildEvent(obj, ctx), 'tetragon', ctx));
}
