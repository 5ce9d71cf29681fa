/** Small formatters: IP text, open flags, container ids, CIDR parsing, kernel dev_t. */
import { describe, expect, it } from 'vitest';
import { containerIdFromCgroupName, formatIp, kernelDevFromStat, parseCidr } from '../../src/sensor/index.js';
import { openFlagNames } from '../../src/model/index.js';

describe('formatIp', () => {
  it('formats IPv4 and RFC 5952 IPv6', () => {
    expect(formatIp(new Uint8Array([127, 0, 0, 2]))).toBe('127.0.0.2');
    expect(formatIp(new Uint8Array(16).fill(0).map((_, i) => (i === 15 ? 1 : 0)))).toBe('::1');
    expect(formatIp(Uint8Array.from(Buffer.from('20010db8000000000001000000000001', 'hex')))).toBe('2001:db8::1:0:0:1');
    expect(formatIp(Uint8Array.from(Buffer.from('00000000000000000000ffff7f000001', 'hex')))).toBe('::ffff:127.0.0.1');
    expect(formatIp(new Uint8Array(16))).toBe('::');
  });
});

describe('openFlagNames', () => {
  it('maps the access mode and create/truncate/append bits', () => {
    expect(openFlagNames(0)).toEqual(['read']);
    expect(openFlagNames(0o1 | 0o100 | 0o1000)).toEqual(['write', 'create', 'truncate']);
    expect(openFlagNames(0o2 | 0o2000)).toEqual(['read', 'write', 'append']);
    expect(openFlagNames(0o2000000)).toEqual(['read']); // O_CLOEXEC changes nothing
  });
});

describe('containerIdFromCgroupName', () => {
  const id = 'a'.repeat(12) + '0123456789abcdef'.repeat(3) + 'b'.repeat(4);
  it('recognises the cgroupfs and systemd driver names', () => {
    expect(containerIdFromCgroupName(id)).toBe(id);
    expect(containerIdFromCgroupName(`docker-${id}.scope`)).toBe(id);
    expect(containerIdFromCgroupName(`cri-containerd-${id}.scope`)).toBe(id);
    expect(containerIdFromCgroupName('user.slice')).toBeNull();
    expect(containerIdFromCgroupName('/')).toBeNull();
  });
});

describe('parseCidr', () => {
  it('parses addresses and prefixes of both families', () => {
    expect(parseCidr('127.0.0.2/32')).toEqual({ family: 4, addr: Buffer.from([127, 0, 0, 2]), prefix: 32 });
    expect(parseCidr('10.0.0.0/8').prefix).toBe(8);
    expect(parseCidr('192.168.1.1').prefix).toBe(32);
    expect(parseCidr('2001:db8::/32')).toEqual({ family: 6, addr: Buffer.from('20010db8000000000000000000000000', 'hex'), prefix: 32 });
    expect(parseCidr('::ffff:1.2.3.4').addr.toString('hex')).toBe('00000000000000000000ffff01020304');
  });
  it('rejects bad input with the text it got', () => {
    expect(() => parseCidr('300.1.1.1')).toThrow(/bad CIDR "300.1.1.1"/);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/prefix must be 0..32/);
    expect(() => parseCidr('10.0.0.0/x')).toThrow(/prefix/);
  });
});

describe('kernelDevFromStat', () => {
  it('turns glibc st_dev into the kernel dev_t (major << 20 | minor)', () => {
    // major 8, minor 1 (sda1): st_dev 0x801
    expect(kernelDevFromStat(0x801n)).toBe((8 << 20) | 1);
    // major 259, minor 3 (nvme): st_dev = (259 & 0xfff) << 8 | 3
    expect(kernelDevFromStat(BigInt((259 << 8) | 3))).toBe((259 << 20) | 3);
    // minor above 255 goes to bits 20..
    expect(kernelDevFromStat(BigInt((0 << 8) | (0x12 & 0xff)) | (BigInt(0x1200 & ~0xff) << 12n))).toBe(0x1212);
  });
});
