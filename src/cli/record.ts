/** @module cli/record: `agentprov record [options] -- cmd args...`: record one command as one tool call. */
import type { StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../errors.js';
import {
  DEFAULT_SNAPSHOT_IGNORE,
  formatRecordingSummary,
  recordCommand,
  RECORD_EXIT_HELP,
  type CaptureMode,
  type SnapshotOptions,
} from '../record/index.js';
import { collect, dataDirOf, parseIntOption } from './common.js';
import { printJson, type CliIo } from './io.js';
import type { CommandContext } from './program.js';
import { forwardLines } from './line-forwarder.js';

interface RecordOpts {
  run?: string;
  session: string;
  attempt: string;
  toolCall: string;
  toolName?: string;
  workdir?: string;
  policy?: string[];
  enforce?: boolean;
  auditOnly?: boolean;
  timeout?: string;
  keepRunning?: boolean;
  capture: CaptureMode;
  snapshot: boolean;
  snapshotIgnore?: string[];
  snapshotMaxFileBytes?: string;
  json?: boolean;
  timings?: boolean;
}

function defaultRunId(now: bigint): string {
  const iso = new Date(Number(now / 1_000_000n)).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `rec-${iso}-${randomBytes(2).toString('hex')}`;
}

function timeoutMs(text: string | undefined): number | null {
  if (text === undefined) return null;
  const s = Number(text);
  if (!Number.isFinite(s) || s <= 0) {
    throw new InputError([{ field: '--timeout', message: `not a positive number of seconds: "${text}"` }], { code: 'AP_BAD_ARGS' });
  }
  return Math.round(s * 1000);
}

/** The command's output goes where ours goes; with --json its stdout goes to stderr so stdout is the summary. */
function childStdio(io: CliIo, json: boolean): { stdio: StdioOptions; pipeOut: ((s: string) => void) | null; pipeErr: ((s: string) => void) | null } {
  const outIsOurs = !json && io.stdout === process.stdout;
  const errIsOurs = io.stderr === process.stderr;
  const stdin = io.stdin === process.stdin ? 'inherit' : 'ignore';
  const out = json ? (s: string) => io.stderr.write(s) : (s: string) => io.stdout.write(s);
  return {
    stdio: [stdin, outIsOurs ? 'inherit' : json && errIsOurs ? process.stderr : 'pipe', errIsOurs ? 'inherit' : 'pipe'],
    pipeOut: outIsOurs || (json && errIsOurs) ? null : out,
    pipeErr: errIsOurs ? null : (s: string) => io.stderr.write(s),
  };
}

export function registerRecord({ io, state, program }: CommandContext): void {
  program
    .command('record')
    .description('run a command as one tool call in its own cgroup, recording what it did (put the command after --)')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--run <id>', 'run id (default: rec-<UTC time>-<random>)')
    .option('--session <id>', 'session id', 'default')
    .option('--attempt <id>', 'attempt id', '1')
    .option('--tool-call <id>', 'tool call id', 'cmd')
    .option('--tool-name <name>', 'tool name (policies can match on it)')
    .option('--workdir <dir>', 'where the command runs; snapshotted before and after (default: the current directory)')
    .option('--policy <file>', 'policy file (repeatable; default: the shipped policies/default.yaml)', collect)
    .addOption(new Option('--enforce', 'carry out deny, kill and quarantine on the run\'s cgroup').conflicts('auditOnly'))
    .option('--audit-only', 'record decisions without acting on them (the default)')
    .option('--timeout <seconds>', `kill the run after this long (exit 71)`)
    .option('--keep-running', 'leave processes that outlive the command running (default: kill the cgroup at the end)')
    .addOption(new Option('--capture <mode>', 'auto: eBPF when root and built, else /proc polling').choices(['auto', 'ebpf', 'proc']).default('auto'))
    .option('--no-snapshot', 'do not snapshot the workdir')
    .option('--snapshot-ignore <pattern>', `gitignore-style pattern left out of snapshots (repeatable; always: ${DEFAULT_SNAPSHOT_IGNORE.join(' ')})`, collect)
    .option('--snapshot-max-file-bytes <n>', 'files up to this size have their content stored (default 1048576)')
    .option('--json', "print the summary as JSON on stdout (the command's stdout then goes to stderr; it includes phases_ms)")
    .option('--timings', 'print where the wall time went, phase by phase (load, store, sensor, snapshot, command, flush, end, output, verify, close)')
    .addHelpText('after', `\n${RECORD_EXIT_HELP}\n\nExample:\n  agentprov record --run r1 --tool-call tc-1 --enforce -- sh -c 'make test'\n`)
    .action(async function (this: Command, command: string[], o: RecordOpts) {
      const json = o.json === true;
      const notice = (line: string): void => void io.stderr.write(`agentprov: ${line}\n`);
      const snapshot: SnapshotOptions | false = o.snapshot
        ? {
            ignore: [...DEFAULT_SNAPSHOT_IGNORE, ...(o.snapshotIgnore ?? [])],
            ...(o.snapshotMaxFileBytes ? { maxFileBytes: parseIntOption(o.snapshotMaxFileBytes, '--snapshot-max-file-bytes') } : {}),
          }
        : false;
      const { stdio, pipeOut, pipeErr } = childStdio(io, json);
      const interrupt = new AbortController();
      const onSignal = (): void => interrupt.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let statusShown = false;
      // Live notices say each rule and response once; the summary counts them all.
      const told = new Set<string>();
      const once = (key: string, line: string): void => {
        if (told.has(key)) return;
        told.add(key);
        notice(line);
      };
      try {
        const result = await recordCommand({
          dataDir: dataDirOf(this, io),
          command,
          runId: o.run ?? defaultRunId(io.now()),
          sessionId: o.session,
          attemptId: o.attempt,
          toolCallId: o.toolCall,
          toolName: o.toolName ?? null,
          workdir: resolve(io.cwd, o.workdir ?? '.'),
          ...(o.policy ? { policyFiles: o.policy } : {}),
          enforce: o.enforce === true,
          timeoutMs: timeoutMs(o.timeout),
          keepRunning: o.keepRunning === true,
          capture: o.capture,
          snapshot,
          env: { ...process.env, ...io.env },
          stdio,
          onChild: (child) => {
            if (pipeOut && child.stdout) forwardLines(child.stdout, pipeOut);
            if (pipeErr && child.stderr) forwardLines(child.stderr, pipeErr);
          },
          onNotice: notice,
          onRisk: (r) => once(`risk ${r.rule_id}`, `risk ${r.severity} ${r.score} ${r.rule_id}: ${r.reason}`),
          onResponse: (r) => once(`response ${r.action} ${r.result} ${r.detail}`, `response ${r.action} ${r.result}: ${r.detail}`),
          onError: (err) => notice(`warning: ${err instanceof Error ? err.message : String(err)}`),
          ...(io.stderr.isTTY
            ? {
                onProgress: (p: { events: number; processes: number; seconds: number }) => {
                  statusShown = true;
                  io.stderr.write(`\r\x1b[2K[agentprov] ${p.seconds.toFixed(0)} s: ${p.processes} processes, ${p.events} events`);
                },
              }
            : {}),
          interrupt: interrupt.signal,
          now: io.now,
        });
        if (statusShown) io.stderr.write('\r\x1b[2K');
        state.exitCode = result.exitCode;
        const phasesMs = result.phases.toJSON();
        if (json) printJson(io, { schema_version: 'agentprov.record/v1', run_id: result.summary.run_id, items: [{ ...result.summary, phases_ms: phasesMs }], next_cursor: null });
        else io.stderr.write(formatRecordingSummary(result.summary));
        if (o.timings === true) notice(`timings: ${result.phases.format()}`);
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
}
