/**
 * @module policy/kernel-rules: the part of a policy the kernel can enforce before the action happens.
 *
 * A single-event, enforce-mode rule on network_connect whose only conditions are a destination set (dst_ip,
 * dst_cidr or dst_private: true), the source, and scope facts known when a tool call is bound (tool_name,
 * agent_id, owner, autonomy) can be decided in the kernel: its destinations become deny entries of the tool
 * call's own cgroup, and for kill and quarantine the sensor's ring thread kills or freezes that cgroup the
 * moment the kernel refuses the connect. Anything else (ports, exe, ancestry, sequences, negations) stays in
 * the engine, which still judges and records every event, these included.
 *
 * Entries never act more than the engine would: an address matched by several compiled rules gets the most
 * severe of their actions (deny-overrides), because a longest-prefix lookup returns only one entry.
 */
import type { RuntimeEvent } from '../model/index.js';
import { ACTION_SEVERITY } from '../model/index.js';
import type { CompiledPolicy } from './compiled-policy.js';
import { beginEvent, testMatch } from './compile-match.js';
import type { EvalScope } from './context.js';
import { PRIVATE_CIDR_TEXT, inCidr, parseCidr, type Cidr } from './ip.js';

export type KernelAction = 'deny' | 'quarantine' | 'kill';

export interface KernelConnectEntry {
  /** The destination, as written in the rule (an address becomes /32 or /128). */
  cidr: string;
  action: KernelAction;
  /** Index of the deciding rule in policy.rules (the deny entry's tag, reported back by the kernel). */
  rule_tag: number;
  rule_id: string;
}

const KERNEL_ACTIONS = new Set<string>(['deny', 'quarantine', 'kill']);
const SCOPE_FIELDS = ['tool_name', 'tool_name_not', 'agent_id', 'agent_owner', 'agent_autonomy'];
const ADDRESS_FIELDS = ['dst_ip', 'dst_cidr', 'dst_private'];
const KERNEL_FIELDS = new Set(['event_type', 'source', ...ADDRESS_FIELDS, ...SCOPE_FIELDS]);
/** The deny entry's tag has 24 bits (bpf/events.h AP_DENY_RULE_MASK). */
const MAX_TAG = 0xffffff;

interface Candidate {
  cidr: Cidr;
  action: KernelAction;
  rule_tag: number;
  rule_id: string;
}

/** The destinations of a rule the kernel can decide alone, or null when it needs the engine. */
function kernelDestinations(match: Record<string, unknown>): string[] | null {
  const keys = Object.keys(match);
  if (!keys.every((k) => KERNEL_FIELDS.has(k))) return null;
  const address = keys.filter((k) => ADDRESS_FIELDS.includes(k));
  if (address.length !== 1) return null; // none, or an intersection of two sets: the engine decides
  const source = match['source'] as string[] | undefined;
  if (source !== undefined && !source.includes('agentprov_ebpf')) return null;
  if (match['dst_private'] === true) return [...PRIVATE_CIDR_TEXT];
  if (match['dst_private'] === false) return null; // "not private" is a negation
  const list = match[address[0]!] as string[];
  return list.map((t) => (t.includes('/') ? t : `${t}/${t.includes(':') ? 128 : 32}`));
}

/** True when `outer` holds every address of `inner`. */
function covers(outer: Cidr, inner: Cidr): boolean {
  return outer.kind === inner.kind && outer.prefix <= inner.prefix && inCidr(inner.kind, inner.words, outer);
}

/**
 * The deny entries for a tool call with this scope: one per destination, each with the most severe action
 * of every compiled rule that covers it. Pure; the caller writes them into the sensor.
 */
export function kernelConnectEntries(policy: CompiledPolicy, scope: EvalScope): KernelConnectEntry[] {
  const candidates: Candidate[] = [];
  for (const r of policy.byType.network_connect) {
    if (!r.enforce || !KERNEL_ACTIONS.has(r.result.action) || r.rule.match === undefined) continue;
    const destinations = kernelDestinations(r.rule.match as Record<string, unknown>);
    const tag = policy.rules.indexOf(r.rule);
    if (destinations === null || tag < 0 || tag > MAX_TAG) continue;
    for (const text of destinations) {
      const cidr = parseCidr(text);
      if (typeof cidr === 'string') continue;
      // The rule's own predicates decide the scope conditions, on a connect to this destination.
      const probe = { type: 'network_connect', source: 'agentprov_ebpf', dst_ip: text.slice(0, text.indexOf('/')) } as RuntimeEvent;
      beginEvent();
      if (!testMatch(r.match, probe, { scope })) continue;
      candidates.push({ cidr, action: r.result.action as KernelAction, rule_tag: tag, rule_id: r.rule.id });
    }
  }
  const out = new Map<string, KernelConnectEntry>();
  for (const c of candidates) {
    let best = c;
    for (const o of candidates) if (covers(o.cidr, c.cidr) && ACTION_SEVERITY[o.action] > ACTION_SEVERITY[best.action]) best = o;
    const key = `${c.cidr.kind}:${c.cidr.text}`;
    const prev = out.get(key);
    if (prev === undefined || ACTION_SEVERITY[best.action] > ACTION_SEVERITY[prev.action]) {
      out.set(key, { cidr: c.cidr.text, action: best.action, rule_tag: best.rule_tag, rule_id: best.rule_id });
    }
  }
  return [...out.values()];
}
