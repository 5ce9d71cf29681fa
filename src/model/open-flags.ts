/** @module model/open-flags: open(2) flag bits -> the model's `open_flags` names, for every source that has the bits. */

// asm-generic/fcntl.h (x86_64 and arm64 agree).
const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;

export type OpenFlagName = 'read' | 'write' | 'create' | 'truncate' | 'append';

export function openFlagNames(flags: number): OpenFlagName[] {
  const mode = flags & O_ACCMODE;
  const out: OpenFlagName[] = mode === O_RDWR ? ['read', 'write'] : mode === O_WRONLY ? ['write'] : ['read'];
  if (flags & O_CREAT) out.push('create');
  if (flags & O_TRUNC) out.push('truncate');
  if (flags & O_APPEND) out.push('append');
  return out;
}
