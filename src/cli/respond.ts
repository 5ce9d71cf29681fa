/** @module cli/respond: `agentprov respond kill|quarantine|release|freeze|thaw (--run|--tool-call|--cgroup|--container|--pid) ID`. */
import { Argument, type Command } from 'commander';
import { AgentprovError, EXIT_CODES } from '../errors.js';
import { nsToIso } from '../model/index.js';
import { Actuator, DEFAULT_DOCKER_SOCKET, DockerControl, formatMs } from '../respond/index.js';
import { MANUAL_VERBS, respondManually, type ManualVerb } from '../service/respond-manual.js';
import type { TargetSelector } from '../service/respond-targets.js';
import { withStore } from './common.js';
import { printJson } from './io.js';
import type { CommandContext } from './program.js';

const SELECTORS = ['run', 'toolCall', 'cgroup', 'container', 'pid'] as const;

interface RespondOpts {
  run?: string;
  toolCall?: string;
  cgroup?: string;
  container?: string;
  pid?: string;
  dryRun?: boolean;
  reason?: string;
  dockerSocket: string;
  confirmTimeout: string;
  json?: boolean;
}

function selectorOf(o: RespondOpts): TargetSelector {
  const given = SELECTORS.filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    throw new AgentprovError('AP_BAD_ARGS', 'name exactly one target: --run, --tool-call, --cgroup, --container or --pid');
  }
  const k = given[0]!;
  return { by: k === 'toolCall' ? 'tool-call' : k, id: o[k]! };
}

export function registerRespond({ io, state, program }: CommandContext): void {
  program
    .command('respond')
    .description(
      'act by hand on a run, tool call, cgroup, container or process, recorded like an automatic response. ' +
        'kill: cgroup.kill, SIGKILL to every v1 task, docker kill or SIGKILL; quarantine: freeze plus the ' +
        "sensor's network cut (only where the sensor runs, i.e. the daemon), docker disconnect + pause, or SIGSTOP; " +
        'release: undo a quarantine or freeze. Exit 8 when a step failed',
    )
    .addArgument(new Argument('<verb>', 'what to do').choices([...MANUAL_VERBS]))
    .option('--run <id>', 'every tool call of a run (their own cgroups, containers or open pids)')
    .option('--tool-call <id>', 'one tool call')
    .option('--cgroup <id|path>', 'a cgroup v2 id, a cgroup directory, or a /proc-style cgroup path (v2 first, then the v1 freezer)')
    .option('--container <id|name>', 'a Docker container')
    .option('--pid <pid>', 'one process')
    .option('--dry-run', 'record what would be done; touch nothing')
    .option('--reason <text>', 'why (recorded)')
    .option('--docker-socket <path>', 'dockerd socket', DEFAULT_DOCKER_SOCKET)
    .option('--confirm-timeout <ms>', 'how long to wait for the kernel or dockerd to confirm', '2000')
    .option('--json', 'JSON envelope agentprov.responses/v1')
    .action(async function (this: Command, verb: ManualVerb, o: RespondOpts) {
      const selector = selectorOf(o);
      const docker = new DockerControl({ socketPath: o.dockerSocket });
      const actuator = new Actuator({ dryRun: !!o.dryRun, docker, confirmTimeoutMs: Number(o.confirmTimeout) || 2000 });
      const actor = io.env.SUDO_USER ?? io.env.USER ?? io.env.LOGNAME ?? 'unknown';
      const items = await withStore(this, io, false, (store) =>
        respondManually({ store, actuator, docker, verb, selector, actor, ...(o.reason ? { reason: o.reason } : {}), now: io.now }),
      );
      if (items.some((a) => a.result === 'failed')) state.exitCode = EXIT_CODES.AP_IO;
      if (o.json) {
        printJson(io, { schema_version: 'agentprov.responses/v1', run_id: items[0]?.run_id ?? null, items, next_cursor: null });
        return;
      }
      for (const a of items) {
        const where = a.tool_call_id ? ` (tool call ${a.tool_call_id})` : '';
        io.stdout.write(`${a.action} ${a.target_kind} ${a.target || '-'}${where}: ${a.result.toUpperCase()} at ${nsToIso(a.time_ns)}\n  ${a.detail}\n`);
        if (a.latency_ns !== null) io.stdout.write(`  latency ${formatMs(a.latency_ns)}\n`);
      }
    });
}
