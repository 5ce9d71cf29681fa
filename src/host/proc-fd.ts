/** @module host/proc-fd: open file descriptors of a process (/proc/PID/fd and fdinfo). */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface OpenFd {
  fd: number;
  /** readlink of /proc/PID/fd/N: a path, or socket:[inode], pipe:[inode], anon_inode:... */
  target: string;
}

export type FdOpenFlag = 'read' | 'write' | 'append';

const SKIP = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM']);

/** The process's open fds; null when it is gone or not ours to read. An fd closed mid-scan is skipped. */
export function readFds(pid: number): OpenFd[] | null {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    if (SKIP.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
  const fds: OpenFd[] = [];
  for (const name of names) {
    try {
      fds.push({ fd: Number(name), target: readlinkSync(`/proc/${pid}/fd/${name}`) });
    } catch (err) {
      if (!SKIP.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  return fds.sort((a, b) => a.fd - b.fd);
}

/** The `flags:` line of /proc/PID/fdinfo/N (octal open flags as the file holds them now), or null. */
export function readFdFlags(pid: number, fd: number): number | null {
  try {
    const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    return m?.[1] ? parseInt(m[1], 8) : null;
  } catch (err) {
    if (SKIP.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
}

/**
 * The access mode and append bit of open flags. O_CREAT and O_TRUNC are not there: the kernel clears them
 * after open (do_dentry_open), so fdinfo cannot tell whether the open created or truncated the file.
 */
export function openFlagsFromFdFlags(flags: number): FdOpenFlag[] {
  const access = flags & 0o3;
  const out: FdOpenFlag[] = access === 0 ? ['read'] : access === 1 ? ['write'] : ['read', 'write'];
  if (flags & 0o2000) out.push('append');
  return out;
}

/** The socket inode of an fd target `socket:[12345]`, or null for anything else. */
export function socketInode(target: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(target);
  return m?.[1] ? Number(m[1]) : null;
}
