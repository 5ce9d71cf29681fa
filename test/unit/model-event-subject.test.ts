import { describe, expect, it } from 'vitest';
import { eventEvidence, eventSubject, eventSubjectText, type RuntimeEvent } from '../../src/model/index.js';
import { foldTlsResponses } from '../../src/service/tls-exchanges.js';

const base = { source: 'agentprov_ebpf', host: 'h', time_ns: 1n } as const;
const ev = (fields: Partial<RuntimeEvent> & Pick<RuntimeEvent, 'type'>): RuntimeEvent => ({ ...base, ...fields }) as RuntimeEvent;

describe('eventSubject / eventSubjectText per event type', () => {
  it('exec: the command with its (already redacted) argv', () => {
    const e = ev({ type: 'process_exec', pid: 12, comm: 'curl', exe: '/usr/bin/curl', argv: ['curl', '-H', 'authorization: [REDACTED]', 'https://x'] });
    expect(eventSubject(e)).toEqual({ path: '/usr/bin/curl' });
    expect(eventSubjectText(e)).toBe('curl[12] exec /usr/bin/curl -H authorization: [REDACTED] https://x');
    expect(eventEvidence(e)).toMatchObject({ type: 'process_exec', pid: 12, exe: '/usr/bin/curl', argv: e.argv });
  });

  it('file events: the path (and new path, open flags, failure)', () => {
    const open = ev({ type: 'file_open', pid: 12, comm: 'cat', path: '/tmp/x/.aws/credentials', open_flags: ['read'], result: 3 });
    expect(eventSubject(open)).toEqual({ path: '/tmp/x/.aws/credentials', open_flags: ['read'] });
    expect(eventSubjectText(open)).toBe('cat[12] open /tmp/x/.aws/credentials read');
    const failed = ev({ type: 'file_open', pid: 12, comm: 'cat', path: '/etc/shadow', open_flags: ['read'], result: -13 });
    expect(eventSubject(failed)).toMatchObject({ path: '/etc/shadow', result: -13 });
    expect(eventSubjectText(failed)).toBe('cat[12] open /etc/shadow read (failed -13)');
    const mv = ev({ type: 'file_rename', pid: 3, comm: 'mv', path: '/a', new_path: '/b' });
    expect(eventSubject(mv)).toEqual({ path: '/a', new_path: '/b' });
    expect(eventSubjectText(ev({ type: 'file_unlink', pid: 3, comm: 'rm', path: '/a' }))).toBe('rm[3] unlink /a');
  });

  it('inet connects: address and port, IPv6 in brackets, host name when known', () => {
    const c = ev({ type: 'network_connect', pid: 7112, comm: 'curl', family: 'inet', dst_ip: '169.254.169.254', dst_port: 80 });
    expect(eventSubject(c)).toEqual({ family: 'inet', dst_ip: '169.254.169.254', dst_port: 80 });
    expect(eventSubjectText(c)).toBe('curl[7112] connect 169.254.169.254:80');
    const v6 = ev({ type: 'network_connect', pid: 1, comm: 'node', family: 'inet6', dst_ip: 'fd00::1', dst_port: 443, result: -101, labels: { dst_host: 'db.internal' } });
    expect(eventSubject(v6)).toMatchObject({ dst_ip: 'fd00::1', dst_port: 443, dst_host: 'db.internal', result: -101 });
    expect(eventSubjectText(v6)).toBe('node[1] connect [fd00::1]:443 (db.internal) (failed -101)');
  });

  it('AF_UNIX connects: the socket path or @abstract name, from the event or from Falco fd.name', () => {
    const sock = ev({ type: 'network_connect', pid: 9, comm: 'docker', family: 'unix', path: '/run/docker.sock' });
    expect(eventSubject(sock)).toEqual({ family: 'unix', path: '/run/docker.sock' });
    expect(eventSubjectText(sock)).toBe('docker[9] connect unix:/run/docker.sock');
    expect(eventSubjectText(ev({ type: 'network_connect', pid: 9, comm: 'x', family: 'unix', path: '@/tmp/.X11-unix/X0' }))).toBe(
      'x[9] connect unix:@/tmp/.X11-unix/X0',
    );
    const falco = ev({ type: 'network_connect', source: 'falco', pid: 9, comm: 'x', family: 'unix', dst_ip: null, labels: { 'fd.name': 'ffff9a01->ffff9a02 /var/run/docker.sock' } });
    expect(eventSubject(falco)).toEqual({ family: 'unix', path: '/var/run/docker.sock' });
    expect(eventSubjectText(ev({ type: 'network_connect', pid: 9, comm: 'x', family: 'unix' }))).toBe('x[9] connect unix:?');
  });

  it('privilege changes: old and new ids', () => {
    const su = ev({ type: 'privilege_change', pid: 5, comm: 'sudo', syscall: 'setuid', old_uid: 1000, new_uid: 0, old_euid: 1000, new_euid: 0 });
    expect(eventSubject(su)).toMatchObject({ syscall: 'setuid', old_uid: 1000, new_uid: 0, old_euid: 1000, new_euid: 0 });
    expect(eventSubjectText(su)).toBe('sudo[5] setuid uid 1000 -> 0');
    const seteuid = ev({ type: 'privilege_change', pid: 5, comm: 'p', syscall: 'setresuid', old_uid: 1000, new_uid: 1000, old_euid: 1000, new_euid: 0 });
    expect(eventSubjectText(seteuid)).toBe('p[5] setresuid uid 1000 -> 1000, euid 1000 -> 0');
    const gid = ev({ type: 'privilege_change', pid: 5, comm: 'p', syscall: 'setgid', old_gid: 100, new_gid: 0, old_uid: 1000, new_uid: 1000 });
    expect(eventSubjectText(gid)).toBe('p[5] setgid gid 100 -> 0');
  });

  it('ptrace: the target pid', () => {
    const p = ev({ type: 'ptrace', pid: 4, comm: 'gdb', ptrace_request: 16, target_pid: 88 });
    expect(eventSubject(p)).toEqual({ target_pid: 88, ptrace_request: 16 });
    expect(eventSubjectText(p)).toBe('gdb[4] ptrace request 16 target pid 88');
  });

  it('TLS: method, host and path of a request; status of a response; size of anything else', () => {
    const req = ev({ type: 'tls_request', pid: 2, comm: 'python3', tls: { direction: 'write', method: 'POST', host: 'api.openai.com', path: '/v1/chat/completions' } });
    expect(eventSubject(req)).toEqual({ tls_direction: 'write', tls_method: 'POST', tls_host: 'api.openai.com', tls_path: '/v1/chat/completions' });
    expect(eventSubjectText(req)).toBe('python3[2] TLS POST https://api.openai.com/v1/chat/completions');
    const res = ev({ type: 'tls_request', pid: 2, comm: 'python3', tls: { direction: 'read', bytes: 900 }, labels: { http_status: '200' } });
    expect(eventSubject(res)).toEqual({ tls_direction: 'read', http_status: 200 });
    expect(eventSubjectText(res)).toBe('python3[2] TLS response 200');
    expect(eventSubjectText(ev({ type: 'tls_request', pid: 2, comm: 'c', tls: { direction: 'read', bytes: 12, http2: true } }))).toBe(
      'c[2] TLS read 12 bytes (HTTP/2)',
    );
  });

  it('dns, enforcement, telemetry loss, and a redacted event shown as its stand-in', () => {
    expect(eventSubjectText(ev({ type: 'dns_query', pid: 1, comm: 'dig', dns_query: 'example.com' }))).toBe('dig[1] DNS example.com');
    const enf = ev({ type: 'enforcement', pid: 1, comm: 'curl', enforcement_action: 'connect_denied', enforcement_reason: 'rule 3', dst_ip: '10.0.0.5', dst_port: 5432 });
    expect(eventSubject(enf)).toMatchObject({ enforcement_action: 'connect_denied', dst_ip: '10.0.0.5', dst_port: 5432 });
    expect(eventSubjectText(ev({ type: 'telemetry_loss', lost_events: 26022 }))).toBe('telemetry gap: 26022 events lost by agentprov_ebpf');
    const masked = ev({ type: 'file_open', pid: 8, labels: { 'agentprov.redacted': 'abc', 'agentprov.redacted_seq': '4' } });
    expect(eventSubjectText(masked)).toBe('?[8] file_open (content redacted)');
  });
});

describe('foldTlsResponses', () => {
  const tls = (id: string, pid: number, ssl: string, t: RuntimeEvent['tls'], labels: Record<string, string> = {}) =>
    ev({ type: 'tls_request', event_id: id.padEnd(64, '0'), pid, tls: t, labels: { ssl, ...labels } });

  it('puts the response on the line of the request before it on the same connection, and only there', () => {
    const lines = foldTlsResponses([
      tls('a', 2, '0x1', { direction: 'write', method: 'POST', host: 'h', path: '/p' }),
      tls('b', 3, '0x9', { direction: 'write', method: 'GET', host: 'other', path: '/' }),
      tls('c', 2, '0x1', { direction: 'read' }, { http_status: '201' }),
      tls('d', 2, '0x1', { direction: 'read' }),
      tls('e', 4, '0x4', { direction: 'read' }, { http_status: '200' }),
    ]);
    expect(lines.map((l) => [l.event.event_id!.slice(0, 1), l.response, l.folded.map((f) => f.slice(0, 1))])).toEqual([
      ['a', '201', ['c', 'd']],
      ['b', null, []],
      ['e', null, []], // a read with no request before it on its connection stays on its own line
    ]);
  });

  it('a second request on a kept-alive connection takes the responses after it', () => {
    const lines = foldTlsResponses([
      tls('a', 2, '0x1', { direction: 'write', method: 'GET', host: 'h', path: '/1' }),
      tls('b', 2, '0x1', { direction: 'read' }, { http_status: '200' }),
      tls('c', 2, '0x1', { direction: 'write', method: 'GET', host: 'h', path: '/2' }),
      tls('d', 2, '0x1', { direction: 'read' }, { http_status: '404' }),
    ]);
    expect(lines.map((l) => l.response)).toEqual(['200', '404']);
  });
});
