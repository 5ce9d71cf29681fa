/** @module cli/agents: `agentprov agents add|list|show`: agent identities (owner, allowed tools, autonomy). */
import type { Command } from 'commander';
import { nsToIso } from '../model/index.js';
import { addAgent, listAgents, showAgent } from '../service/agents-registry.js';
import type { AgentRecord, Autonomy } from '../store/index.js';
import { AUTONOMY_LEVELS } from '../store/index.js';
import { collect, withStore } from './common.js';
import { printJson, type CliIo } from './io.js';
import type { CommandContext } from './program.js';

function print(io: CliIo, a: AgentRecord): void {
  io.stdout.write(
    `${a.agent_id}  owner ${a.owner}  ${a.autonomy}\n  tools ${a.allowed_tools.join(', ')}\n` +
      `${a.description ? `  ${a.description}\n` : ''}  registered ${nsToIso(a.created_at_ns)}, updated ${nsToIso(a.updated_at_ns)}\n`,
  );
}

export function registerAgents({ io, program }: CommandContext): void {
  const agents = program.command('agents').description('agent identities: who owns an agent, which tools it may use, how far it may act alone');

  agents
    .command('add')
    .description('register an agent (the gate and policies use it: agent_id, agent_owner, agent_autonomy)')
    .argument('<id>', 'agent id')
    .requiredOption('--owner <name>', 'the human responsible for the agent')
    .requiredOption('--autonomy <level>', AUTONOMY_LEVELS.join(' | '))
    .option('--tool <name>', 'a tool the agent may use (repeatable; default any)', collect)
    .option('--description <text>', 'what the agent is for')
    .option('--replace', 'overwrite an existing registration')
    .option('--json', 'JSON agentprov.agent/v1')
    .action(async function (this: Command, id: string, o: { owner: string; autonomy: string; tool?: string[]; description?: string; replace?: boolean; json?: boolean }) {
      const a = await withStore(this, io, false, (store) =>
        addAgent(
          store,
          {
            agent_id: id,
            owner: o.owner,
            autonomy: o.autonomy as Autonomy,
            ...(o.tool ? { allowed_tools: o.tool } : {}),
            ...(o.description ? { description: o.description } : {}),
          },
          io.now(),
          { replace: !!o.replace },
        ),
      );
      if (o.json) printJson(io, { schema_version: 'agentprov.agent/v1', run_id: null, ...a });
      else print(io, a);
    });

  agents
    .command('list')
    .description('every registered agent')
    .option('--json', 'JSON envelope agentprov.agents/v1')
    .action(async function (this: Command, o: { json?: boolean }) {
      const items = await withStore(this, io, false, (store) => listAgents(store));
      if (o.json) {
        printJson(io, { schema_version: 'agentprov.agents/v1', run_id: null, items, next_cursor: null });
        return;
      }
      if (items.length === 0) io.stdout.write('no agents registered (agentprov agents add ID --owner NAME --autonomy LEVEL)\n');
      for (const a of items) io.stdout.write(`${a.agent_id}  owner ${a.owner}  ${a.autonomy}  tools ${a.allowed_tools.join(',')}\n`);
    });

  agents
    .command('show')
    .description('one agent')
    .argument('<id>', 'agent id')
    .option('--json', 'JSON agentprov.agent/v1')
    .action(async function (this: Command, id: string, o: { json?: boolean }) {
      const a = await withStore(this, io, true, (store) => showAgent(store, id));
      if (o.json) printJson(io, { schema_version: 'agentprov.agent/v1', run_id: null, ...a });
      else print(io, a);
    });
}
