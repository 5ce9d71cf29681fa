/**
 * @module ingest/falco: Falco json_output alerts -> RuntimeEvent.
 *
 * output_fields hold only what the rule's output names, so any field may be missing (proc.pid often is).
 * The type comes from evt.type, else from the fields present. Times come from `time` (ISO, exact to the
 * ns) because JSON.parse rounds evt.time (ns since epoch, > 2^53). Falco's own "syscall event drop" alert
 * is a gap in the timeline (telemetry_loss), never an attack.
 */
import type { EventType, RuntimeEventInput } from '../model/index.js';
import { normalizeContainerId } from '../correlate/index.js';
import { EVT_TYPES, MAPPED_FIELDS, PTRACE_REQUESTS, cleanPath, openFlags, parseTuple } from './falco-fields.js';
import {
  type MapContext,
  type MapResult,
  familyOf,
  isRecord,
  isoTextToNs,
  leadingInt,
  problem,
  readInt,
  readIntIn,
  readIsoNs,
  readString,
  runMapper,
  splitArgs,
  stampEvents,
  describeJsonType,
} from './mapper.js';

export const FALCO_DROP_RULE = 'Falco internal: syscall event drop';

const F = 'output_fields.';

function str(of: Record<string, unknown>, key: string): string | null {
  return readString(of[key], F + key);
}

/** The first of `keys` with a value (the last one if none has), so a problem names the field it read. */
function firstKey(of: Record<string, unknown>, ...keys: string[]): string {
  for (const k of keys) if (of[k] != null && of[k] !== '<NA>') return k;
  return keys[keys.length - 1]!;
}

/** `time` if it is there (exact), else evt.time / evt.rawtime, which JSON.parse may have rounded. */
function alertTime(obj: Record<string, unknown>, of: Record<string, unknown>, labels: Record<string, string>): bigint {
  const iso = readIsoNs(obj.time, 'time');
  if (iso !== null) return iso;
  for (const key of ['evt.time', 'evt.rawtime', 'evt.time.iso8601']) {
    const v = of[key];
    if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v);
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
      if (!Number.isSafeInteger(v)) labels.time_precision = 'rounded by JSON number (no `time` field)';
      return BigInt(v);
    }
    if (typeof v === 'string') {
      const ns = isoTextToNs(v);
      if (ns !== null) return ns;
    }
  }
  throw problem('time', 'no event time: neither `time` (ISO-8601) nor output_fields evt.time is present');
}

function inferType(evtType: string | null, of: Record<string, unknown>): EventType {
  if (evtType !== null) {
    const t = EVT_TYPES.get(evtType);
    if (t !== undefined) return t;
  }
  if (of['fd.sip'] != null || of['fd.rip'] != null || of['fd.dip'] != null) return 'network_connect';
  if (of['fd.name'] != null) return 'file_open';
  return 'process_exec';
}

function collectLabels(obj: Record<string, unknown>, of: Record<string, unknown>, labels: Record<string, string>): void {
  for (const key in of) {
    if (MAPPED_FIELDS.has(key)) continue;
    const v = of[key];
    if (typeof v === 'string') {
      if (v !== '<NA>') labels[key] = v;
    } else if (typeof v === 'number') {
      // An integer past 2^53 was already rounded by JSON.parse: better absent than wrong.
      if (Number.isSafeInteger(v) || !Number.isInteger(v)) labels[key] = String(v);
    } else if (typeof v === 'boolean') labels[key] = v ? 'true' : 'false';
  }
  const tags = obj.tags;
  if (Array.isArray(tags) && tags.length > 0) labels['falco.tags'] = tags.join(',');
  if (typeof obj.source === 'string') labels['falco.source'] = obj.source;
}

function dropAlert(obj: Record<string, unknown>, of: Record<string, unknown>, host: string): RuntimeEventInput {
  const labels: Record<string, string> = {};
  const time_ns = alertTime(obj, of, labels);
  collectLabels(obj, of, labels);
  const lost = readIntIn(of.n_drops, `${F}n_drops`, 0, Number.MAX_SAFE_INTEGER);
  return {
    type: 'telemetry_loss',
    source: 'falco',
    host,
    time_ns,
    lost_events: lost,
    producer_rule: obj.rule as string,
    producer_priority: typeof obj.priority === 'string' ? obj.priority : null,
    labels,
  };
}

function buildEvent(obj: unknown, ctx: MapContext): RuntimeEventInput[] {
  if (!isRecord(obj)) throw problem(undefined, `a Falco alert is a JSON object, got ${describeJsonType(obj)}`);
  const rule = obj.rule;
  if (typeof rule !== 'string') throw problem('rule', `expected the Falco rule name (a string), got ${describeJsonType(rule)}`);
  const priority = readString(obj.priority, 'priority');
  let of = obj.output_fields;
  if (of === undefined || of === null) of = {};
  else if (!isRecord(of)) throw problem('output_fields', `expected an object, got ${describeJsonType(of)}`);
  const fields = of as Record<string, unknown>;
  const host = readString(obj.hostname, 'hostname') || ctx.host || '';
  if (rule === FALCO_DROP_RULE) return [dropAlert(obj, fields, host)];

  const labels: Record<string, string> = {};
  const time_ns = alertTime(obj, fields, labels);
  const evtType = str(fields, 'evt.type');
  const type = inferType(evtType, fields);
  const cmdline = str(fields, 'proc.cmdline');
  const comm = str(fields, 'proc.name');
  const exepath = str(fields, 'proc.exepath');
  const exe0 = exepath === null ? str(fields, 'proc.exe') : null;
  let argv: string[] | undefined;
  if (cmdline !== null) argv = splitArgs(cmdline);
  else {
    const args = str(fields, 'proc.args');
    if (args !== null && comm !== null) argv = [comm, ...splitArgs(args)];
  }
  const ev: RuntimeEventInput = {
    type,
    source: 'falco',
    host,
    time_ns,
    pid: readInt(fields['proc.pid'], `${F}proc.pid`),
    ppid: readInt(fields['proc.ppid'], `${F}proc.ppid`),
    uid: readInt(fields['user.uid'], `${F}user.uid`),
    gid: readInt(fields['group.gid'], `${F}group.gid`),
    comm,
    exe: exepath ?? (exe0 !== null && exe0.startsWith('/') ? exe0 : null),
    cwd: str(fields, 'proc.cwd'),
    container_id: normalizeContainerId(str(fields, 'container.id')),
    syscall: evtType,
    result: readInt(fields['evt.rawres'], `${F}evt.rawres`),
    producer_rule: rule,
    producer_priority: priority,
    labels,
  };
  // Added, never deleted: `delete` would turn the object into a slow dictionary.
  if (argv !== undefined) ev.argv = argv;
  addTypeFields(ev, type, fields);
  collectLabels(obj, fields, labels);
  return [ev];
}

function addTypeFields(ev: RuntimeEventInput, type: EventType, of: Record<string, unknown>): void {
  const fdName = str(of, 'fd.name');
  switch (type) {
    case 'file_open': {
      ev.path = cleanPath(fdName);
      const flags = openFlags(of);
      if (flags !== undefined) ev.open_flags = flags;
      return;
    }
    case 'network_connect': {
      // The remote end of a connect is its destination; fd.sip is the server, which is the remote here too.
      const ipKey = firstKey(of, 'fd.rip', 'fd.dip', 'fd.sip');
      const portKey = firstKey(of, 'fd.rport', 'fd.dport', 'fd.sport');
      const srcPortKey = firstKey(of, 'fd.lport', 'fd.cport');
      let dstIp = str(of, ipKey);
      let dstPort = readIntIn(of[portKey], F + portKey, 0, 65535);
      let srcIp = str(of, firstKey(of, 'fd.lip', 'fd.cip'));
      let srcPort = readIntIn(of[srcPortKey], F + srcPortKey, 0, 65535);
      const fdType = of['fd.type'];
      // A unix socket's fd.name is a path or kernel addresses, not ip:port.
      const tuple = fdType !== 'unix' && (dstIp === null || srcIp === null) && fdName !== null ? parseTuple(fdName) : null;
      if (tuple?.remote && dstIp === null) ({ ip: dstIp, port: dstPort } = tuple.remote);
      if (tuple?.local && srcIp === null) ({ ip: srcIp, port: srcPort } = tuple.local);
      ev.family = fdType === 'unix' ? 'unix' : fdType === 'ipv6' ? 'inet6' : fdType === 'ipv4' ? 'inet' : familyOf(dstIp);
      ev.dst_ip = dstIp;
      ev.dst_port = dstPort;
      ev.src_ip = srcIp;
      ev.src_port = srcPort;
      if (fdName !== null) ev.labels!['fd.name'] = fdName;
      return;
    }
    case 'file_rename':
      ev.path = cleanPath(str(of, 'fs.path.source') ?? str(of, 'evt.arg.oldpath') ?? fdName);
      ev.new_path = cleanPath(str(of, 'fs.path.target') ?? str(of, 'evt.arg.newpath'));
      return;
    case 'file_unlink':
      ev.path = cleanPath(str(of, 'fs.path.name') ?? str(of, 'evt.arg.path') ?? str(of, 'evt.arg.name') ?? fdName);
      return;
    case 'privilege_change':
      ev.new_uid = leadingInt(of['evt.arg.uid'] ?? of['evt.arg.ruid']);
      ev.new_euid = leadingInt(of['evt.arg.euid']);
      ev.new_gid = leadingInt(of['evt.arg.gid'] ?? of['evt.arg.rgid']);
      return;
    case 'ptrace': {
      const req = of['evt.arg.request'];
      ev.ptrace_request = leadingInt(req) ?? (typeof req === 'string' ? (PTRACE_REQUESTS.get(req) ?? null) : null);
      ev.target_pid = leadingInt(of['evt.arg.pid']);
      return;
    }
    case 'process_exit':
      ev.exit_code = leadingInt(of['evt.arg.ret'] ?? of['evt.arg.status']);
      ev.signal = leadingInt(of['evt.arg.sig']);
      return;
    case 'process_fork':
      ev.target_pid = leadingInt(of['evt.rawres']);
      return;
    default:
      if (fdName !== null) ev.labels!['fd.name'] = fdName;
  }
}

/** Maps one Falco alert (already JSON-parsed). */
export function mapFalco(obj: unknown, ctx: MapContext): MapResult {
  return runMapper(() => stampEvents(buildEvent(obj, ctx), 'falco', ctx));
}
