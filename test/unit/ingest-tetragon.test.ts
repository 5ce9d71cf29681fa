import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventIdFor } from '../../src/graph/index.js';
import { type MapResult, containerIdsMatch, decodeExecId, hookBaseName, mapTetragon } from '../../src/ingest/index.js';
import { type RuntimeEventInput, RuntimeEventSchema } from '../../src/model/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const ns = (second: string, frac9: string) => BigInt(Date.parse(second)) * 1_000_000n + BigInt(frac9);

function fixtureText(name: string): string {
  return readFileSync(`fixtures/tetragon/${name}.jsonl`, 'utf8').trimEnd();
}

function map(obj: unknown): MapResult {
  return mapTetragon(obj, { line: 1, file: 'tetragon.log', rawSha256: sha(JSON.stringify(obj)) });
}

function mapOne(obj: unknown): RuntimeEventInput {
  const r = map(obj);
  if (!r.ok) throw new Error(`rejected: ${r.code} ${r.field ?? ''} ${r.message}`);
  expect(r.events).toHaveLength(1);
  const parsed = RuntimeEventSchema.safeParse(r.events[0]);
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  return r.events[0]!;
}

const fixture = (name: string) => mapOne(JSON.parse(fixtureText(name)));

describe('mapTetragon on real Tetragon events', () => {
  it('process_exec: pid, parent, binary+arguments, 64-char container id, start times to the ns', () => {
    const text = fixtureText('process-exec');
    const r = mapTetragon(JSON.parse(text), { line: 12, file: 'tetragon.log', rawSha256: sha(text) });
    expect(r.ok).toBe(true);
    const ev = (r as Extract<MapResult, { ok: true }>).events[0]!;
    expect(ev).toMatchObject({
      type: 'process_exec',
      source: 'tetragon',
      host: 'my-node',
      pid: 68790,
      ppid: 68598,
      uid: 0,
      exe: '/usr/bin/netserver',
      argv: ['/usr/bin/netserver', '-D'],
      cwd: '/',
      container_id: '19a02291e106ce6227b684197be232ea57c4e1a5ab2604a12608c325d701c7f4',
      exec_id: 'Z2tlLW1pY2hpLTIyMDM4LWRlZmF1bHQtcG9vbC00MzczMGZhYi1sOHpyOjEzNjY1ODIyNjI0ODU2OjY4Nzkw',
      parent_exec_id: 'Z2tlLW1pY2hpLTIyMDM4LWRlZmF1bHQtcG9vbC00MzczMGZhYi1sOHpyOjEzNjYwNDgwNjUxNTk1OjY4NTk4',
      raw_ref: { file: 'tetragon.log', line: 12, sha256: sha(text) },
      event_id: eventIdFor('tetragon', sha(text)),
    });
    expect(ev.process_start_ns).toBe(ns('2022-10-18T03:16:18Z', '273546829'));
    expect(ev.parent_start_ns).toBe(ns('2022-10-18T03:16:12Z', '931574263'));
    // This export has no top-level time: an exec happens at its process start.
    expect(ev.time_ns).toBe(ev.process_start_ns);
    expect(ev.labels).toMatchObject({ 'k8s.pod.name': 'tiefighter', 'container.name': 'spaceship' });
  });

  it('exec_id decodes to node:ktime:pid', () => {
    expect(decodeExecId('Z2tlLW1pY2hpLTIyMDM4LWRlZmF1bHQtcG9vbC00MzczMGZhYi1sOHpyOjEzNjY1ODIyNjI0ODU2OjY4Nzkw')).toEqual({
      node: 'gke-michi-22038-default-pool-43730fab-l8zr',
      ktime: 13665822624856n,
      pid: 68790,
    });
    expect(decodeExecId('bm90IGFuIGV4ZWMgaWQ=')).toBeNull();
  });

  it('process_exit: an omitted status is exit code 0; time is the event time', () => {
    const ev = fixture('process-exit');
    expect(ev).toMatchObject({ type: 'process_exit', pid: 51583, ppid: 43872, exit_code: 0, signal: null, exe: '/usr/bin/whoami' });
    expect(ev.time_ns).toBe(ns('2022-05-11T12:54:45Z', '616000000'));
    expect(ev.process_start_ns).toBe(ns('2022-05-11T12:54:45Z', '615000000'));
  });

  it('process_exit by signal: the signal number, name kept as a label', () => {
    const ev = fixture('process-exit-signal');
    expect(ev).toMatchObject({ signal: 9, exit_code: 0, uid: 11 });
    expect(ev.labels!.signal).toBe('SIGKILL');
  });

  it('commit_creds: privilege_change from process.uid 11 to credentials uid/euid 0', () => {
    const ev = fixture('kprobe-commit-creds');
    expect(ev).toMatchObject({
      type: 'privilege_change',
      pid: 22386,
      ppid: 22352,
      uid: 11,
      old_uid: 11,
      new_uid: 0,
      new_euid: 0,
      new_gid: 0,
      exe: '/tmp/su',
      syscall: 'commit_creds',
    });
    expect(ev.time_ns).toBe(ns('2023-07-25T12:05:01Z', '410834172'));
  });

  it('security_file_permission: file_open with path, MAY_WRITE mask and policy name', () => {
    const ev = fixture('kprobe-security-file-permission');
    expect(ev).toMatchObject({
      type: 'file_open',
      path: '/etc/passwd',
      open_flags: ['write'],
      result: 0,
      producer_rule: 'file-monitoring',
      exe: '/bin/vi',
      argv: ['/bin/vi', '/etc/passwd'],
    });
  });

  it('tcp_connect: destination from sock_arg; an omitted uid is uid 0', () => {
    const ev = fixture('kprobe-tcp-connect');
    expect(ev).toMatchObject({
      type: 'network_connect',
      uid: 0,
      family: 'inet',
      dst_ip: '169.254.169.254',
      dst_port: 80,
      src_ip: '10.244.0.30',
      src_port: 41822,
      producer_rule: 'network-monitor',
    });
  });

  it('a syscall kprobe with 64-bit numbers written as strings', () => {
    const ev = fixture('kprobe-sys-openat-string-numbers');
    expect(ev).toMatchObject({
      type: 'file_open',
      syscall: 'openat',
      path: '/etc/shadow',
      // long_arg "524288" is O_RDONLY|O_CLOEXEC; return long_arg "-13" is -EACCES.
      open_flags: ['read'],
      result: -13,
      uid: 1000,
      // No pod: the `docker` field's 31-character prefix is the container id.
      container_id: '6b742e38ee3a212239e6d48b2954435',
    });
  });

  it('pid and uid written as strings are numbers', () => {
    const obj = JSON.parse(fixtureText('process-exec'));
    obj.process_exec.process.pid = '68790';
    obj.process_exec.process.uid = '1000';
    expect(mapOne(obj)).toMatchObject({ pid: 68790, uid: 1000 });
  });

  it('a missing pid is recovered from exec_id; a disagreeing one is recorded', () => {
    const obj = JSON.parse(fixtureText('process-exec'));
    delete obj.process_exec.process.pid;
    expect(mapOne(obj).pid).toBe(68790);
    obj.process_exec.process.pid = 1;
    expect(mapOne(obj).labels!['tetragon.exec_id_pid']).toBe('68790');
  });

  it('rate_limit_info is telemetry_loss with the dropped count', () => {
    const ev = fixture('rate-limit-info');
    expect(ev).toMatchObject({ type: 'telemetry_loss', lost_events: 1024, host: 'kind-control-plane' });
  });

  it('Tetragon container ids (64 and 31 chars) match a Falco-style 12-char id', () => {
    const full = fixture('kprobe-tcp-connect').container_id!;
    const docker = JSON.parse(fixtureText('kprobe-tcp-connect')).process_kprobe.process.docker as string;
    expect(full).toHaveLength(64);
    expect(docker).toHaveLength(31);
    expect(containerIdsMatch(full, docker)).toBe(true);
    expect(containerIdsMatch(full.slice(0, 12), docker)).toBe(true);
    expect(containerIdsMatch(full.slice(0, 12), `containerd://${full}`)).toBe(true);
    expect(containerIdsMatch('19a02291e106', full)).toBe(false);
  });

  it('rejects what it cannot map with a clear code and field', () => {
    const uprobe = map(JSON.parse(fixtureText('process-uprobe-unsupported')));
    expect(uprobe).toMatchObject({ ok: false, code: 'AP_UNSUPPORTED', field: 'process_uprobe' });
    const kprobe = JSON.parse(fixtureText('kprobe-tcp-connect'));
    kprobe.process_kprobe.function_name = 'security_bpf_prog';
    expect(map(kprobe)).toMatchObject({ ok: false, code: 'AP_UNSUPPORTED', field: 'process_kprobe.function_name' });
    const tp = JSON.parse(fixtureText('kprobe-tcp-connect'));
    tp.process_tracepoint = { ...tp.process_kprobe, subsys: 'raw_syscalls', event: 'sys_enter' };
    delete tp.process_kprobe;
    expect(map(tp)).toMatchObject({ ok: false, code: 'AP_UNSUPPORTED', field: 'process_tracepoint.event' });
    const noSock = JSON.parse(fixtureText('kprobe-tcp-connect'));
    noSock.process_kprobe.args = [{ int_arg: 3 }];
    expect(map(noSock)).toMatchObject({ ok: false, code: 'AP_SCHEMA', field: 'process_kprobe.args' });
    const badPid = JSON.parse(fixtureText('process-exec'));
    badPid.process_exec.process.pid = { x: 1 };
    expect(map(badPid)).toMatchObject({ ok: false, code: 'AP_SCHEMA', field: 'process_exec.process.pid' });
    expect(map({ process_exec: {}, process_exit: {} })).toMatchObject({ ok: false, code: 'AP_SCHEMA' });
  });

  it('a syscall tracepoint maps like the syscall kprobe', () => {
    const obj = JSON.parse(fixtureText('kprobe-sys-openat-string-numbers'));
    obj.process_tracepoint = { ...obj.process_kprobe, subsys: 'syscalls', event: 'sys_enter_openat' };
    delete obj.process_tracepoint.function_name;
    delete obj.process_kprobe;
    expect(mapOne(obj)).toMatchObject({ type: 'file_open', path: '/etc/shadow', syscall: 'openat' });
  });

  it('drops arch syscall prefixes from hook names', () => {
    expect(['__x64_sys_openat', '__arm64_sys_openat', 'sys_openat', '__sys_openat', 'openat'].map(hookBaseName)).toEqual(
      Array(5).fill('openat'),
    );
    expect(hookBaseName('security_file_permission')).toBe('security_file_permission');
  });
});
