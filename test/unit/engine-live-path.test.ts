import { describe, expect, it } from 'vitest';
import { EvidenceEngine, finalizeEvent, MemoryEvidenceSink, unperformedResponse } from '../../src/engine/index.js';
import { loadPolicy } from '../../src/policy/index.js';

const POLICY = `version: 1
name: live
default_action: audit
rules:
  - id: no-metadata
    severity: critical
    score: 95
    action: kill
    match: { event_type: network_connect, dst_cidr: [169.254.169.254/32] }
`;

describe('the live path: judge, then store', () => {
  it('calls the responder before the batch is written, and stores each verdict once', () => {
    const sink = new MemoryEvidenceSink();
    const storedWhenActing: number[] = [];
    const engine = new EvidenceEngine({
      sink,
      policy: loadPolicy(POLICY, 'live.yaml'),
      clock: () => 2_000n,
      responder: {
        respond: (req) => {
          storedWhenActing.push(sink.events.size);
          return { ...unperformedResponse(req.decision, req.correlation, 'planned', 'test', req.now), result: 'done' };
        },
      },
    });
    const mk = (i: number, ip: string) =>
      finalizeEvent({ type: 'network_connect', source: 'agentprov_ebpf', time_ns: BigInt(1000 + i), pid: 10 + i, dst_ip: ip, dst_port: 80 });
    const batch = [mk(1, '127.0.0.1'), mk(2, '169.254.169.254'), mk(3, '127.0.0.1')];
    const judged = engine.judgeBatch(batch);
    expect(storedWhenActing).toEqual([0]);
    const stats = engine.storeJudged(judged, null);
    expect(stats.stored).toBe(3);
    expect(stats.responses).toBe(1);
    // The same events again (a duplicate delivery) store nothing and no second verdict.
    expect(engine.storeJudged(engine.judgeBatch(batch), null).stored).toBe(0);
    expect([...sink.verdicts.values()].filter((v) => v.responses.length > 0)).toHaveLength(1);
  });
});
