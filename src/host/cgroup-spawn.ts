/** @module host/cgroup-spawn: starts a command that is inside its cgroup leaf before its first instruction. */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AgentprovError, NotFoundError } from '../errors.js';
import type { LeafRef } from './cgroup-v2.js';

export interface SpawnInCgroupOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  /** Run the command as this uid/gid (both or neither); the move into the leaf is still done as root. */
  uid?: number;
  gid?: number;
}

/** Exit status of the wrapper when it could not join the leaf: the command never ran. */
export const CGROUP_JOIN_FAILED_EXIT = 125;

// The shell writes its own pid ($$) into the leaf, then execs the command in the same pid: from the
// command's first instruction on it is already inside, with no window in which it runs unwatched.
const JOIN_AND_EXEC =
  `{ echo $$ > "$0/cgroup.procs"; } 2>/dev/null || ` +
  `{ echo "agentprov: cannot move pid $$ into cgroup $0" >&2; exit ${CGROUP_JOIN_FAILED_EXIT}; }; exec "$@"`;

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv', '/sbin/setpriv'];

function findSetpriv(): string {
  const found = SETPRIV_PATHS.find((p) => existsSync(p));
  if (!found) {
    throw new NotFoundError('setpriv (util-linux) is needed to run a command as another uid inside a cgroup: install util-linux');
  }
  return found;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Fails early on a command that does not exist, which the shell would only report as exit 127. */
function checkCommand(cmd: string, env: NodeJS.ProcessEnv, cwd: string): void {
  if (cmd.includes('/')) {
    if (!isFile(cmd.startsWith('/') ? cmd : join(cwd, cmd))) throw new NotFoundError(`command not found: ${cmd}`);
    return;
  }
  const dirs = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).filter((d) => d !== '');
  if (!dirs.some((d) => isFile(join(d.startsWith('/') ? d : join(cwd, d), cmd)))) {
    throw new NotFoundError(`command not found: ${cmd} (PATH=${env.PATH ?? ''})`);
  }
}

/**
 * Spawns `cmd args` inside `leaf` through `/bin/sh -c 'echo $$ > leaf/cgroup.procs && exec "$@"'`. With a
 * uid/gid the shell joins as root and then execs `setpriv --reuid --regid --clear-groups`, so dropping
 * privileges needs no delegation of the leaf. If joining fails the command does not run and the child exits
 * with CGROUP_JOIN_FAILED_EXIT.
 */
export function spawnInCgroup(leaf: LeafRef, cmd: string, args: readonly string[], opts: SpawnInCgroupOptions = {}): ChildProcess {
  const leafPath = typeof leaf === 'string' ? leaf : leaf.path;
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  if ((opts.uid === undefined) !== (opts.gid === undefined)) {
    throw new AgentprovError('AP_BAD_ARGS', 'spawnInCgroup: give both uid and gid, or neither');
  }
  checkCommand(cmd, env, cwd);
  const drop =
    opts.uid === undefined
      ? []
      : [findSetpriv(), `--reuid=${opts.uid}`, `--regid=${opts.gid}`, '--clear-groups', '--'];
  return spawn('/bin/sh', ['-c', JOIN_AND_EXEC, leafPath, ...drop, cmd, ...args], {
    cwd,
    env,
    stdio: opts.stdio ?? 'inherit',
  });
}
