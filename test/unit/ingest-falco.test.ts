import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventIdFor } from '../../src/graph/index.js';
import { type MapResult, isoTextToNs, mapFalco } from '../../src/ingest/index.js';
import { type RuntimeEventInput, RuntimeEventSchema, isoToNs } from '../../src/model/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** Epoch ns computed independently of the mapper: whole seconds via Date.parse plus the 9 digits. */
const ns = (second: string, frac9: string) => BigInt(Date.parse(second)) * 1_000_000n + BigInt(frac9);

function fixture(name: string): { text: string; obj: unknown } {
  const text = readFileSync(`fixtures/falco/${name}.jsonl`, 'utf8').trimEnd();
  return { text, obj: JSON.parse(text) };
}

function mapOne(obj: unknown, text = JSON.stringify(obj), line = 1): RuntimeEventInput {
  const r = mapFalco(obj, { line, file: 'alerts.jsonl', rawSha256: sha(text) });
  if (!r.ok) throw new Error(`rejected: ${r.code} ${r.field ?? ''} ${r.message}`);
  expect(r.events).toHaveLength(1);
  const ev = r.events[0]!;
  // Every mapped event must be a valid RuntimeEvent: mappers build objects without zod on the hot path.
  const parsed = RuntimeEventSchema.safeParse(ev);
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  return ev;
}

function rejected(obj: unknown): Extract<MapResult, { ok: false }> {
  const r = mapFalco(obj, { line: 7, file: 'alerts.jsonl', rawSha256: sha('x') });
  expect(r.ok).toBe(false);
  return r as Extract<MapResult, { ok: false }>;
}

describe('mapFalco on real Falco alerts', () => {
  it('Terminal shell in container: exec, argv split on spaces, 12-char container id, exact ns time', () => {
    const { text, obj } = fixture('terminal-shell-in-container');
    const ev = mapOne(obj, text, 3);
    expect(ev).toMatchObject({
      type: 'process_exec',
      source: 'falco',
      host: 'falco-xczjd',
      comm: 'sh',
      argv: ['sh', '-c', 'clear;', '(bash', '||', 'ash', '||', 'sh)'],
      container_id: 'ee97d9c4186f',
      producer_rule: 'Terminal shell in container',
      producer_priority: 'Critical',
      raw_ref: { file: 'alerts.jsonl', line: 3, sha256: sha(text) },
      event_id: eventIdFor('falco', sha(text)),
    });
    expect(ev.time_ns).toBe(ns('2023-05-25T13:44:05Z', '478445995'));
    // The rule's output named no proc.pid: it stays unknown rather than guessed.
    expect(ev.pid).toBeNull();
    expect(ev.ppid).toBeNull();
    expect(ev.labels).toMatchObject({ 'k8s.pod.name': 'kubecon', 'proc.pname': 'runc', 'proc.tty': '34816' });
    expect(ev.labels!['falco.tags']).toBe('container,mitre_execution,shell');
  });

  it('Read sensitive file untrusted: file_open of /etc/shadow with exe, uid and syscall', () => {
    const { text, obj } = fixture('read-sensitive-file-untrusted');
    const ev = mapOne(obj, text);
    expect(ev).toMatchObject({
      type: 'file_open',
      path: '/etc/shadow',
      exe: '/bin/event-generator',
      comm: 'event-generator',
      argv: ['event-generator', 'run', '--loop'],
      uid: 0,
      syscall: 'openat',
      container_id: '9656db3bb358',
      host: '97ade2b595f0',
      producer_priority: 'Warning',
    });
    expect(ev.time_ns).toBe(1715108059341081180n);
    // evt.time.iso8601 arrives as a JSON number past 2^53: it is rounded, so it must not become a label.
    expect(ev.labels!['evt.time.iso8601']).toBeUndefined();
  });

  it('Run shell untrusted: process_exec with the shell argv', () => {
    const ev = mapOne(fixture('run-shell-untrusted').obj);
    expect(ev).toMatchObject({ type: 'process_exec', exe: '/bin/bash', argv: ['bash', '-c', 'ls', '>', '/dev/null'] });
    expect(ev.time_ns).toBe(ns('2024-05-07T18:54:27Z', '767673017'));
    expect(ev.labels!['proc.pexepath']).toBe('/bin/event-generator');
  });

  it('the syscall event drop alert is telemetry_loss with the drop count, never an attack', () => {
    const ev = mapOne(fixture('syscall-event-drop').obj);
    expect(ev).toMatchObject({
      type: 'telemetry_loss',
      lost_events: 2,
      producer_rule: 'Falco internal: syscall event drop',
      host: '',
    });
    expect(ev.time_ns).toBe(ns('2020-09-14T07:48:46Z', '992595181'));
    expect(ev.pid).toBeUndefined();
  });

  it('outbound connect to the metadata service: the remote end is the destination', () => {
    const ev = mapOne(fixture('contact-ec2-metadata').obj);
    expect(ev).toMatchObject({
      type: 'network_connect',
      pid: 48213,
      ppid: 48190,
      uid: 1000,
      family: 'inet',
      dst_ip: '169.254.169.254',
      dst_port: 80,
      src_ip: '172.17.0.3',
      src_port: 45310,
      exe: '/usr/bin/curl',
      container_id: '3f1c2a9b7d44',
    });
    expect(ev.path).toBeUndefined();
    expect(ev.time_ns).toBe(ns('2024-06-02T09:14:51Z', '204312877'));
  });

  it('a connect that only names fd.name takes both ends from the tuple', () => {
    const ev = mapOne(fixture('outbound-connect-fd-name-only').obj);
    expect(ev).toMatchObject({ dst_ip: '140.82.112.3', dst_port: 443, src_ip: '10.0.0.12', src_port: 52814, family: 'inet' });
  });

  it('a host process: container.id "host" is no container; pid and ppid come through', () => {
    const ev = mapOne(fixture('host-shell-with-pid').obj);
    expect(ev).toMatchObject({ pid: 731002, ppid: 730998, uid: 1001, container_id: null, exe: '/usr/bin/bash' });
    // Two spaces in the command line do not make an empty argument.
    expect(ev.argv).toEqual(['bash', '-c', 'cat', '~/.aws/credentials']);
  });
});

describe('mapFalco type inference and edge cases', () => {
  const base = { rule: 'r', priority: 'Notice', time: '2024-01-01T00:00:00.000000001Z' };
  it.each([
    [{ 'evt.type': 'execveat' }, 'process_exec'],
    [{ 'evt.type': 'open', 'fd.name': '/x' }, 'file_open'],
    [{ 'evt.type': 'renameat2', 'fs.path.source': '/a', 'fs.path.target': '/b' }, 'file_rename'],
    [{ 'evt.type': 'unlinkat', 'evt.arg.name': 'x(/tmp/x)' }, 'file_unlink'],
    [{ 'evt.type': 'setresuid', 'evt.arg.ruid': '0(<NA>)' }, 'privilege_change'],
    [{ 'evt.type': 'ptrace', 'evt.arg.request': 'PTRACE_ATTACH', 'evt.arg.pid': 42 }, 'ptrace'],
    [{ 'evt.type': 'clone' }, 'process_fork'],
    [{ 'evt.type': 'procexit' }, 'process_exit'],
    [{ 'fd.sip': '1.2.3.4', 'fd.sport': 22 }, 'network_connect'],
    [{ 'fd.name': '/etc/passwd' }, 'file_open'],
    [{ 'proc.name': 'x' }, 'process_exec'],
  ])('output_fields %j -> %s', (fields, type) => {
    expect(mapOne({ ...base, output_fields: fields }).type).toBe(type);
  });

  it('maps type-specific fields of rename, unlink, privilege change and ptrace', () => {
    const fields = (f: Record<string, unknown>) => mapOne({ ...base, output_fields: f });
    expect(fields({ 'evt.type': 'renameat2', 'fs.path.source': '/a', 'fs.path.target': '/b' })).toMatchObject({ path: '/a', new_path: '/b' });
    expect(fields({ 'evt.type': 'unlinkat', 'evt.arg.name': 'x(/tmp/x)' }).path).toBe('/tmp/x');
    expect(fields({ 'evt.type': 'setresuid', 'evt.arg.ruid': '0(<NA>)', 'evt.arg.euid': 0, 'user.uid': 1000 })).toMatchObject({ uid: 1000, new_uid: 0, new_euid: 0 });
    expect(fields({ 'evt.type': 'ptrace', 'evt.arg.request': 'PTRACE_ATTACH', 'evt.arg.pid': 42 })).toMatchObject({ ptrace_request: 16, target_pid: 42 });
    expect(fields({ 'evt.type': 'openat', 'fd.name': '/f', 'evt.arg.flags': 'O_WRONLY|O_CREAT|O_TRUNC' }).open_flags).toEqual(['write', 'create', 'truncate']);
  });

  it('without `time`, takes evt.time exactly from a string and marks a rounded JSON number', () => {
    const exact = mapOne({ rule: 'r', priority: 'p', output_fields: { 'evt.time': '1715108059341081180' } });
    expect(exact.time_ns).toBe(1715108059341081180n);
    const rounded = mapOne({ rule: 'r', priority: 'p', output_fields: { 'evt.time': 1715108059341081180 } });
    expect(rounded.time_ns).toBe(BigInt(1715108059341081180));
    expect(rounded.labels!.time_precision).toMatch(/rounded/);
  });

  it('falls back to the context host when the alert names none', () => {
    const r = mapFalco({ ...base, output_fields: {} }, { line: 1, file: 'f', rawSha256: sha('a'), host: 'node-7' });
    expect(r.ok && r.events[0]!.host).toBe('node-7');
  });

  it('rejects wrong types naming the field', () => {
    expect(rejected({ ...base, output_fields: { 'proc.pid': 'abc' } })).toMatchObject({ code: 'AP_SCHEMA', field: 'output_fields.proc.pid' });
    expect(rejected({ ...base, output_fields: { 'fd.sip': '1.1.1.1', 'fd.sport': 70000 } })).toMatchObject({ field: 'output_fields.fd.sport' });
    expect(rejected({ ...base, output_fields: 'x' })).toMatchObject({ field: 'output_fields' });
    expect(rejected({ ...base, rule: 5 })).toMatchObject({ field: 'rule' });
    expect(rejected({ ...base, time: 'yesterday' })).toMatchObject({ field: 'time' });
    expect(rejected({ rule: 'r', output_fields: {} })).toMatchObject({ field: 'time' });
    expect(rejected([1, 2]).message).toMatch(/JSON object, got an array/);
  });
});

describe('mapFalco socket addresses: every form a Falco-shaped producer writes', () => {
  const base = { rule: 'r', priority: 'Notice', time: '2024-01-01T00:00:00.000000001Z' };
  const conn = (f: Record<string, unknown>) => mapOne({ ...base, output_fields: f });
  const ends = (ev: RuntimeEventInput) => ({ type: ev.type, family: ev.family, dst_ip: ev.dst_ip, dst_port: ev.dst_port, src_ip: ev.src_ip, src_port: ev.src_port });

  it('fd.rip + fd.rport as separate fields, numbers or strings', () => {
    const want = { type: 'network_connect', family: 'inet', dst_ip: '169.254.169.254', dst_port: 80, src_ip: null, src_port: null };
    expect(ends(conn({ 'evt.type': 'connect', 'fd.rip': '169.254.169.254', 'fd.rport': 80 }))).toEqual(want);
    expect(ends(conn({ 'evt.type': 'connect', 'fd.rip': '169.254.169.254', 'fd.rport': '80' }))).toEqual(want);
  });

  it('fd.rip written as "ip:port" gives the address and the port (was stored as the whole text)', () => {
    const ev = conn({ 'evt.type': 'connect', 'fd.rip': '169.254.169.254:80', 'fd.lip': '10.0.0.2', 'fd.lport': 40512 });
    expect(ends(ev)).toEqual({ type: 'network_connect', family: 'inet', dst_ip: '169.254.169.254', dst_port: 80, src_ip: '10.0.0.2', src_port: 40512 });
  });

  it('fd.rip written as "[v6]:port"', () => {
    expect(ends(conn({ 'evt.type': 'connect', 'fd.rip': '[fd00:ec2::254]:80' }))).toMatchObject({ family: 'inet6', dst_ip: 'fd00:ec2::254', dst_port: 80 });
  });

  it('a bare IPv6 fd.rip keeps all its groups; the port comes from fd.rport', () => {
    expect(ends(conn({ 'evt.type': 'connect', 'fd.rip': '::1', 'fd.rport': 8080 }))).toMatchObject({ family: 'inet6', dst_ip: '::1', dst_port: 8080 });
  });

  it('fd.name "a:p->b:q" alone, without evt.type, is a connect to b:q (was a file_open of that text)', () => {
    const ev = conn({ 'fd.name': '10.0.0.2:40512->169.254.169.254:80', 'proc.pid': 7 });
    expect(ends(ev)).toEqual({ type: 'network_connect', family: 'inet', dst_ip: '169.254.169.254', dst_port: 80, src_ip: '10.0.0.2', src_port: 40512 });
    expect(ev.path).toBeUndefined();
  });

  it('server side: on an accept, dst is the local address the peer connected to, src the peer', () => {
    // Falco prints fd.name client first on both sides; fd.rip is the remote end, here the client.
    const tuple = { 'evt.type': 'accept4', 'fd.name': '203.0.113.9:51000->10.0.0.9:22' };
    const want = { type: 'network_connect', family: 'inet', dst_ip: '10.0.0.9', dst_port: 22, src_ip: '203.0.113.9', src_port: 51000 };
    expect(ends(conn(tuple))).toEqual(want);
    expect(ends(conn({ 'evt.type': 'accept', 'fd.sip': '10.0.0.9', 'fd.sport': 22, 'fd.cip': '203.0.113.9', 'fd.cport': 51000 }))).toEqual(want);
    expect(ends(conn({ 'evt.type': 'accept', 'fd.rip': '203.0.113.9', 'fd.rport': 51000, 'fd.lip': '10.0.0.9', 'fd.lport': 22 }))).toEqual(want);
    // fd.sip / fd.sport without evt.type: the server end is the destination too.
    expect(ends(conn({ 'fd.sip': '10.0.0.9', 'fd.sport': '22' }))).toMatchObject({ type: 'network_connect', dst_ip: '10.0.0.9', dst_port: 22 });
  });

  it('garbage gives no address: <NA>, empty, a host name, a file path in fd.name', () => {
    const none = { dst_ip: null, dst_port: null, src_ip: null, src_port: null };
    expect(ends(conn({ 'evt.type': 'connect', 'fd.rip': '<NA>', 'fd.rport': '<NA>', 'fd.name': '<NA>' }))).toMatchObject({ ...none, family: null });
    expect(ends(conn({ 'evt.type': 'connect', 'fd.rip': '', 'fd.name': '' }))).toMatchObject(none);
    const host = conn({ 'evt.type': 'connect', 'fd.rip': 'metadata.google.internal:80' });
    expect(ends(host)).toMatchObject(none);
    // The text is kept as evidence, only not as an address.
    expect(host.labels!['fd.rip']).toBe('metadata.google.internal:80');
    const file = conn({ 'evt.type': 'connect', 'fd.name': '/run/app.sock', 'fd.type': 'unix' });
    expect(ends(file)).toMatchObject({ ...none, family: 'unix' });
    expect(conn({ 'fd.name': '/tmp/a->b' })).toMatchObject({ type: 'file_open', path: '/tmp/a->b' });
  });
});

describe('isoTextToNs', () => {
  it('agrees with isoToNs on the fast path and off it', () => {
    const times = [
      '2024-05-07T18:54:19.341081180Z',
      '2024-05-07T18:54:19.341081181Z',
      '2024-05-07T18:54:20.000000000Z',
      '2024-05-07T18:54:19.341Z',
      '2024-05-07T18:54:19Z',
      '2024-05-07T20:54:19.341081180+02:00',
      '1970-01-01T00:00:00.000000001Z',
      '1969-12-31T23:59:59.500000000Z',
      '2024-02-30T00:00:00.000000000Z',
      '2024-05-07T18:54:19.34108118xZ',
      'yesterday',
    ];
    for (const t of [...times, ...times.reverse()]) expect(isoTextToNs(t), t).toBe(isoToNs(t));
  });
});
