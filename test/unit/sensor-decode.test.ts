/**
 * decode.ts on records built byte by byte from layout.ts: every kind maps to the right RuntimeEvent fields, and
 * broken input is counted by kind and skipped, never thrown.
 */
import { describe, expect, it } from 'vitest';
import { RuntimeEventSchema } from '../../src/model/index.js';
import { EVENTS_ABI, EventKind, LAYOUT, decodeBatch, newDecodeCounters, type DecodeContext } from '../../src/sensor/index.js';

const T = LAYOUT.ap_task.fields;
const ctx: DecodeContext = { bootOffsetNs: 1_700_000_000_000_000_000n, host: 'h1', cgroupPath: (id) => (id === '4242' ? '/agentprov/run-1' : undefined) };
const CONTAINER = '0123456789abcdef'.repeat(4);

/** One record of `struct` for `kind`, with the header and a task filled in; `fill` writes the rest. */
function record(kind: number, struct: keyof typeof LAYOUT, fill: (b: Buffer) => void, size?: number): Buffer {
  const b = Buffer.alloc(LAYOUT[struct].size);
  b.writeUInt16LE(kind, 0);
  b.writeUInt16LE(EVENTS_ABI, 2);
  b.writeUInt32LE(size ?? b.length, 4);
  b.writeBigUInt64LE(5_000_000_000n, 8);
  const t = 16;
  b.writeBigUInt64LE(4242n, t + T.cgroup_id);
  b.writeBigUInt64LE(1_000_000_000n, t + T.start_ns);
  b.writeBigUInt64LE(500_000_000n, t + T.parent_start_ns);
  b.writeUInt32LE(300, t + T.tgid);
  b.writeUInt32LE(301, t + T.pid);
  b.writeUInt32LE(299, t + T.ppid);
  b.writeUInt32LE(1000, t + T.uid);
  b.writeUInt32LE(0, t + T.euid);
  b.writeUInt32LE(1000, t + T.gid);
  b.writeUInt32LE(4026531836, t + T.pid_ns);
  b.writeUInt32LE(4026531841, t + T.mnt_ns);
  b.write('agent', t + T.comm);
  b.write(`docker-${CONTAINER}.scope`, t + T.cgroup_name);
  fill(b);
  return b.subarray(0, size ?? b.length);
}

function frame(...records: Buffer[]): Buffer {
  return Buffer.concat(records.flatMap((r) => [Buffer.from(Uint32Array.of(r.length).buffer), r]));
}

function decodeOne(rec: Buffer) {
  const counters = newDecodeCounters();
  const events = decodeBatch(frame(rec), ctx, counters);
  expect(counters.errors).toEqual({ short_frame: 0, short_record: 0, bad_size: 0, bad_abi: 0, unknown_kind: 0 });
  expect(events).toHaveLength(1);
  const e = events[0]!;
  expect(RuntimeEventSchema.safeParse(e).error).toBeUndefined();
  return e;
}

describe('decodeBatch', () => {
  it('maps the task fields every event carries', () => {
    const f = LAYOUT.ap_fork_event.fields;
    const e = decodeOne(record(EventKind.FORK, 'ap_fork_event', (b) => b.writeUInt32LE(301, f.parent_tid)));
    expect(e).toMatchObject({
      type: 'process_fork', source: 'agentprov_ebpf', host: 'h1', time_ns: 1_700_000_005_000_000_000n,
      pid: 300, tgid: 300, ppid: 299, uid: 1000, euid: 0, gid: 1000, comm: 'agent', cgroup_id: '4242',
      cgroup_path: '/agentprov/run-1', container_id: CONTAINER, pid_ns: 4026531836, mnt_ns: 4026531841,
      process_start_ns: 1_700_000_001_000_000_000n, parent_start_ns: 1_700_000_000_500_000_000n,
    });
    expect(e.labels).toMatchObject({ tid: '301', parent_tid: '301', cgroup_v1_name: `docker-${CONTAINER}.scope` });
  });

  it('decodes an exec with its argv tail, and flags a cut argv', () => {
    const f = LAYOUT.ap_exec_event.fields;
    const args = Buffer.from('/usr/bin/curl\0-s\0https://x\0');
    const size = f.args + args.length;
    const e = decodeOne(record(EventKind.EXEC, 'ap_exec_event', (b) => {
      b.writeBigUInt64LE(BigInt(args.length), f.args_total);
      b.writeInt32LE(0, f.result);
      b.writeUInt16LE(1, f.syscall);
      b.write('/usr/bin/curl', f.filename);
      b.writeUInt16LE(args.length, f.args_len);
      args.copy(b, f.args);
    }, size));
    expect(e).toMatchObject({ type: 'process_exec', exe: '/usr/bin/curl', argv: ['/usr/bin/curl', '-s', 'https://x'], result: 0, syscall: 'execve' });
    expect(e.labels?.['argv_truncated']).toBeUndefined();
    const cut = decodeOne(record(EventKind.EXEC, 'ap_exec_event', (b) => {
      b.writeBigUInt64LE(5000n, f.args_total);
      b.writeUInt16LE(6, f.args_len);
      b.write('ab\0cde', f.args);
    }, f.args + 6));
    expect(cut.argv).toEqual(['ab', 'cde']);
    expect(cut.labels?.['argv_truncated']).toBe('true');
  });

  it('decodes connect for inet, inet6 and abstract unix sockets', () => {
    const f = LAYOUT.ap_connect_event.fields;
    const v4 = decodeOne(record(EventKind.CONNECT, 'ap_connect_event', (b) => {
      b.writeInt32LE(-115, f.result);
      b.writeUInt16LE(2, f.family);
      b.writeUInt16LE(443, f.port);
      Buffer.from([10, 1, 2, 3]).copy(b, f.addr);
    }));
    expect(v4).toMatchObject({ type: 'network_connect', family: 'inet', dst_ip: '10.1.2.3', dst_port: 443, result: -115 });
    const v6 = decodeOne(record(EventKind.CONNECT, 'ap_connect_event', (b) => {
      b.writeUInt16LE(10, f.family);
      b.writeUInt16LE(8443, f.port);
      b[f.addr + 15] = 1;
    }));
    expect(v6).toMatchObject({ family: 'inet6', dst_ip: '::1', dst_port: 8443 });
    const unix = decodeOne(record(EventKind.CONNECT, 'ap_connect_event', (b) => {
      b.writeUInt16LE(1, f.family);
      b.write('\0agent-bus', f.unix_path);
    }));
    expect(unix).toMatchObject({ family: 'unix', path: '@agent-bus' });
  });

  it('decodes open flags, cred ids, exit status, ptrace, rename, unlink and enforcement', () => {
    const o = LAYOUT.ap_open_event.fields;
    expect(decodeOne(record(EventKind.OPEN, 'ap_open_event', (b) => {
      b.writeBigUInt64LE(BigInt(0o1 | 0o100 | 0o1000), o.flags);
      b.writeInt32LE(3, o.result);
      b.writeInt32LE(-100, o.dfd);
      b.writeUInt16LE(3, o.syscall);
      b.write('/tmp/out', o.path);
    }))).toMatchObject({ type: 'file_open', path: '/tmp/out', open_flags: ['write', 'create', 'truncate'], result: 3, syscall: 'openat' });
    const c = LAYOUT.ap_cred_event.fields;
    const cred = decodeOne(record(EventKind.CRED, 'ap_cred_event', (b) => {
      b.writeInt32LE(-1, c.result);
      b.writeUInt32LE(9, c.syscall);
      b.writeUInt32LE(0xffffffff, c.arg);
      b.writeUInt32LE(0, c.arg + 4);
      b.writeUInt32LE(0xffffffff, c.arg + 8);
      b.writeUInt32LE(1000, c.old_uid);
      b.writeUInt32LE(1000, c.new_uid);
    }));
    expect(cred).toMatchObject({ type: 'privilege_change', syscall: 'setresuid', result: -1, old_uid: 1000, new_uid: 1000 });
    expect(cred.labels?.['requested']).toBe('-1,0,-1');
    const x = LAYOUT.ap_exit_event.fields;
    expect(decodeOne(record(EventKind.EXIT, 'ap_exit_event', (b) => b.writeUInt32LE(3 << 8, x.exit_code)))).toMatchObject({ exit_code: 3, signal: null });
    expect(decodeOne(record(EventKind.EXIT, 'ap_exit_event', (b) => b.writeUInt32LE(9, x.exit_code)))).toMatchObject({ exit_code: null, signal: 9 });
    const p = LAYOUT.ap_ptrace_event.fields;
    expect(decodeOne(record(EventKind.PTRACE, 'ap_ptrace_event', (b) => {
      b.writeBigInt64LE(16n, p.request);
      b.writeUInt32LE(77, p.target_pid);
    }))).toMatchObject({ type: 'ptrace', ptrace_request: 16, target_pid: 77, result: 0 });
    const r = LAYOUT.ap_rename_event.fields;
    expect(decodeOne(record(EventKind.RENAME, 'ap_rename_event', (b) => {
      b.writeUInt16LE(14, r.syscall);
      b.write('/a', r.old_path);
      b.write('/b', r.new_path);
    }))).toMatchObject({ type: 'file_rename', path: '/a', new_path: '/b', syscall: 'renameat2' });
    const u = LAYOUT.ap_unlink_event.fields;
    expect(decodeOne(record(EventKind.UNLINK, 'ap_unlink_event', (b) => {
      b.writeInt32LE(-13, u.result);
      b.write('/etc/x', u.path);
    }))).toMatchObject({ type: 'file_unlink', path: '/etc/x', result: -13 });
    const en = LAYOUT.ap_enforce_event.fields;
    expect(decodeOne(record(EventKind.ENFORCE, 'ap_enforce_event', (b) => {
      b.writeUInt32LE(1, en.action);
      b.writeUInt32LE(7, en.rule);
      b.writeUInt16LE(2, en.family);
      b.writeUInt16LE(80, en.port);
      Buffer.from([127, 0, 0, 2]).copy(b, en.addr);
    }))).toMatchObject({ type: 'enforcement', enforcement_action: 'connect_denied', dst_ip: '127.0.0.2', dst_port: 80 });
  });

  it('turns a TLS record into a tls_request with redacted fields only', () => {
    const f = LAYOUT.ap_tls_event.fields;
    const data = Buffer.from('POST /v1/x HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer sk-abcdefghijklmnopqrstu\r\n\r\n');
    const e = decodeOne(record(EventKind.TLS, 'ap_tls_event', (b) => {
      b.writeInt32LE(data.length, f.result);
      b.writeUInt32LE(data.length, f.bytes);
      b.writeUInt16LE(data.length, f.data_len);
      b[f.func] = 1;
      data.copy(b, f.data);
    }, f.data + data.length));
    expect(e.tls).toEqual({ direction: 'write', bytes: data.length, http2: false, redacted: ['header:authorization', 'key:sk'], method: 'POST', host: 'api.example.com', path: '/v1/x' });
    expect(JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('sk-abc');
  });

  it('counts and skips bad records, and keeps decoding the good ones after them', () => {
    const good = record(EventKind.FORK, 'ap_fork_event', () => {});
    const foreign = Buffer.from(good);
    foreign.writeUInt16LE(EVENTS_ABI + 1, 2);
    const unknown = Buffer.from(good);
    unknown.writeUInt16LE(15, 0);
    const missized = Buffer.from(good);
    missized.writeUInt32LE(good.length + 8, 4);
    const short = good.subarray(0, 10);
    const counters = newDecodeCounters();
    const events = decodeBatch(frame(foreign, unknown, missized, short, good, good.subarray(0, 100)), ctx, counters);
    expect(events).toHaveLength(1);
    // the 100-byte tail says it is 192 bytes: a size mismatch, like missized
    expect(counters.errors).toEqual({ short_frame: 0, short_record: 1, bad_size: 2, bad_abi: 1, unknown_kind: 1 });
    expect(counters.foreignAbi).toBe(EVENTS_ABI + 1);
    const cut = frame(good).subarray(0, 50);
    expect(decodeBatch(cut, ctx, counters)).toEqual([]);
    expect(counters.errors.short_frame).toBe(1);
  });

  it('never throws on random bytes', () => {
    const counters = newDecodeCounters();
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(rand() * 6000);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(rand() * 256);
      if (len >= 8 && rand() < 0.5) {
        b.writeUInt32LE(len - 4, 0); // a valid frame around garbage
        b.writeUInt16LE(1 + Math.floor(rand() * 11), 4);
        b.writeUInt16LE(EVENTS_ABI, 6);
        b.writeUInt32LE(len - 4, 8);
      }
      expect(() => decodeBatch(b, ctx, counters)).not.toThrow();
    }
  });
});
