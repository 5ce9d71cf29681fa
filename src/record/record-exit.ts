/**
 * @module record/record-exit: the exit codes of `agentprov record`. It exits with the command's own code;
 * when agentprov itself ended the command it uses a code of its own, distinct from 137 (SIGKILL from anyone)
 * and from the 0-13 range of agentprov's errors, so a script can tell who stopped the command and why.
 */
import { constants } from 'node:os';
import type { RecordOutcome } from '../store/index.js';

export const RECORD_EXIT = {
  /** --enforce and a policy rule with action kill: the tool call's cgroup was killed. */
  KILLED_BY_POLICY: 70,
  /** --timeout expired: agentprov killed the tool call's cgroup. */
  TIMEOUT: 71,
  /** --enforce and a policy rule with action quarantine: the cgroup was frozen (then killed unless --keep-running). */
  QUARANTINED: 72,
  /** agentprov record itself got SIGINT or SIGTERM and killed the command. */
  INTERRUPTED: 130,
} as const;

/** Text for `record --help` and the README. */
export const RECORD_EXIT_HELP = [
  'Exit codes:',
  "  N    the command's own exit code (128+S when a signal S not sent by agentprov ended it)",
  `  ${RECORD_EXIT.KILLED_BY_POLICY}   killed by agentprov policy (--enforce, action kill)`,
  `  ${RECORD_EXIT.TIMEOUT}   killed by agentprov: --timeout expired`,
  `  ${RECORD_EXIT.QUARANTINED}   quarantined by agentprov policy (--enforce, action quarantine)`,
  `  ${RECORD_EXIT.INTERRUPTED}  agentprov record was interrupted (SIGINT/SIGTERM) and killed the command`,
  '  1    agentprov failed while recording (an internal error, printed): the command was killed, the sensor unloaded',
  '  2-13 agentprov could not record, or lost what it recorded (bad arguments; 7: store locked past',
  '       AGENTPROV_BUSY_TIMEOUT_MS or unusable; permission...: see `agentprov --help`): the command was',
  '       killed (unless --keep-running) and the sensor unloaded',
].join('\n');

export interface EndState {
  enforced: 'kill' | 'quarantine' | null;
  timedOut: boolean;
  interrupted: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Who ended the command, and the exit code record gives for it. */
export function recordOutcome(s: EndState): { outcome: RecordOutcome; exit: number } {
  if (s.enforced === 'kill') return { outcome: 'killed_by_policy', exit: RECORD_EXIT.KILLED_BY_POLICY };
  if (s.enforced === 'quarantine') return { outcome: 'quarantined', exit: RECORD_EXIT.QUARANTINED };
  if (s.timedOut) return { outcome: 'timeout', exit: RECORD_EXIT.TIMEOUT };
  if (s.interrupted) return { outcome: 'interrupted', exit: RECORD_EXIT.INTERRUPTED };
  if (s.signal !== null) return { outcome: 'signaled', exit: 128 + (constants.signals[s.signal] ?? 0) };
  return { outcome: 'exited', exit: s.code ?? 0 };
}
