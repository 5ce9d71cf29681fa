/** The live path's burst queue: bursts written a bounded chunk per turn, everything on flush, forced past the bound. */
import { describe, expect, it } from 'vitest';
import { JudgedQueue, type JudgedBatch } from '../../src/engine/index.js';
import type { RuntimeEvent } from '../../src/model/index.js';

const batch = (n: number, from: number): JudgedBatch => ({
  events: Array.from({ length: n }, (_, i) => ({ event_id: String(from + i) }) as RuntimeEvent),
  verdicts: [],
});
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('JudgedQueue', () => {
  it('writes a burst in chunks of whole batches across turns, in order, and flush writes the rest at once', async () => {
    const writes: string[][] = [];
    const q = new JudgedQueue({ write: (b) => writes.push(b.events.map((e) => e.event_id!)), writeEvents: 5 });
    for (let i = 0; i < 6; i++) q.push(batch(2, i * 2)); // 12 events
    expect(writes).toEqual([]); // nothing before the turn ends
    await turn();
    expect(writes).toEqual([['0', '1', '2', '3']]); // two whole batches: a third would pass 5
    expect(q.size).toBe(8);
    q.flush();
    expect(writes.at(-1)).toEqual(['4', '5', '6', '7', '8', '9', '10', '11']);
    expect(q.size).toBe(0);
    await turn();
    expect(writes).toHaveLength(2); // the rescheduled write found nothing left
  });

  it('takes a batch larger than the chunk whole, and forces a write past maxEvents', async () => {
    const writes: number[] = [];
    const q = new JudgedQueue({ write: (b) => writes.push(b.events.length), writeEvents: 5, maxEvents: 20 });
    q.push(batch(8, 0));
    await turn();
    expect(writes).toEqual([8]);
    q.push(batch(15, 100));
    q.push(batch(6, 200)); // 21 queued: written now, not on the next turn
    expect(writes).toEqual([8, 21]);
  });
});
