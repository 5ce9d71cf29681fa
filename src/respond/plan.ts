/**
 * @module respond/plan: an enforcing decision -> the step and the target it is carried out on.
 *
 *   action            scope with its own cgroup   container        otherwise (one process)
 *   kill              cgroup kill                 docker kill      SIGKILL
 *   deny              SIGKILL of the offending process (the syscall already happened; the rest of the
 *                     tool call goes on), docker kill if there is no pid
 *   quarantine        freeze + sensor flag        disconnect+pause SIGSTOP
 *   require_approval  freeze (until approved)     docker pause     SIGSTOP
 *
 * Only a cgroup the tool call owns is ever frozen or killed whole: a shared cgroup would take innocent
 * processes (the agent itself) with it, so there the offending process is the target.
 */
import type { ResponseRequest } from '../engine/index.js';
import type { CgroupLocator } from './cgroup-locator.js';
import type { ResponseTarget, ResponseVerb } from './target.js';

export interface PlannedStep {
  verb: ResponseVerb;
  target: ResponseTarget;
}

const VERB_BY_ACTION: Record<string, ResponseVerb> = {
  kill: 'kill',
  deny: 'kill',
  quarantine: 'quarantine',
  require_approval: 'freeze',
};

/** The scope's own cgroup leaf, if it still exists. */
export function scopeLeaf(req: ResponseRequest, locator: CgroupLocator): ResponseTarget | null {
  const own = req.scope?.own_cgroup_ids ?? [];
  for (const id of own) {
    const hint = req.event.cgroup_id === id ? req.event.cgroup_path : null;
    const path = locator.locate(id, [hint]);
    if (path !== null) return { kind: 'cgroup2', path, id };
  }
  return null;
}

function containerOf(req: ResponseRequest): ResponseTarget | null {
  const id = req.event.container_id ?? (req.correlation.tier === 'container' ? req.scope?.container_ids[0] : null);
  return id ? { kind: 'container', id } : null;
}

function processOf(req: ResponseRequest): ResponseTarget | null {
  const pid = req.event.tgid ?? req.event.pid;
  if (typeof pid !== 'number' || pid <= 0) return null;
  return { kind: 'process', pid, start_ns: req.event.process_start_ns ?? null };
}

/** The step for an enforcing decision, or null when the event names nothing that can still be acted on. */
export function planResponse(req: ResponseRequest, locator: CgroupLocator): PlannedStep | null {
  const verb = VERB_BY_ACTION[req.decision.action];
  if (verb === undefined) return null;
  if (req.decision.action === 'deny') {
    const target = processOf(req) ?? containerOf(req);
    return target ? { verb, target } : null;
  }
  const target = scopeLeaf(req, locator) ?? containerOf(req) ?? processOf(req);
  return target ? { verb, target } : null;
}
