import { describe, expect, it } from 'vitest';
import { findCgroup2Mounts, findCgroupV1Mount, parseMountInfo, readMountInfo } from '../../src/host/index.js';

const TEXT = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '41 31 0:38 /sub /mnt/cg\\040sub rw,relatime - cgroup2 cgroup2 rw',
  '42 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 master:2 - cgroup2 cgroup2 rw,nsdelegate',
  '37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer',
  'garbage line',
  '',
].join('\n');

describe('parseMountInfo', () => {
  it('reads fields after the optional-field separator and unescapes octal', () => {
    const entries = parseMountInfo(TEXT);
    expect(entries).toHaveLength(4);
    expect(entries[1]).toMatchObject({ root: '/sub', mountPoint: '/mnt/cg sub', fsType: 'cgroup2' });
    expect(entries[2]).toMatchObject({ mountId: 42, parentId: 31, superOptions: ['rw', 'nsdelegate'] });
  });

  it('prefers a cgroup2 mount of the whole hierarchy and finds the v1 freezer', () => {
    const entries = parseMountInfo(TEXT);
    expect(findCgroup2Mounts(entries).map((m) => m.mountPoint)).toEqual(['/sys/fs/cgroup/unified', '/mnt/cg sub']);
    expect(findCgroupV1Mount('freezer', entries)?.mountPoint).toBe('/sys/fs/cgroup/freezer');
    expect(findCgroupV1Mount('memory', entries)).toBeNull();
  });

  it('reads this process mount table', () => {
    expect(readMountInfo().some((m) => m.mountPoint === '/proc' && m.fsType === 'proc')).toBe(true);
  });
});
