/** @module sensor/cidr: parses an IPv4/IPv6 address or CIDR into the bytes and prefix the deny maps take. */
import { isIPv4, isIPv6 } from 'node:net';
import { AgentprovError } from '../errors.js';

export interface ParsedCidr {
  family: 4 | 6;
  addr: Buffer;
  prefix: number;
}

function v6Bytes(text: string): Buffer {
  // expand "::" and an embedded dotted quad into eight 16-bit groups
  let head = text;
  let tail4: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    tail4 = dotted[1].split('.').map(Number);
    head = text.slice(0, -dotted[1].length) + '0:0';
  }
  const [left = '', right] = head.split('::');
  const l = left === '' ? [] : left.split(':');
  const r = right === undefined || right === '' ? [] : right.split(':');
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail4.length === 4) Buffer.from(tail4).copy(out, 12);
  return out;
}

/** "10.0.0.0/8", "127.0.0.2" (= /32), "2001:db8::/32", "::1" (= /128). */
export function parseCidr(text: string): ParsedCidr {
  const [addrText = '', prefixText] = text.trim().split('/');
  const bad = (why: string) => new AgentprovError('AP_BAD_ARGS', `bad CIDR ${JSON.stringify(text)}: ${why}`);
  const family: 4 | 6 = isIPv4(addrText) ? 4 : isIPv6(addrText) ? 6 : (() => {
    throw bad('not an IPv4 or IPv6 address');
  })();
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    throw bad(`prefix must be 0..${max}`);
  }
  const addr = family === 4 ? Buffer.from(addrText.split('.').map(Number)) : v6Bytes(addrText);
  return { family, addr, prefix };
}
