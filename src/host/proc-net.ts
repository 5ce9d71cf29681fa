/** @module host/proc-net: sockets of a network namespace from /proc/PID/net/{tcp,tcp6,udp,udp6}. */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

export interface NetSocket {
  protocol: 'tcp' | 'udp';
  family: 'inet' | 'inet6';
  local_ip: string;
  local_port: number;
  remote_ip: string;
  remote_port: number;
  /** Kernel TCP state number: 1 ESTABLISHED, 2 SYN_SENT, 10 LISTEN, ... (udp: 1 when connected, 7 otherwise). */
  state: number;
  inode: number;
  uid: number;
}

export const TCP_STATES: Record<number, string> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
};

/** The kernel prints each 32-bit word of an address in host byte order, as %08X. */
function wordBytes(hex8: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex8.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

function formatIpv6(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  // RFC 5952: compress the longest run of two or more zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** `0100007F:1F90` -> ['127.0.0.1', 8080]; 32 hex digits are IPv6. */
export function parseHexAddress(text: string, littleEndian = endianness() === 'LE'): [string, number] {
  const [addr = '', port = '0'] = text.split(':');
  const bytes: number[] = [];
  for (let i = 0; i < addr.length; i += 8) bytes.push(...wordBytes(addr.slice(i, i + 8), littleEndian));
  const ip = bytes.length === 4 ? bytes.join('.') : formatIpv6(bytes);
  return [ip, parseInt(port, 16)];
}

/** Pure parser for the text of /proc/net/tcp (and tcp6, udp, udp6); the header line is skipped. */
export function parseNetTable(text: string, protocol: 'tcp' | 'udp', littleEndian = endianness() === 'LE'): NetSocket[] {
  const out: NetSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !f[1] || !f[2]) continue;
    const [localIp, localPort] = parseHexAddress(f[1], littleEndian);
    const [remoteIp, remotePort] = parseHexAddress(f[2], littleEndian);
    out.push({
      protocol,
      family: f[1].length > 13 ? 'inet6' : 'inet',
      local_ip: localIp,
      local_port: localPort,
      remote_ip: remoteIp,
      remote_port: remotePort,
      state: parseInt(f[3] ?? '0', 16),
      uid: Number(f[7]),
      inode: Number(f[9]),
    });
  }
  return out;
}

/** Every tcp/udp socket of the network namespace `pid` is in; [] when it has gone or is not readable. */
export function readNetSockets(pid: number): NetSocket[] {
  const out: NetSocket[] = [];
  for (const [file, protocol] of [['tcp', 'tcp'], ['tcp6', 'tcp'], ['udp', 'udp'], ['udp6', 'udp']] as const) {
    try {
      out.push(...parseNetTable(readFileSync(`/proc/${pid}/net/${file}`, 'utf8'), protocol));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!['ENOENT', 'ESRCH', 'EACCES', 'EPERM'].includes(code)) throw err;
    }
  }
  return out;
}
