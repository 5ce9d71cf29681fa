/**
 * @module store/event-layout-migration: a store written before migration 007 keeps its events in `events`
 * (one wide row and one ledger entry per event) and their correlations in `correlations`. On first open
 * they are copied into blocks and correlation kinds, in ledgered transactions of CHUNK events, with their
 * stored bodies byte for byte; the old rows stay where they are, so the entries that recorded them still
 * verify. A copy cut short resumes on the next open (copied events are recognised by their keys); the last
 * transaction appends `migrate:event-blocks` and names it in meta `event_layout`.
 */
import { sha256Hex } from '../graph/index.js';
import { decodeEvent } from './codec.js';
import type { EvidenceStore } from './evidence-store.js';
import { currentRowSql } from './versioned-rows.js';

const CHUNK = 20_000;
export const EVENT_LAYOUT_META = 'event_layout';
export const MIGRATE_KIND = 'migrate:event-blocks';

interface LegacyRow {
  rid: number;
  body: string;
  batch_id: string | null;
  binding_id: string | null;
  run_id: string | null;
  tool_call_id: string | null;
  tier: string | null;
  confidence: number | null;
  keys_matched: string | null;
  reason: string | null;
}

export function migrateEventLayout(store: EvidenceStore): void {
  const db = store.db;
  const marked = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(EVENT_LAYOUT_META);
  if (marked !== undefined) return;
  if (db.prepare('SELECT 1 FROM events LIMIT 1').get() === undefined) return; // nothing of the old layout
  const page = db.prepare(
    `SELECT e.rowid AS rid, e.body AS body, e.batch_id AS batch_id, c.binding_id AS binding_id, c.run_id AS run_id,
       c.tool_call_id AS tool_call_id, c.tier AS tier, c.confidence AS confidence, c.keys_matched AS keys_matched, c.reason AS reason
     FROM events e LEFT JOIN correlations c ON c.event_id = e.event_id AND ${currentRowSql('correlations', 'c')}
     WHERE e.rowid > ? ORDER BY e.rowid LIMIT ${CHUNK}`,
  );
  let after = 0;
  let copied = 0;
  let total = 0;
  for (;;) {
    const rows = page.all(after) as LegacyRow[];
    if (rows.length === 0) break;
    after = (rows.at(-1) as LegacyRow).rid;
    total += rows.length;
    store.transaction(() => {
      const events = rows.map((r) => decodeEvent(r.body));
      copied += store.copyLegacyEvents(rows.map((r, i) => ({ event: events[i]!, body: r.body, batchId: r.batch_id })));
      const verdicts = rows.flatMap((r, i) =>
        r.tier === null
          ? []
          : [
              {
                event_id: events[i]!.event_id!,
                binding_id: r.binding_id,
                run_id: r.run_id,
                tool_call_id: r.tool_call_id,
                tier: r.tier as never,
                confidence: r.confidence as number,
                keys_matched: JSON.parse(r.keys_matched as string) as string[],
                reason: r.reason as string,
              },
            ],
      );
      store.setCorrelations(verdicts);
    });
  }
  store.transaction(() => {
    const seq = store.appendLedger(MIGRATE_KIND, sha256Hex(JSON.stringify(['agentprov.event-layout/v1', total, copied])));
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(EVENT_LAYOUT_META, `blocks@${seq}`);
  });
}
