/**
 * @module cli/gate: `agentprov gate evaluate|show|list`. An agent asks before acting; the answer's exit code
 * is what a wrapper script tests: 0 allow, 20 deny, 21 require_approval (pending; --wait turns it into 0 or 20).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AgentprovError, InputError } from '../errors.js';
import { nsToIso } from '../model/index.js';
import { Actuator } from '../respond/index.js';
import { ApprovalService } from '../service/approval-service.js';
import { evaluateGate, gateRecordReport, GATE_SCHEMA } from '../service/gate-evaluate.js';
import { loadPolicyFiles } from '../service/policy-files.js';
import { approvalSettingsFromEnv } from '../service/respond-live.js';
import { describeEvent } from '../service/timeline.js';
import type { GateRecord } from '../store/index.js';
import { collect, parseIntOption, withStore } from './common.js';
import { printJson, type CliIo } from './io.js';
import type { CommandContext } from './program.js';

/** Exit codes of `gate evaluate`, distinct from the error codes (1-13). */
export const GATE_EXIT = { allow: 0, deny: 20, require_approval: 21 } as const;

async function readInput(spec: string, io: CliIo): Promise<{ value: unknown; source: string }> {
  let text: string;
  let source: string;
  if (spec === '-') {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(Buffer.from(c as Buffer));
    text = Buffer.concat(chunks).toString('utf8');
    source = '<stdin>';
  } else if (spec.startsWith('@')) {
    source = resolve(io.cwd, spec.slice(1));
    try {
      text = readFileSync(source, 'utf8');
    } catch (cause) {
      throw new InputError([{ file: source, message: `cannot read (${(cause as NodeJS.ErrnoException).code ?? 'error'})` }], { cause });
    }
  } else {
    text = spec;
    source = '--input';
  }
  try {
    return { value: JSON.parse(text), source };
  } catch (cause) {
    throw new InputError([{ file: source, message: `not JSON: ${(cause as Error).message}` }], { cause });
  }
}

function statusDecision(g: GateRecord): keyof typeof GATE_EXIT {
  return g.status === 'allowed' || g.status === 'approved' ? 'allow' : g.status === 'pending' ? 'require_approval' : 'deny';
}

export function registerGate({ io, state, program }: CommandContext): void {
  const gate = program.command('gate').description('pre-execution gate: an agent declares an action; policy and its registration decide');

  gate
    .command('evaluate')
    .description('judge a declared action and store the record before anything runs. Exit 0 allow, 20 deny, 21 require_approval')
    .requiredOption('--input <json|@file|->', 'the request: {agent_id, owner?, run_id?, tool_call_id?, tool_name?, intent, action: {kind: command|file|http|docker, ...}, expects?}')
    .option('--policy <file>', 'policy file (repeatable; default: the shipped policies/default.yaml)', collect)
    .option('--wait', 'on require_approval, wait for the answer (or the deadline, which denies)')
    .option('--webhook <url>', 'announce a pending approval here (env AGENTPROV_APPROVAL_WEBHOOK)')
    .option('--approval-timeout <ms>', 'how long a person has to answer (env AGENTPROV_APPROVAL_TIMEOUT_MS, default 300000)')
    .option('--json', `JSON ${GATE_SCHEMA}`)
    .action(async function (this: Command, o: { input: string; policy?: string[]; wait?: boolean; webhook?: string; approvalTimeout?: string; json?: boolean }) {
      const { value, source } = await readInput(o.input, io);
      const loaded = loadPolicyFiles(o.policy);
      const env = approvalSettingsFromEnv(o.webhook ? { ...io.env, AGENTPROV_APPROVAL_WEBHOOK: o.webhook } : io.env);
      const timeoutMs = o.approvalTimeout !== undefined ? parseIntOption(o.approvalTimeout, '--approval-timeout') : env.approvalTimeoutMs;
      const out = await withStore(this, io, false, async (store) => {
        store.putPolicy({ policy_hash: loaded.policy.hash, name: loaded.policy.name, files: loaded.files }, nsToIso(io.now()));
        const approvals = new ApprovalService({
          store,
          actuator: new Actuator(),
          now: io.now,
          timers: false,
          webhookUrl: env.webhookUrl,
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        });
        const result = evaluateGate({ store, policy: loaded.policy, input: value, source, now: io.now, approvals });
        await approvals.settled(); // the webhook step is recorded before this process ends
        let record = result.record;
        if (o.wait && result.decision === 'require_approval') {
          const responses = store.responses();
          while (record.status === 'pending') {
            await new Promise((r) => setTimeout(r, 100));
            await approvals.expireDue();
            record = responses.getGateRecord(record.record_id)!;
          }
        }
        return { result, record };
      });
      const final = statusDecision(out.record);
      state.exitCode = GATE_EXIT[final];
      const body = {
        schema_version: GATE_SCHEMA,
        run_id: out.record.run_id,
        decision: final,
        status: out.record.status,
        record_id: out.record.record_id,
        reasons: out.result.reasons,
        rules: out.record.rules,
        approval_id: out.result.approval_id,
        expires_at: out.result.expires_at_ns !== null ? nsToIso(out.result.expires_at_ns) : null,
        policy_hash: out.record.policy_hash,
      };
      if (o.json) {
        printJson(io, body);
        return;
      }
      io.stdout.write(`${final.toUpperCase()} (${out.record.status}) record ${out.record.record_id}\n`);
      for (const r of out.result.reasons) io.stdout.write(`  - ${r}\n`);
      if (out.record.status === 'pending') io.stdout.write(`  approval ${out.result.approval_id} until ${body.expires_at}: agentprov approvals approve|deny ${out.result.approval_id}\n`);
    });

  gate
    .command('show')
    .description('a gate record, its approval, and the runtime events of its tool call (undeclared behaviour flagged)')
    .argument('<record-id>', 'gate record id')
    .option('--json', 'JSON agentprov.gate-record/v1')
    .action(async function (this: Command, id: string, o: { json?: boolean }) {
      const report = await withStore(this, io, true, (store) => gateRecordReport(store, id));
      if (report === null) throw new AgentprovError('AP_NOT_FOUND', `no gate record ${id}`);
      if (o.json) {
        printJson(io, { schema_version: 'agentprov.gate-record/v1', run_id: report.record.run_id, ...report });
        return;
      }
      const g = report.record;
      io.stdout.write(`${g.record_id}  ${g.decision} -> ${g.status}  agent ${g.agent_id}${g.owner ? ` (owner ${g.owner})` : ''}  ${g.action_kind}\n`);
      io.stdout.write(`  intent: ${String((g.request as { intent?: string }).intent ?? '')}\n`);
      for (const r of g.reasons) io.stdout.write(`  - ${r}\n`);
      if (g.tool_call_id) io.stdout.write(`  tool call ${g.tool_call_id}: ${report.linked_events.length} runtime events, ${report.undeclared.length} undeclared\n`);
      for (const e of report.linked_events) io.stdout.write(`    ${e.time ?? nsToIso(e.time_ns)} ${describeEvent(e)}\n`);
      for (const r of report.undeclared) io.stdout.write(`  ! ${r.rule_id}: ${r.reason}\n`);
    });

  gate
    .command('list')
    .description('gate records, oldest first')
    .option('--agent <id>', 'only this agent')
    .option('--tool-call <id>', 'only this tool call')
    .option('--json', 'JSON envelope agentprov.gate-records/v1')
    .action(async function (this: Command, o: { agent?: string; toolCall?: string; json?: boolean }) {
      const items = await withStore(this, io, false, (store) =>
        store.responses().listGateRecords({ ...(o.agent ? { agentId: o.agent } : {}), ...(o.toolCall ? { toolCallId: o.toolCall } : {}) }),
      );
      if (o.json) {
        printJson(io, { schema_version: 'agentprov.gate-records/v1', run_id: null, items, next_cursor: null });
        return;
      }
      if (items.length === 0) io.stdout.write('no gate records\n');
      for (const g of items) io.stdout.write(`${g.record_id}  ${nsToIso(g.created_at_ns)}  ${g.status.padEnd(8)} ${g.agent_id} ${g.action_kind} ${g.tool_call_id ?? '-'}\n`);
    });
}
