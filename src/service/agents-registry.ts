/**
 * @module service/agents-registry: agent identities (`agentprov agents add|list|show`): an id, the human who
 * owns it, the tools it may use and its autonomy level. The gate decides on them and policies match on them
 * (agent_owner, agent_autonomy), so every action is attributed to an agent and a person, never to a shared
 * account.
 */
import { z } from 'zod';
import type { AgentDirectory } from '../engine/index.js';
import { AgentprovError, InputError, NotFoundError } from '../errors.js';
import { AUTONOMY_LEVELS, type AgentRecord, type EvidenceStore } from '../store/index.js';
import { responseStoreOf } from './respond-record.js';

export const AGENT_ID = /^[A-Za-z0-9][\w.:@-]{0,127}$/;

export const AgentInputSchema = z.strictObject({
  agent_id: z.string().regex(AGENT_ID, 'agent id: letters, digits and "_.:@-", at most 128, starting with a letter or digit'),
  owner: z.string().trim().min(1, 'an agent needs a human owner'),
  autonomy: z.enum(AUTONOMY_LEVELS, { error: () => `autonomy: one of ${AUTONOMY_LEVELS.join(', ')}` }),
  /** Tool names; ['*'] (the default) allows any. */
  allowed_tools: z.array(z.string().min(1)).min(1).default(['*']),
  description: z.string().nullable().optional(),
});
export type AgentInput = z.input<typeof AgentInputSchema>;

export function addAgent(store: EvidenceStore, input: AgentInput, now: bigint, opts: { replace?: boolean } = {}): AgentRecord {
  const parsed = AgentInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new InputError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'agent', message: i.message })), { code: 'AP_BAD_ARGS' });
  }
  const responses = responseStoreOf(store);
  const prior = responses.getAgent(parsed.data.agent_id);
  if (prior && !opts.replace) {
    throw new AgentprovError('AP_BAD_ARGS', `agent ${parsed.data.agent_id} is already registered (owner ${prior.owner}): use --replace to change it`);
  }
  const record: AgentRecord = {
    agent_id: parsed.data.agent_id,
    owner: parsed.data.owner,
    autonomy: parsed.data.autonomy,
    allowed_tools: [...new Set(parsed.data.allowed_tools)],
    description: parsed.data.description ?? null,
    created_at_ns: prior?.created_at_ns ?? now,
    updated_at_ns: now,
  };
  responses.putAgent(record);
  return record;
}

export function listAgents(store: EvidenceStore): AgentRecord[] {
  return responseStoreOf(store).listAgents();
}

export function showAgent(store: EvidenceStore, agentId: string): AgentRecord {
  const a = responseStoreOf(store).getAgent(agentId);
  if (a === null) throw new NotFoundError(`no agent ${agentId} is registered (agentprov agents add ${agentId} --owner NAME --autonomy LEVEL)`);
  return a;
}

export function toolAllowed(agent: AgentRecord, tool: string | null | undefined): boolean {
  return agent.allowed_tools.includes('*') || (tool !== null && tool !== undefined && agent.allowed_tools.includes(tool));
}

/** The engine's view of the registry (read once: the engine lives for one command or one daemon start). */
export class StoreAgentDirectory implements AgentDirectory {
  readonly #agents: Map<string, AgentRecord>;

  constructor(store: EvidenceStore) {
    this.#agents = new Map(listAgents(store).map((a) => [a.agent_id, a]));
  }

  lookup(agentId: string): { owner: string; autonomy: string } | null {
    const a = this.#agents.get(agentId);
    return a ? { owner: a.owner, autonomy: a.autonomy } : null;
  }
}
