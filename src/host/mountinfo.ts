/** @module host/mountinfo: parses /proc/PID/mountinfo to find the cgroup v2 and v1 (freezer) hierarchies. */
import { readFileSync } from 'node:fs';

export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  /** Path inside the filesystem that is mounted (not '/' for a bind mount of a subdirectory). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Pure parser for the text of /proc/PID/mountinfo (see proc(5)); malformed lines are skipped. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    // Optional fields end at a lone '-', after which come fstype, source, super options.
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 3) continue;
    entries.push({
      mountId: Number(fields[0]),
      parentId: Number(fields[1]),
      root: unescapeOctal(fields[3] ?? ''),
      mountPoint: unescapeOctal(fields[4] ?? ''),
      fsType: fields[sep + 1] ?? '',
      source: unescapeOctal(fields[sep + 2] ?? ''),
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return entries;
}

export function readMountInfo(path = '/proc/self/mountinfo'): MountInfoEntry[] {
  return parseMountInfo(readFileSync(path, 'utf8'));
}

/** cgroup2 mounts, those that show the whole hierarchy (root '/') first. */
export function findCgroup2Mounts(entries: MountInfoEntry[] = readMountInfo()): MountInfoEntry[] {
  const mounts = entries.filter((e) => e.fsType === 'cgroup2');
  return [...mounts.filter((e) => e.root === '/'), ...mounts.filter((e) => e.root !== '/')];
}

/** The cgroup v1 hierarchy that carries `controller` (e.g. 'freezer'), or null if none is mounted. */
export function findCgroupV1Mount(
  controller: string,
  entries: MountInfoEntry[] = readMountInfo(),
): MountInfoEntry | null {
  return entries.find((e) => e.fsType === 'cgroup' && e.superOptions.includes(controller)) ?? null;
}
