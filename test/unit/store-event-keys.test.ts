/**
 * Event rows are keyed by the first 8 bytes of the event id (migration 007). Two ids sharing them are two
 * events: both stored, each found by its own id, and a re-insert of either is still a duplicate.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../src/model/index.js';
import { freshStoreEachTest } from '../helpers/store.js';

const prefix = 'ab'.repeat(8); // the 16 hex digits the key is made of
const idA = `${prefix}${'1'.repeat(48)}`;
const idB = `${prefix}${'2'.repeat(48)}`;
const top = 'f'.repeat(64); // the largest key: a probe must not run past int64

function ev(event_id: string, t: bigint): RuntimeEvent {
  return { event_id, type: 'file_open', source: 'test', host: 'h', time_ns: t, time: '', pid: 7, path: `/p/${event_id.slice(-4)}` } as unknown as RuntimeEvent; // 'test': a source no producer has
}

describe('event keys', () => {
  const ctx = freshStoreEachTest();

  it('stores two events whose ids share the key, finds each by its id, and dedupes both', () => {
    const { store } = ctx;
    expect(store.insertEvents([ev(idA, 1n), ev(idB, 2n), ev(top, 3n)], null).map((e) => e.event_id)).toEqual([idA, idB, top]);
    expect(store.insertEvents([ev(idB, 2n), ev(idA, 1n), ev(top, 3n)], null)).toEqual([]);
    expect(store.query.getEvent(idA)?.path).toBe('/p/1111');
    expect(store.query.getEvent(idB)?.path).toBe('/p/2222');
    expect(store.query.getEvent(top)?.time_ns).toBe(3n);
    expect(store.query.getEvent(`${prefix}${'3'.repeat(48)}`)).toBeNull();
    expect(store.db.prepare('SELECT COUNT(*) FROM event_rows').pluck().get()).toBe(3);
  });
});
