/**
 * @module service/gate-request: the provenance record an agent submits before acting (who, for whom, why,
 * what exactly), and the synthetic runtime events that stand for the declared action, so the same policy
 * that judges behaviour judges intent.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { RuntimeEvent } from '../model/index.js';

const CommandAction = z.strictObject({
  kind: z.literal('command'),
  argv: z.array(z.string()).min(1, 'a command needs argv[0]'),
  cwd: z.string().optional(),
});
const FileAction = z.strictObject({
  kind: z.literal('file'),
  path: z.string().min(1),
  access: z.enum(['read', 'write', 'create', 'append', 'delete']).default('read'),
  cwd: z.string().optional(),
});
const HttpAction = z.strictObject({
  kind: z.literal('http'),
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  method: z.string().min(1).default('GET'),
  /** The address it will connect to, when the agent knows it (IP-based rules can then judge it). */
  ip: z.string().optional(),
});
const DockerAction = z.strictObject({
  kind: z.literal('docker'),
  image: z.string().min(1),
  argv: z.array(z.string()).default([]),
  /** `-v` mounts (host:container). */
  mounts: z.array(z.string()).default([]),
  network: z.string().optional(),
});

/** What else the action will legitimately do (programs it runs, hosts it reaches, paths it writes). */
const Expects = z.strictObject({
  exec: z.array(z.string().min(1)).default([]),
  hosts: z.array(z.string().min(1)).default([]),
  paths: z.array(z.string().min(1)).default([]),
});

export const GateRequestSchema = z.strictObject({
  agent_id: z.string().min(1),
  owner: z.string().min(1).optional(),
  run_id: z.string().min(1).optional(),
  session_id: z.string().min(1).optional(),
  /** The tool call that will carry the action out: its runtime events are compared with this record. */
  tool_call_id: z.string().min(1).optional(),
  tool_name: z.string().min(1).optional(),
  intent: z.string().min(1, 'say what the action is for'),
  action: z.discriminatedUnion('kind', [CommandAction, FileAction, HttpAction, DockerAction]),
  expects: Expects.optional(),
});
export type GateRequest = z.output<typeof GateRequestSchema>;
export type GateAction = GateRequest['action'];

export function parseGateRequest(value: unknown, source = 'gate request'): GateRequest {
  const r = GateRequestSchema.safeParse(value);
  if (!r.success) {
    throw new InputError(r.error.issues.map((i) => ({ file: source, field: i.path.join('.') || 'request', message: i.message })));
  }
  return r.data;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function hostOfUrl(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}

export function isIpLiteral(host: string): boolean {
  return IPV4.test(host) || host.includes(':');
}

/** The runtime events the declared action would produce, judged by the policy before anything runs. */
export function declaredEvents(req: GateRequest, timeNs: bigint): RuntimeEvent[] {
  const base = { source: 'native_jsonl' as const, host: '', time_ns: timeNs, labels: { gate: 'declared' } };
  const a = req.action;
  switch (a.kind) {
    case 'command': {
      const exe = a.argv[0]!;
      return [{ ...base, type: 'process_exec', exe, comm: posix.basename(exe).slice(0, 15), argv: a.argv, ...(a.cwd ? { cwd: a.cwd } : {}) }];
    }
    case 'file': {
      if (a.access === 'delete') return [{ ...base, type: 'file_unlink', path: a.path, ...(a.cwd ? { cwd: a.cwd } : {}) }];
      const flags: NonNullable<RuntimeEvent['open_flags']> =
        a.access === 'read' ? ['read'] : a.access === 'write' ? ['write', 'truncate'] : a.access === 'create' ? ['write', 'create'] : ['write', 'append'];
      return [{ ...base, type: 'file_open', path: a.path, open_flags: flags, ...(a.cwd ? { cwd: a.cwd } : {}) }];
    }
    case 'http': {
      const u = new URL(a.url);
      const host = hostOfUrl(a.url);
      const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      const ip = a.ip ?? (isIpLiteral(host) ? host : null);
      const events: RuntimeEvent[] = [
        { ...base, type: 'tls_request', dst_port: port, ...(ip ? { dst_ip: ip } : {}), tls: { method: a.method.toUpperCase(), host, path: u.pathname || '/' } },
      ];
      if (ip) events.push({ ...base, type: 'network_connect', family: ip.includes(':') ? 'inet6' : 'inet', dst_ip: ip, dst_port: port });
      return events;
    }
    case 'docker': {
      const argv = ['docker', 'run', '--rm', ...(a.network ? ['--network', a.network] : []), ...a.mounts.flatMap((m) => ['-v', m]), a.image, ...a.argv];
      return [{ ...base, type: 'process_exec', exe: '/usr/bin/docker', comm: 'docker', argv }];
    }
  }
}

/** One line for people: "command git status", "http GET https://api.example.com/x". */
export function describeAction(a: GateAction): string {
  switch (a.kind) {
    case 'command':
      return `command ${a.argv.join(' ')}`;
    case 'file':
      return `file ${a.access} ${a.path}`;
    case 'http':
      return `http ${a.method.toUpperCase()} ${a.url}`;
    case 'docker':
      return `docker run ${a.image} ${a.argv.join(' ')}`.trim();
  }
}
