/** @module model/open-flags: open(2) flag bits -> the model's `open_flags` names, for every source that has the bits. */

// asm-generic/fcntl.h (x86_64 and arm64 agree).
const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;

export type OpenFlagName = 'read' | 'write' | 'create' | 'truncate' | 'append';

/** The flags of an open that can change the file; an open with none of them only reads. */
export const WRITE_OPEN_FLAGS: readonly OpenFlagName[] = ['write', 'create', 'truncate', 'append'];

/** Whether an open with these flag names can change the file (no flags: not known to). */
export function opensForWrite(flags: readonly OpenFlagName[] | undefined): boolean {
  return (flags ?? []).some((f) => WRITE_OPEN_FLAGS.includes(f));
}

export function openFlagNames(flags: number): OpenFlagName[] {
  const mode = flags & O_ACCMODE;
  const out: OpenFlagName[] = mode === O_RDWR ? ['read', 'write'] : mode === O_WRONLY ? ['write'] : ['read'];
  if (flags & O_CREAT) out.push('create');
  if (flags & O_TRUNC) out.push('truncate');
  if (flags & O_APPEND) out.push('append');
  return out;
}
