/**
 * @module service/gate-intent: declared intent vs observed behaviour. The engine asks, for every event of a
 * tool call, whether its gate records covered it; what they did not cover is a rule match
 * (`undeclared-behaviour`), and a tool call that runs although its gate said no is `gate-not-cleared`.
 *
 * Covered: an exec of the declared program (or of one listed in expects.exec); a connection, TLS request or
 * DNS name to a declared host (http URL, expects.hosts); a file write inside a declared path (file action,
 * expects.paths). Writes are only judged when the record declares paths; reads are never judged (every
 * program reads libraries and caches).
 */
import { posix } from 'node:path';
import type { AgentDirectory, IntentCheck } from '../engine/index.js';
import { opensForWrite, type RuleMatch, type RuntimeEvent, type ToolCallScope } from '../model/index.js';
import type { EvidenceStore, GateRecord } from '../store/index.js';
import { StoreAgentDirectory } from './agents-registry.js';
import { hostOfUrl, isIpLiteral, type GateRequest } from './gate-request.js';
import { responseStoreOf } from './respond-record.js';

export const UNDECLARED_RULE = 'undeclared-behaviour';
export const NOT_CLEARED_RULE = 'gate-not-cleared';
const TAGS = ['OWASP-AGENTIC:T2', 'ISO42001:A.6.2.6'];
const NONE: RuleMatch[] = [];

interface Declared {
  records: GateRecord[];
  intents: string;
  programs: Set<string>;
  hosts: string[];
  ips: Set<string>;
  paths: string[];
  cleared: boolean;
  blocked: GateRecord | null;
}

function declare(records: GateRecord[]): Declared {
  const d: Declared = { records, intents: '', programs: new Set(), hosts: [], ips: new Set(), paths: [], cleared: false, blocked: null };
  for (const r of records) {
    const req = r.request as unknown as GateRequest;
    const a = req.action;
    if (a.kind === 'command') d.programs.add(posix.basename(a.argv[0]!));
    if (a.kind === 'docker') d.programs.add('docker');
    if (a.kind === 'http') {
      const host = hostOfUrl(a.url);
      (isIpLiteral(host) ? d.ips.add(host) : d.hosts.push(host.toLowerCase()));
      if (a.ip) d.ips.add(a.ip);
    }
    if (a.kind === 'file') d.paths.push(a.path);
    for (const p of req.expects?.exec ?? []) d.programs.add(posix.basename(p));
    for (const h of req.expects?.hosts ?? []) (isIpLiteral(h) ? d.ips.add(h) : d.hosts.push(h.toLowerCase()));
    d.paths.push(...(req.expects?.paths ?? []));
    if (r.status === 'allowed' || r.status === 'approved') d.cleared = true;
    else d.blocked ??= r;
  }
  d.intents = records.map((r) => `"${(r.request as unknown as GateRequest).intent}"`).join(', ');
  return d;
}

/** `*.example.com` covers subdomains; anything else is an exact (case-insensitive) name. */
function hostCovered(host: string, hosts: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return hosts.some((d) => (d.startsWith('*.') ? h.endsWith(d.slice(1)) : h === d));
}

function pathCovered(path: string, paths: readonly string[]): boolean {
  return paths.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/** What the event did that the declaration does not cover, in words; null when covered or not judged. */
export function undeclaredPart(e: RuntimeEvent, d: Declared): string | null {
  switch (e.type) {
    case 'process_exec': {
      if (typeof e.result === 'number' && e.result < 0) return null;
      const exe = e.exe ?? e.argv?.[0];
      if (!exe) return null;
      return d.programs.has(posix.basename(exe)) ? null : `exec of ${exe}`;
    }
    case 'network_connect': {
      if (e.family === 'unix' || !e.dst_ip || e.dst_port === 53) return null;
      if (d.ips.has(e.dst_ip)) return null;
      // Names cannot be checked against an address here: the TLS host and DNS name events are.
      if (d.hosts.length > 0) return null;
      return `connection to ${e.dst_ip}:${e.dst_port ?? '?'}`;
    }
    case 'tls_request': {
      const host = e.tls?.host;
      if (!host) return null;
      return hostCovered(host, d.hosts) || d.ips.has(host) ? null : `request to ${host}`;
    }
    case 'dns_query':
      return e.dns_query && !hostCovered(e.dns_query, d.hosts) ? `DNS lookup of ${e.dns_query}` : null;
    case 'file_open':
    case 'file_rename':
    case 'file_unlink': {
      if (d.paths.length === 0 || !e.path) return null;
      const writes = e.type !== 'file_open' || opensForWrite(e.open_flags);
      if (!writes) return null;
      const target = e.type === 'file_rename' && e.new_path ? e.new_path : e.path;
      return pathCovered(target, d.paths) ? null : `write to ${target}`;
    }
    default:
      return null;
  }
}

/** The engine's IntentCheck over the gate records of this store, indexed by tool call. */
export class GateIntentIndex implements IntentCheck {
  readonly #byCall = new Map<string, Declared>();

  constructor(records: readonly GateRecord[] = []) {
    const grouped = new Map<string, GateRecord[]>();
    for (const r of records) if (r.tool_call_id) (grouped.get(r.tool_call_id) ?? grouped.set(r.tool_call_id, []).get(r.tool_call_id)!).push(r);
    for (const [call, rs] of grouped) this.#byCall.set(call, declare(rs));
  }

  static fromStore(store: EvidenceStore): GateIntentIndex {
    return new GateIntentIndex(responseStoreOf(store).listGateRecords());
  }

  get size(): number {
    return this.#byCall.size;
  }

  add(record: GateRecord): void {
    if (!record.tool_call_id) return;
    const prior = this.#byCall.get(record.tool_call_id)?.records ?? [];
    this.#byCall.set(record.tool_call_id, declare([...prior.filter((r) => r.record_id !== record.record_id), record]));
  }

  check(event: RuntimeEvent, scope: ToolCallScope): RuleMatch[] {
    const d = this.#byCall.get(scope.tool_call_id);
    if (d === undefined) return NONE;
    const ids = d.records.map((r) => r.record_id.slice(0, 12)).join(', ');
    if (!d.cleared && d.blocked !== null) {
      return [{
        rule_id: NOT_CLEARED_RULE,
        action: 'alert',
        mode: 'enforce',
        severity: 'high',
        score: 80,
        tags: TAGS,
        reason: `tool call ${scope.tool_call_id} runs although its gate record ${d.blocked.record_id.slice(0, 12)} is ${d.blocked.status}`,
      }];
    }
    const what = undeclaredPart(event, d);
    if (what === null) return NONE;
    return [{
      rule_id: UNDECLARED_RULE,
      action: 'alert',
      mode: 'enforce',
      severity: 'medium',
      score: 60,
      tags: TAGS,
      reason: `${what} was not declared: gate record ${ids} declared ${d.intents}`,
    }];
  }
}

/** The engine options that make a store's gate records and agents count (for every engine built on a store). */
export function gateEngineOptions(store: EvidenceStore): { intent: IntentCheck; agents: AgentDirectory } {
  return { intent: GateIntentIndex.fromStore(store), agents: new StoreAgentDirectory(store) };
}
