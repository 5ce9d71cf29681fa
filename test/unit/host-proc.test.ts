import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clockTicksPerSecond,
  listAllPids,
  openFlagsFromFdFlags,
  parseHexAddress,
  parseNetTable,
  parseProcStat,
  parseProcStatus,
  pollUntil,
  readCmdline,
  readCwd,
  readExe,
  readFdFlags,
  readFds,
  readNamespaces,
  readNetSockets,
  readProcStat,
  readStatus,
  signalPid,
  socketInode,
} from '../../src/host/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'ap-proc-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** The pid of a process that has exited and been reaped. */
async function gonePid(): Promise<number> {
  const c = spawn('true');
  await new Promise((r) => c.on('exit', r));
  return c.pid!;
}

describe('/proc readers on real processes', () => {
  it('reads this process stat: ppid, state, boot-relative start time', () => {
    const st = readProcStat(process.pid)!;
    expect(st.pid).toBe(process.pid);
    expect(st.ppid).toBe(process.ppid);
    expect(st.kthread).toBe(false);
    const uptimeNs = BigInt(Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1e9));
    expect(st.start_ns).toBeGreaterThan(0n);
    expect(st.start_ns).toBeLessThanOrEqual(uptimeNs);
    expect(st.start_ns).toBe((st.start_ticks * 1_000_000_000n) / clockTicksPerSecond());
  });

  it('reads a child argv, exe, cwd and ids once it has exec-ed', async () => {
    const child = spawn('sleep', ['30'], { cwd: tmp });
    children.push(child);
    const pid = child.pid!;
    expect(await pollUntil(() => readCmdline(pid)?.[0] === 'sleep', { timeoutMs: 2000 })).toBe(true);
    expect(readCmdline(pid)).toEqual(['sleep', '30']);
    expect(readExe(pid)).toBe(realpathSync(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim()));
    expect(readCwd(pid)).toBe(realpathSync(tmp));
    expect(readProcStat(pid)).toMatchObject({ comm: 'sleep', ppid: process.pid });
    expect(readStatus(pid)).toMatchObject({ uid: process.getuid!(), euid: process.geteuid!(), gid: process.getgid!(), tgid: pid });
    const ns = readNamespaces(pid);
    expect(ns.pid_ns).toBe(Number(/\d+/.exec(readlinkSync(`/proc/${pid}/ns/pid`))![0]));
    expect(listAllPids()).toContain(pid);
  });

  it('returns null for a process that has gone instead of throwing', async () => {
    const pid = await gonePid();
    expect(readProcStat(pid)).toBeNull();
    expect(readCmdline(pid)).toBeNull();
    expect(readExe(pid)).toBeNull();
    expect(readCwd(pid)).toBeNull();
    expect(readStatus(pid)).toBeNull();
    expect(readFds(pid)).toBeNull();
    expect(signalPid(pid, 0)).toBe(false);
  });

  it('sees a file this process holds open for writing, with its flags', () => {
    const path = join(tmp, 'out.log');
    const fd = openSync(path, 'a');
    try {
      const entry = readFds(process.pid)!.find((f) => f.fd === fd);
      expect(entry?.target).toBe(realpathSync(path));
      expect(openFlagsFromFdFlags(readFdFlags(process.pid, fd)!)).toEqual(['write', 'append']);
    } finally {
      closeSync(fd);
    }
    expect(openFlagsFromFdFlags(0o2)).toEqual(['read', 'write']);
    expect(openFlagsFromFdFlags(0o100000)).toEqual(['read']);
  });

  it('matches a loopback TCP connection to its socket inode and remote port', async () => {
    const server: Server = createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const client: Socket = createConnection(port, '127.0.0.1');
    await new Promise((r) => client.on('connect', r));
    try {
      const inodes = new Set(readFds(process.pid)!.map((f) => socketInode(f.target)).filter((i) => i !== null));
      const mine = readNetSockets(process.pid).filter((s) => inodes.has(s.inode));
      const outgoing = mine.find((s) => s.remote_port === port && s.local_port === client.localPort);
      expect(outgoing).toMatchObject({ protocol: 'tcp', family: 'inet', remote_ip: '127.0.0.1', state: 1 });
      expect(mine.some((s) => s.local_port === port && s.state === 10)).toBe(true); // the listener
    } finally {
      client.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('pure /proc parsers', () => {
  it('parses a comm with spaces and parentheses, and a zombie exit status', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'Z';
    fields[1] = '77';
    fields[19] = '12345';
    fields[49] = String(3 << 8);
    const st = parseProcStat(`4242 (a) (b c)) ${fields.join(' ')}`, 100n)!;
    expect(st).toMatchObject({ pid: 4242, comm: 'a) (b c)', state: 'Z', ppid: 77, start_ticks: 12345n, exit_status: 768 });
    expect(st.start_ns).toBe(123_450_000_000n);
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('parses Uid/Gid lines', () => {
    const text = 'Name:\tx\nTgid:\t9\nUid:\t1000\t0\t0\t0\nGid:\t100\t101\t101\t101\n';
    expect(parseProcStatus(text)).toEqual({ uid: 1000, euid: 0, gid: 100, egid: 101, tgid: 9 });
  });

  it('decodes /proc/net/tcp and tcp6 addresses', () => {
    expect(parseHexAddress('0100007F:1F90', true)).toEqual(['127.0.0.1', 8080]);
    expect(parseHexAddress('00000000000000000000000001000000:0050', true)).toEqual(['::1', 80]);
    expect(parseHexAddress('0000000000000000FFFF00000100007F:01BB', true)).toEqual(['::ffff:127.0.0.1', 443]);
    expect(parseHexAddress('B80D0120000000000000000001000000:0035', true)).toEqual(['2001:db8::1', 53]);
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 555 1 0',
    ].join('\n');
    expect(parseNetTable(table, 'tcp', true)).toEqual([
      { protocol: 'tcp', family: 'inet', local_ip: '127.0.0.1', local_port: 8080, remote_ip: '127.0.0.1', remote_port: 50000, state: 1, uid: 1000, inode: 555 },
    ]);
  });
});
