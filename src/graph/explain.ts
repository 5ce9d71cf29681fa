/**
 * @module graph/explain: walk a run's DAG from a file, tool call, event, decision or risk up to the run and
 * down to what was derived from it (decisions, risks, responses), as plain steps a CLI can print.
 */
import { NODE_KINDS, type DagEdge, type DagNode, type EdgeName, type NodeKind } from '../model/index.js';
import { rawRefOf, summarizeNode } from './node-summary.js';

export type ExplainTargetKind = 'file' | 'tool_call' | 'event' | 'decision' | 'risk' | 'process' | 'hash';

export interface ExplainTarget {
  kind: ExplainTargetKind;
  /** A path, an id (events, decisions, risks and hashes also by unique prefix) or a process key `pid@start`. */
  value: string;
}

export interface ExplainStep {
  hash: string;
  kind: NodeKind;
  key: string;
  summary: string;
  /** The edge joining this step to `from` ('parent' when only the node's parent list does); null starts a chain. */
  via: EdgeName | 'parent' | null;
  from: string | null;
  role: 'upstream' | 'target' | 'downstream';
  raw_ref?: Record<string, unknown>;
}

export interface ExplainResult {
  target: ExplainTarget;
  found: boolean;
  message: string;
  /** Chains one after another, each starting with a step whose `via` is null. */
  items: ExplainStep[];
  chains: number;
  truncated: boolean;
}

export interface GraphData {
  nodes: readonly DagNode[];
  edges: readonly DagEdge[];
}

export interface ExplainOptions {
  /** Most downstream steps per chain and most chains (a file many events touched). */
  limit?: number;
}

const MAX_UP = 256;

export function explain(graph: GraphData, target: ExplainTarget, opts: ExplainOptions = {}): ExplainResult {
  const limit = opts.limit ?? 200;
  const g = new GraphIndex(graph);
  const found = g.find(target);
  if (typeof found === 'string') return { target, found: false, message: found, items: [], chains: 0, truncated: false };
  const { starts, tail } = found;
  const items: ExplainStep[] = [];
  let truncated = starts.length > limit;
  for (const start of starts.slice(0, limit)) {
    const up = g.upstream(start);
    up.forEach((n, i) => items.push(g.step(n, up[i - 1] ?? null, 'upstream')));
    items.push(g.step(start, up[up.length - 1] ?? null, tail ? 'upstream' : 'target'));
    if (tail) items.push(g.step(tail, start, 'target'));
    // What derives from an event (its decision, risks, responses) explains the file; all a process did does not.
    const down = tail && start.kind === 'process' ? { steps: [], truncated: false } : g.downstream(start, new Set([...up, start].map((n) => n.hash)), limit);
    truncated ||= down.truncated;
    items.push(...down.steps);
  }
  const message = `${starts.length} chain${starts.length === 1 ? '' : 's'} for ${target.kind} ${target.value}`;
  return { target, found: true, message, items, chains: Math.min(starts.length, limit), truncated };
}

class GraphIndex {
  private readonly byHash = new Map<string, DagNode>();
  private readonly byKey = new Map<string, DagNode>();
  private readonly children = new Map<string, DagNode[]>();
  private readonly edgeNames = new Map<string, EdgeName>();
  private readonly edgesTo = new Map<string, DagEdge[]>();
  private readonly nodes: readonly DagNode[];

  constructor(graph: GraphData) {
    this.nodes = graph.nodes;
    for (const n of graph.nodes) {
      this.byHash.set(n.hash, n);
      this.byKey.set(n.key, n);
    }
    for (const n of graph.nodes) for (const p of n.parents) push(this.children, p, n);
    for (const list of this.children.values()) list.sort(byKindThenKey);
    for (const e of graph.edges) {
      this.edgeNames.set(`${e.from}|${e.to}`, e.name);
      push(this.edgesTo, e.to, e);
    }
  }

  find(t: ExplainTarget): { starts: DagNode[]; tail: DagNode | null } | string {
    const one = (n: DagNode | string) => (typeof n === 'string' ? n : { starts: [n], tail: null });
    switch (t.kind) {
      case 'file': {
        const file = this.byKey.get(`file:${t.value}`);
        if (!file) {
          // only read, and judged by no rule: it is in its readers' summaries
          const readers = this.nodes
            .filter((n) => n.kind === 'file_reads' && Array.isArray(n.body['paths']) && (n.body['paths'] as unknown[]).includes(t.value))
            .sort(byKindThenKey);
          return readers.length > 0 ? { starts: readers, tail: null } : `no file ${t.value} in the graph`;
        }
        // the judged events that touched it, in time order, then the processes whose unjudged events did
        const from = (name: EdgeName) =>
          (this.edgesTo.get(file.hash) ?? [])
            .filter((e) => e.name === name)
            .map((e) => this.byHash.get(e.from))
            .filter((n): n is DagNode => n !== undefined);
        const starts = [...from('event_touched_file').sort(byEventTime), ...from('process_touched_file').sort(byKindThenKey)];
        return { starts, tail: file };
      }
      case 'tool_call':
        return one(this.byKey.get(`tool_call:${t.value}`) ?? `no tool call ${t.value} in the graph`);
      case 'event':
        return one(this.byPrefix('runtime_event', 'event:', t.value));
      case 'decision':
        return one(this.byPrefix('policy_decision', 'decision:', t.value));
      case 'risk': {
        // A decision id is accepted too: the decision is where a risk comes from.
        const risk = this.byPrefix('risk_signal', 'risk:', t.value);
        if (typeof risk !== 'string') return one(risk);
        const decision = this.byPrefix('policy_decision', 'decision:', t.value);
        return one(typeof decision === 'string' ? risk : decision);
      }
      case 'process':
        return one(this.byKey.get(`process:${t.value.replace('@', ':')}`) ?? `no process ${t.value} in the graph`);
      case 'hash':
        return one(this.byPrefix(null, '', t.value));
    }
  }

  private byPrefix(kind: NodeKind | null, keyPrefix: string, value: string): DagNode | string {
    const exact = kind === null ? this.byHash.get(value) : this.byKey.get(`${keyPrefix}${value}`);
    if (exact) return exact;
    const hits: DagNode[] = [];
    for (const n of this.byHash.values()) {
      const id = kind === null ? n.hash : n.kind === kind ? n.key.slice(keyPrefix.length) : null;
      if (id !== null && value !== '' && id.startsWith(value)) hits.push(n);
    }
    const what = kind === null ? 'node hash' : kind.replace('_', ' ');
    if (hits.length === 1) return hits[0]!;
    return hits.length === 0 ? `no ${what} ${value} in the graph` : `${hits.length} ${what}s start with ${value}: give more of the id`;
  }

  /** Parents up to the root, root first: through the parent process before the tool call, and the tool call the event was attributed to. */
  upstream(start: DagNode): DagNode[] {
    const out: DagNode[] = [];
    const seen = new Set([start.hash]);
    let hint = toolCallIdOf(start);
    let cur: DagNode | null = start;
    while (cur !== null && out.length < MAX_UP) {
      if (cur.kind === 'runtime_event') hint = toolCallIdOf(cur) ?? hint;
      const parents: DagNode[] = cur.parents
        .map((h) => this.byHash.get(h))
        .filter((n): n is DagNode => n !== undefined && !seen.has(n.hash))
        .sort(byKindThenKey);
      const next: DagNode | null =
        (cur.kind === 'process' ? parents.find((p) => p.kind === 'process') : undefined) ??
        parents.find((p) => p.kind === 'tool_call' && obj(p.body.scope).tool_call_id === hint) ??
        parents[0] ??
        null;
      if (next !== null) {
        out.push(next);
        seen.add(next.hash);
      }
      cur = next;
    }
    return out.reverse();
  }

  /** What derives from the start (nodes naming it as a parent), breadth first, at most `limit` steps. */
  downstream(start: DagNode, skip: Set<string>, limit: number): { steps: ExplainStep[]; truncated: boolean } {
    const steps: ExplainStep[] = [];
    const queue = [start];
    for (let i = 0; i < queue.length; i++) {
      const from = queue[i]!;
      for (const child of this.children.get(from.hash) ?? []) {
        if (skip.has(child.hash)) continue;
        if (steps.length >= limit) return { steps, truncated: true };
        skip.add(child.hash);
        steps.push(this.step(child, from, 'downstream'));
        queue.push(child);
      }
    }
    return { steps, truncated: false };
  }

  step(n: DagNode, from: DagNode | null, role: ExplainStep['role']): ExplainStep {
    const via = from === null ? null : (this.edgeNames.get(`${from.hash}|${n.hash}`) ?? this.edgeNames.get(`${n.hash}|${from.hash}`) ?? 'parent');
    const ref = n.kind === 'runtime_event' ? rawRefOf(n) : null;
    return { hash: n.hash, kind: n.kind, key: n.key, summary: summarizeNode(n), via, from: from?.hash ?? null, role, ...(ref ? { raw_ref: ref } : {}) };
  }
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

function toolCallIdOf(n: DagNode): string | null {
  const id = obj(n.body.correlation).tool_call_id;
  return typeof id === 'string' ? id : null;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function byKindThenKey(a: DagNode, b: DagNode): number {
  return NODE_KINDS.indexOf(a.kind) - NODE_KINDS.indexOf(b.kind) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Events in time order (times are decimal strings in stored bodies), then by key. */
function byEventTime(a: DagNode, b: DagNode): number {
  const ta = timeOf(a);
  const tb = timeOf(b);
  return ta < tb ? -1 : ta > tb ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function timeOf(n: DagNode): bigint {
  const t = obj(n.body.event).time_ns;
  return typeof t === 'string' && /^-?\d+$/.test(t) ? BigInt(t) : 0n;
}
