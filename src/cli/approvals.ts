/**
 * @module cli/approvals: `agentprov approvals list|show|approve|deny`. Approve thaws what require_approval
 * froze, deny kills it; an approval past its deadline is a deny, applied by whichever command sees it first.
 */
import type { Command } from 'commander';
import { AgentprovError } from '../errors.js';
import { nsToIso } from '../model/index.js';
import { Actuator, DEFAULT_DOCKER_SOCKET, DockerControl } from '../respond/index.js';
import { ApprovalService, type ApprovalOutcome, type ApprovalResolution } from '../service/approval-service.js';
import type { ApprovalRecord, ApprovalStatus, EvidenceStore } from '../store/index.js';
import { withStore } from './common.js';
import { printJson, type CliIo } from './io.js';
import type { CommandContext } from './program.js';

const STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired'];

function service(store: EvidenceStore, io: CliIo, socket: string): ApprovalService {
  const docker = new DockerControl({ socketPath: socket });
  return new ApprovalService({ store, actuator: new Actuator({ docker }), now: io.now, timers: false });
}

function actorOf(io: CliIo): string {
  return io.env.SUDO_USER ?? io.env.USER ?? io.env.LOGNAME ?? 'unknown';
}

function line(a: ApprovalRecord): string {
  const who = a.tool_call_id ? `tool call ${a.tool_call_id}` : a.gate_record_id ? `gate ${a.gate_record_id}` : 'no tool call';
  const decided = a.status === 'pending' ? `expires ${nsToIso(a.expires_at_ns)}` : `${a.status} by ${a.decided_by} at ${nsToIso(a.decided_at_ns ?? 0n)}`;
  return `${a.approval_id}  ${a.status.toUpperCase().padEnd(8)} ${who}${a.agent_id ? ` agent ${a.agent_id}` : ''}  ${a.target_kind} ${a.target || '-'}\n    ${a.rules.join(', ') || 'policy'}: ${a.summary}\n    ${decided}\n`;
}

function printSweep(io: CliIo, expired: ApprovalResolution[]): void {
  for (const r of expired) io.stderr.write(`agentprov: approval ${r.approval.approval_id} expired without an answer: denied${r.action ? ` (${r.action.action} ${r.action.result})` : ''}\n`);
}

export function registerApprovals({ io, state, program }: CommandContext): void {
  const approvals = program.command('approvals').description('decide on what require_approval froze (approve thaws, deny kills, silence denies)');

  approvals
    .command('list')
    .description('pending approvals (expired ones are denied first); --all for every approval')
    .option('--all', 'every approval, decided ones too')
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--docker-socket <path>', 'dockerd socket', DEFAULT_DOCKER_SOCKET)
    .option('--json', 'JSON envelope agentprov.approvals/v1')
    .action(async function (this: Command, o: { all?: boolean; status?: string; dockerSocket: string; json?: boolean }) {
      if (o.status !== undefined && !STATUSES.includes(o.status as ApprovalStatus)) {
        throw new AgentprovError('AP_BAD_ARGS', `--status: one of ${STATUSES.join(', ')}`);
      }
      const items = await withStore(this, io, false, async (store) => {
        const svc = service(store, io, o.dockerSocket);
        printSweep(io, await svc.expireDue());
        const status = o.status as ApprovalStatus | undefined;
        return svc.responses.listApprovals(o.all && status === undefined ? undefined : (status ?? 'pending'));
      });
      if (o.json) {
        printJson(io, { schema_version: 'agentprov.approvals/v1', run_id: null, items, next_cursor: null });
        return;
      }
      if (items.length === 0) io.stdout.write('no approvals\n');
      for (const a of items) io.stdout.write(line(a));
    });

  approvals
    .command('show')
    .description('one approval with every step recorded for it')
    .argument('<id>', 'approval id')
    .option('--json', 'JSON agentprov.approval/v1')
    .action(async function (this: Command, id: string, o: { json?: boolean }) {
      const shown = await withStore(this, io, true, (store) => {
        const svc = service(store, io, DEFAULT_DOCKER_SOCKET);
        const a = svc.responses.getApproval(id);
        if (a === null) throw new AgentprovError('AP_NOT_FOUND', `no approval ${id}`);
        return { approval: a, steps: svc.responses.stepsOf(id) };
      });
      if (o.json) {
        printJson(io, { schema_version: 'agentprov.approval/v1', run_id: shown.approval.run_id, ...shown });
        return;
      }
      io.stdout.write(line(shown.approval));
      for (const s of shown.steps) io.stdout.write(`  ${s.seq}. ${nsToIso(s.time_ns)} ${s.step} (${s.actor}) ${s.detail}\n`);
    });

  const decide = (wanted: Exclude<ApprovalOutcome, 'expired'>) =>
    async function (this: Command, id: string, o: { reason?: string; dockerSocket: string; json?: boolean }) {
      const r = await withStore(this, io, true, (store) => service(store, io, o.dockerSocket).resolve(id, wanted, actorOf(io), o.reason));
      const got = r.approval.status;
      if (!r.changed || got !== wanted) state.exitCode = 2;
      if (o.json) {
        printJson(io, { schema_version: 'agentprov.approval-decision/v1', run_id: r.approval.run_id, changed: r.changed, approval: r.approval, action: r.action });
        return;
      }
      if (!r.changed) io.stderr.write(`agentprov: approval ${id} was already ${got} (by ${r.approval.decided_by}): nothing changed\n`);
      else if (got !== wanted) io.stderr.write(`agentprov: approval ${id} had expired at ${nsToIso(r.approval.expires_at_ns)}: it counts as a deny\n`);
      io.stdout.write(line(r.approval));
      if (r.action) io.stdout.write(`  ${r.action.action} ${r.action.target_kind} ${r.action.target}: ${r.action.result.toUpperCase()}\n  ${r.action.detail}\n`);
    };

  for (const [name, wanted, what] of [
    ['approve', 'approved', 'let it go on: thaw what was frozen (a gate request may proceed)'],
    ['deny', 'denied', 'stop it: kill what was frozen (a gate request is refused)'],
  ] as const) {
    approvals
      .command(name)
      .description(what)
      .argument('<id>', 'approval id')
      .option('--reason <text>', 'why (recorded)')
      .option('--docker-socket <path>', 'dockerd socket', DEFAULT_DOCKER_SOCKET)
      .option('--json', 'JSON agentprov.approval-decision/v1')
      .action(decide(wanted));
  }
}
