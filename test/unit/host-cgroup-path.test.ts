import { describe, expect, it } from 'vitest';
import { containerIdFromCgroupPath, cgroupPathOfPid, parseProcCgroup } from '../../src/host/index.js';

const ID = 'a3f5c9e0b1d2478f9e6c5b4a3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e';
const ID2 = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('parseProcCgroup', () => {
  it('reads the v2 line and v1 controllers (co-mounted and named ones)', () => {
    const text = ['12:cpu,cpuacct:/docker/' + ID, '3:name=systemd:/system.slice/a:b.scope', '0::/agentprov/run/tc', ''].join('\n');
    expect(parseProcCgroup(text)).toEqual({
      unified: '/agentprov/run/tc',
      v1: { cpu: `/docker/${ID}`, cpuacct: `/docker/${ID}`, 'name=systemd': '/system.slice/a:b.scope' },
    });
  });

  it('reads this process and returns null for a pid that does not exist', () => {
    expect(cgroupPathOfPid(process.pid)?.unified).toMatch(/^\//);
    expect(cgroupPathOfPid(2 ** 22 + 1)).toBeNull();
  });
});

describe('containerIdFromCgroupPath', () => {
  const cases: Array<[string, string, string | null]> = [
    ['docker cgroupfs driver', `/docker/${ID}`, ID],
    ['docker systemd driver', `/system.slice/docker-${ID}.scope`, ID],
    ['containerd CRI, systemd driver', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice/cri-containerd-${ID}.scope`, ID],
    ['CRI-O', `/kubepods.slice/kubepods-pod9.slice/crio-${ID}.scope`, ID],
    ['podman', `/machine.slice/libpod-${ID}.scope/container`, ID],
    ['kubepods cgroupfs driver', `/kubepods/burstable/pod4e5f6a7b-1111-2222-3333-444455556666/${ID}`, ID],
    ['kubepods besteffort cgroupfs', `/kubepods/besteffort/podabc/${ID}`, ID],
    ['kubelet v1 systemd colon form', `/system.slice/containerd.service/kubepods-burstable-pod1.slice:cri-containerd:${ID}`, ID],
    ['docker in docker: innermost', `/docker/${ID}/docker/${ID2}`, ID2],
    ['upper-case hex is normalized', `/docker/${ID.toUpperCase()}`, ID],
    ['a host process', '/user.slice/user-1000.slice/session-2.scope', null],
    ['our own leaf', '/agentprov/run-1/tc-2', null],
    ['CRI-O conmon is not the container', `/kubepods.slice/crio-conmon-${ID}.scope`, null],
    ['64 hex outside any runtime', `/some/${ID}`, null],
    ['too short an id', `/docker/${ID.slice(0, 12)}`, null],
  ];
  it.each(cases)('%s', (_name, path, want) => {
    expect(containerIdFromCgroupPath(path)).toBe(want);
  });
});
