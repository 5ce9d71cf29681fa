/**
 * @module ingest/tetragon-process: the Tetragon `process` / `parent` objects -> RuntimeEvent process fields.
 *
 * Tetragon's JSON export writes 64-bit numbers as strings and omits zero-valued fields (protobuf JSON), so
 * a missing uid is uid 0. exec_id is base64 of "node:ktime:pid": it is decoded to fill a missing pid or
 * ppid and to record a mismatch, never to override what the record says.
 */
import type { RuntimeEventInput } from '../model/index.js';
import { normalizeContainerId } from '../correlate/index.js';
import { describeJsonType, isRecord, problem, readInt, readIsoNs, readString, splitArgs } from './mapper.js';

export interface ExecIdParts {
  node: string;
  ktime: bigint;
  pid: number;
}

const EXEC_ID_TAIL = /:(\d{1,20}):(\d{1,10})$/;

/** Decodes an exec_id ("node:ktime:pid" in base64); null if it is not one. */
export function decodeExecId(execId: string): ExecIdParts | null {
  if (execId.length === 0 || execId.length > 1024) return null;
  const text = Buffer.from(execId, 'base64').toString('utf8');
  const m = EXEC_ID_TAIL.exec(text);
  if (!m || m.index === 0) return null;
  const pid = Number(m[2]);
  if (!Number.isSafeInteger(pid)) return null;
  return { node: text.slice(0, m.index), ktime: BigInt(m[1]!), pid };
}

/** The process part of a Tetragon event, ready to spread into a RuntimeEventInput. */
export interface TetragonProcessFields {
  host: string | null;
  pid: number | null;
  ppid: number | null;
  uid: number;
  exe: string | null;
  argv: string[] | undefined;
  cwd: string | null;
  container_id: string | null;
  process_start_ns: bigint | null;
  parent_start_ns: bigint | null;
  exec_id: string | null;
  parent_exec_id: string | null;
  /** Real and effective ids before an event, from process_credentials (--enable-process-cred) or uid. */
  creds: { uid: number; euid: number; gid: number | null };
  labels: Record<string, string>;
}

function podLabels(pod: Record<string, unknown>, labels: Record<string, string>): void {
  if (typeof pod.namespace === 'string') labels['k8s.ns.name'] = pod.namespace;
  if (typeof pod.name === 'string') labels['k8s.pod.name'] = pod.name;
  if (typeof pod.workload === 'string') labels['k8s.workload'] = pod.workload;
  const c = pod.container;
  if (isRecord(c)) {
    if (typeof c.name === 'string') labels['container.name'] = c.name;
    if (isRecord(c.image) && typeof c.image.name === 'string') labels['container.image'] = c.image.name;
  }
}

/** Reads `<at>.process` (required) and `<at>.parent` (optional); problems name the field by that path. */
export function readTetragonProcess(body: Record<string, unknown>, at: string): TetragonProcessFields {
  const proc = body.process;
  if (!isRecord(proc)) throw problem(`${at}.process`, `expected the process object, got ${describeJsonType(proc)}`);
  const parent = body.parent;
  if (parent !== undefined && parent !== null && !isRecord(parent)) {
    throw problem(`${at}.parent`, `expected an object, got ${describeJsonType(parent)}`);
  }
  const P = `${at}.process.`;
  const labels: Record<string, string> = {};

  const execId = readString(proc.exec_id, `${P}exec_id`);
  const decoded = execId !== null ? decodeExecId(execId) : null;
  let pid = readInt(proc.pid, `${P}pid`);
  if (decoded !== null) {
    if (pid === null) pid = decoded.pid;
    else if (decoded.pid !== pid) labels['tetragon.exec_id_pid'] = String(decoded.pid);
  }

  const parentExecId = readString(proc.parent_exec_id, `${P}parent_exec_id`) ?? (parent ? readString(parent.exec_id, `${at}.parent.exec_id`) : null);
  let ppid = parent ? readInt(parent.pid, `${at}.parent.pid`) : null;
  if (ppid === null && parentExecId !== null) ppid = decodeExecId(parentExecId)?.pid ?? null;

  const binary = readString(proc.binary, `${P}binary`);
  const args = readString(proc.arguments, `${P}arguments`);
  let argv: string[] | undefined;
  if (binary !== null) argv = args !== null && args !== '' ? [binary, ...splitArgs(args)] : [binary];

  // pod.container.id carries the full 64-char id; `docker` only its first 31 characters.
  const pod = proc.pod;
  let containerId: string | null = null;
  if (isRecord(pod)) {
    if (isRecord(pod.container)) containerId = normalizeContainerId(readString(pod.container.id, `${P}pod.container.id`));
    podLabels(pod, labels);
  }
  if (containerId === null) containerId = normalizeContainerId(readString(proc.docker, `${P}docker`));

  const tid = readInt(proc.tid, `${P}tid`);
  if (tid !== null && tid !== pid) labels['tetragon.tid'] = String(tid);
  const auid = readInt(proc.auid, `${P}auid`);
  if (auid !== null) labels.auid = String(auid);
  if (typeof proc.flags === 'string') labels['tetragon.flags'] = proc.flags;

  // Omitted means zero in protobuf JSON: a root process has no uid field at all.
  const uid = readInt(proc.uid, `${P}uid`) ?? 0;
  const pc = proc.process_credentials;
  // process.uid is the effective uid; the real one is known only with process_credentials.
  const creds = isRecord(pc)
    ? {
        uid: readInt(pc.uid, `${P}process_credentials.uid`) ?? 0,
        euid: readInt(pc.euid, `${P}process_credentials.euid`) ?? 0,
        gid: readInt(pc.gid, `${P}process_credentials.gid`) ?? 0,
      }
    : { uid, euid: uid, gid: null };

  return {
    host: decoded?.node ?? null,
    pid,
    ppid,
    uid,
    exe: binary,
    argv,
    cwd: readString(proc.cwd, `${P}cwd`),
    container_id: containerId,
    process_start_ns: readIsoNs(proc.start_time, `${P}start_time`),
    parent_start_ns: parent ? readIsoNs(parent.start_time, `${at}.parent.start_time`) : null,
    exec_id: execId,
    parent_exec_id: parentExecId,
    creds,
    labels,
  };
}

/** The fields common to every Tetragon event, in one fixed order (one object shape for V8). */
export function baseEvent(
  type: RuntimeEventInput['type'],
  host: string,
  time_ns: bigint,
  p: TetragonProcessFields,
  producerRule: string | null,
): RuntimeEventInput {
  const ev: RuntimeEventInput = {
    type,
    source: 'tetragon',
    host,
    time_ns,
    pid: p.pid,
    ppid: p.ppid,
    uid: p.uid,
    exe: p.exe,
    cwd: p.cwd,
    container_id: p.container_id,
    process_start_ns: p.process_start_ns,
    parent_start_ns: p.parent_start_ns,
    exec_id: p.exec_id,
    parent_exec_id: p.parent_exec_id,
    producer_rule: producerRule,
    labels: p.labels,
  };
  if (p.argv !== undefined) ev.argv = p.argv;
  return ev;
}
