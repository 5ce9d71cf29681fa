/**
 * @module ingest/falco: Falco json_output alerts -> RuntimeEvent.
 *
 * output_fields hold only what the rule's output names, so any field may be missing (proc.pid often is).
 * The type comes from evt.type, else from the fields present. Times come from `time` (ISO, exact to the
 * ns) because JSON.parse rounds evt.time (ns since epoch, > 2^53). Falco's own "syscall event drop" alert
 * is a gap in the timeline (telemetry_loss), never an attack. A socket's ends come from whichever address
 * fields the rule names (see addSocketFields); dst is always the server end.
 */
import type { EventType, RuntimeEventInput } from '../model/index.js';
import { normalizeContainerId } from '../correlate/index.js';
import { EVT_TYPES, MAPPED_FIELDS, PTRACE_REQUESTS, SERVER_SIDE_EVT_TYPES, cleanPath, openFlags } from './falco-fields.js';
import { type Endpoint, parseAddress, parseTuple } from './falco-endpoint.js';
import {
  type MapContext,
  type MapResult,
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

const SOCKET_IP_FIELDS = ['fd.sip', 'fd.rip', 'fd.dip', 'fd.cip', 'fd.lip'];

function inferType(evtType: string | null, of: Record<string, unknown>): EventType {
  if (evtType !== null) {
    const t = EVT_TYPES.get(evtType);
    if (t !== undefined) return t;
  }
  for (const k of SOCKET_IP_FIELDS) if (of[k] != null && of[k] !== '<NA>') return 'network_connect';
  const fdType = of['fd.type'];
  if (fdType === 'ipv4' || fdType === 'ipv6') return 'network_connect';
  const fdName = of['fd.name'];
  if (typeof fdName === 'string' && parseTuple(fdName) !== null) return 'network_connect';
  if (fdName != null) return 'file_open';
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

/** Where each end of a socket is read from, first field first; the tuple of fd.name fills what is missing. */
const CLIENT_SIDE_ENDS = {
  dst: { ips: ['fd.sip', 'fd.rip', 'fd.dip'], ports: ['fd.sport', 'fd.rport', 'fd.dport'] },
  src: { ips: ['fd.cip', 'fd.lip'], ports: ['fd.cport', 'fd.lport'] },
};
/** On an accept the server is the local end and the client the remote one. */
const SERVER_SIDE_ENDS = {
  dst: { ips: ['fd.sip', 'fd.lip'], ports: ['fd.sport', 'fd.lport'] },
  src: { ips: ['fd.cip', 'fd.rip'], ports: ['fd.cport', 'fd.rport'] },
};

/**
 * One end of the socket: the first field that holds an address, the first port field present, else the
 * port written with the address ("ip:port"), else the tuple's end. A value that is no address is kept as a
 * label under its own field name, never as dst_ip/src_ip.
 */
function socketEnd(
  of: Record<string, unknown>,
  keys: { ips: string[]; ports: string[] },
  fromTuple: Endpoint | undefined,
  labels: Record<string, string>,
): { ip: string | null; port: number | null; family: Endpoint['family'] | null } {
  let addr: Endpoint | null = null;
  for (const k of keys.ips) {
    const v = str(of, k);
    if (v === null || v === '') continue;
    addr = parseAddress(v);
    if (addr !== null) break;
    labels[k] = v;
  }
  let port: number | null = null;
  for (const k of keys.ports) {
    port = readIntIn(of[k], F + k, 0, 65535);
    if (port !== null) break;
  }
  if (addr === null) addr = fromTuple ?? null;
  else if (addr.port === null && fromTuple?.ip === addr.ip) addr = fromTuple;
  return { ip: addr?.ip ?? null, port: port ?? addr?.port ?? null, family: addr?.family ?? null };
}

/**
 * dst_* is the server end of the connection, src_* the client end, on either side: for a connect (the
 * agent's own process calling out) the destination is the remote end; for an accept (evt.type accept,
 * accept4) it is the local address the peer connected to, and src is the peer. A policy's dst rules
 * therefore always mean "connections made to this address".
 */
function addSocketFields(ev: RuntimeEventInput, of: Record<string, unknown>, fdName: string | null): void {
  const fdType = of['fd.type'];
  const labels = ev.labels!;
  // A unix socket's fd.name is a path or kernel addresses, not ip:port.
  const tuple = fdType !== 'unix' && fdName !== null ? parseTuple(fdName) : null;
  const ends = SERVER_SIDE_EVT_TYPES.has(ev.syscall ?? '') ? SERVER_SIDE_ENDS : CLIENT_SIDE_ENDS;
  const dst = socketEnd(of, ends.dst, tuple?.server, labels);
  const src = socketEnd(of, ends.src, tuple?.client, labels);
  ev.family = fdType === 'unix' ? 'unix' : fdType === 'ipv6' ? 'inet6' : fdType === 'ipv4' ? 'inet' : (dst.family ?? src.family);
  ev.dst_ip = dst.ip;
  ev.dst_port = dst.port;
  ev.src_ip = src.ip;
  ev.src_port = src.port;
  if (fdName !== null) labels['fd.name'] = fdName;
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
    case 'network_connect':
      addSocketFields(ev, of, fdName);
      return;
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
